import { redactPii } from "../encode/pii.ts";

/**
 * Text from the session (element texts, queries, error messages) is written by whoever uses the
 * site. It is only ever quoted in descriptions, never interpreted: whitespace collapsed, PII
 * redacted, double quotes turned into single ones (so the quote marks stay ours), and cut short.
 */
export interface QuoteOptions {
  maxQuotedLength: number;
  redactPii: boolean;
  /** Error messages: longer than other text, they identify the bug. Default `maxQuotedLength`. */
  maxErrorLength?: number;
}

export function cleanText(text: string, options: QuoteOptions): string {
  let cleaned = text.replace(/\s+/g, " ").trim().replace(/["“”]/g, "'");
  if (options.redactPii) cleaned = redactPii(cleaned);
  const chars = [...cleaned];
  return chars.length > options.maxQuotedLength ? `${chars.slice(0, options.maxQuotedLength - 1).join("")}…` : cleaned;
}

/** `"text"`, cleaned; empty text gives an empty string. */
export function quote(text: string | undefined, options: QuoteOptions): string {
  if (!text) return "";
  const cleaned = cleanText(text, options);
  return cleaned ? `"${cleaned}"` : "";
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** `1 time`, `twice`, `3 times`. */
export function times(count: number): string {
  return count === 1 ? "once" : count === 2 ? "twice" : `${count} times`;
}

/** Cuts a description to the schema's limit at a word boundary. */
export function limitLength(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}

/** `order_completed`, `orderCompleted`, `Order-Completed` → `order completed`. */
export function eventWords(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}
