import { normalizeText, truncateText } from "./cells.ts";
import type { EncodeOptions } from "./options.ts";
import { isSecretParamName, REDACTED_VALUE, RedactionCounter, redactPii } from "./pii.ts";
import { shortenUrl } from "./urls.ts";

/** Properties posthog-js sets on every event that identify rather than describe. */
const IDENTITY_KEYS = new Set(["token", "distinct_id"]);

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

  /**
   * A custom event's own properties: scalars only, SDK (`$`) and identity keys skipped, in the
   * order sent, at most `limit` of them, the whole cell cut like any text.
   */
  customProperties(properties: Record<string, unknown>, limit: number): string {
    const pairs: string[] = [];
    for (const [key, value] of Object.entries(properties)) {
      if (pairs.length >= limit) break;
      if (key.startsWith("$") || IDENTITY_KEYS.has(key)) continue;
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") continue;
      if (this.options.redactPii && isSecretParamName(key)) {
        // A property named like a credential is one, whatever its value looks like.
        this.redactions.add("url_secret");
        pairs.push(`${normalizeText(key)}=${REDACTED_VALUE}`);
        continue;
      }
      pairs.push(`${normalizeText(key)}=${normalizeText(String(value))}`);
    }
    return pairs.length === 0 ? "" : this.text(pairs.join("; "));
  }

  /** Window ids are SDK-generated, but a client can send anything: redacted and cut like text. */
  windowId(raw: string): string {
    return this.text(raw);
  }
}
