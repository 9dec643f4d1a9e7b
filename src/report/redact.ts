import type { Report } from "../domain/report.ts";
import type { SessionSummary } from "../domain/summary.ts";
import { RedactionCounter, redactOutputText } from "../encode/pii.ts";

/**
 * Redaction of what leaves the tool (report.json/md/html, API answers), with the same rules and the
 * same switch (`SESSION_SUMMARIES_REDACT_PII`) as the redaction of prompts: a page URL such as
 * `/checkout?email=…&token=…` or a card number quoted by an analyst must not reach a reader.
 */

/**
 * Fields that identify rather than describe: ids, keys, times and hashes stay as they are (the page
 * links by them, and they are not written by the recorded site's users). Everything else is text.
 */
const IDENTIFIER_KEYS = new Set([
  "id",
  "report_id",
  "thread_id",
  "session_id",
  "summarized",
  "slug",
  "event_id",
  "event_uuid",
  "start_event_id",
  "end_event_id",
  "tool_call_id",
  "window_id",
  "timestamp",
  "start",
  "end",
  "created_at",
  "session_start",
  "clip_start",
  "clip_end",
  "clip_key",
  "frames_hash",
  "severity",
  "verdict",
  "type",
  "role",
  "status",
]);

/** `value` with every string outside identifier fields redacted; the input is not changed. */
export function redactDeep<T>(value: T, counter: RedactionCounter = new RedactionCounter()): T {
  return walk(value, counter) as T;
}

// Control characters mark binary data carried as a string (a packed rrweb snapshot): rewriting it would corrupt it.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const BINARY = /[\u0000-\u0008\u000e-\u001f]/;

function walk(value: unknown, counter: RedactionCounter): unknown {
  if (typeof value === "string") return BINARY.test(value) ? value : redactOutputText(value, counter);
  if (Array.isArray(value)) return value.map((item) => walk(item, counter));
  if (value === null || typeof value !== "object" || value instanceof Date || ArrayBuffer.isView(value)) return value;
  // Class instances (dates, buffers, LangChain messages) keep their prototype: only their own data fields are rewritten.
  const prototype = Object.getPrototypeOf(value) as object | null;
  const out: Record<string, unknown> = prototype === Object.prototype || prototype === null ? {} : Object.create(prototype);
  for (const [key, field] of Object.entries(value)) out[key] = IDENTIFIER_KEYS.has(key) ? field : walk(field, counter);
  return out;
}

/**
 * The report as readers get it: redacted when `enabled` (the prompt redaction's switch). Used when
 * writing it and again when serving it (API answer, page): a stored report may predate redaction.
 */
export function redactReport(report: Report, enabled: boolean): Report {
  return enabled ? redactDeep(report) : report;
}

export function redactSummary(summary: SessionSummary, enabled: boolean): SessionSummary {
  return enabled ? redactDeep(summary) : summary;
}

/**
 * Redaction of text streamed in pieces (a chat answer's tokens): a secret split over two pieces
 * (`jane.doe@exa` + `mple.com`) matches no rule in either, so text is held back until a whitespace
 * boundary nothing can span and redacted as a whole. Emails, URLs, keys and JWTs never contain
 * whitespace; card and phone numbers and `Bearer <token>` may, so a boundary after a digit, `)` or
 * an auth scheme waits for the next one.
 */
export class StreamedTextRedactor {
  private pending = "";

  constructor(private readonly enabled: boolean) {}

  /** What can be sent of the text so far (possibly ""), redacted; the rest waits for more text or `flush`. */
  push(text: string): string {
    if (!this.enabled) return text;
    this.pending += text;
    const cut = lastSafeBoundary(this.pending);
    if (cut === 0) return "";
    const ready = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut);
    return redactOutputText(ready);
  }

  /** The text held back, redacted: before any other event, and at the end of the stream. */
  flush(): string {
    const rest = this.pending;
    this.pending = "";
    return this.enabled ? redactOutputText(rest) : rest;
  }
}

/** The length of the longest prefix of `text` ending in whitespace that no redaction rule can match across; 0 if none. */
function lastSafeBoundary(text: string): number {
  for (let i = text.length - 1; i >= 0; i -= 1) {
    if (!/\s/.test(text[i]!)) continue;
    const before = /(\S+)\s*$/.exec(text.slice(0, i))?.[1];
    if (before === undefined) return i + 1;
    if (/[\d)]$/.test(before) || /^(?:bearer|basic)$/i.test(before)) continue;
    return i + 1;
  }
  return 0;
}
