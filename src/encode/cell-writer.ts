import { normalizeText, truncateText } from "./cells.ts";
import type { EncodeOptions } from "./options.ts";
import { RedactionCounter, redactPii } from "./pii.ts";
import { shortenUrl } from "./urls.ts";

/** Turns raw untrusted strings into cells: normalized, then redacted, then cut. */
export class CellWriter {
  readonly redactions = new RedactionCounter();

  constructor(private readonly options: EncodeOptions) {}

  private redact(text: string): string {
    return this.options.redactPii ? redactPii(text, this.redactions) : text;
  }

  text(raw: string | undefined): string {
    return raw ? truncateText(this.redact(normalizeText(raw)), this.options.maxTextLength) : "";
  }

  /** A link target in a cell: redacted, then shortened like table URLs but to the text length. */
  href(raw: string | undefined): string {
    return raw ? shortenUrl(this.redact(normalizeText(raw)), this.options.maxTextLength) : "";
  }

  url(raw: string): string {
    return shortenUrl(this.redact(normalizeText(raw)), this.options.maxUrlLength);
  }

  /** Window ids are SDK-generated, but a client can send anything: cut, never trusted. */
  windowId(raw: string): string {
    return truncateText(normalizeText(raw), this.options.maxTextLength);
  }
}
