import type { EventProperties } from "../domain/events.ts";
import { exceptionFactsOf } from "../encode/exceptions.ts";

/**
 * What a product's own (custom) events and its exceptions say, read from names and properties
 * only. Names are compared as lower-case words: `order_completed`, `orderCompleted` and
 * `Order Completed` are the same event.
 */

/**
 * - `conversion`: the user reached a goal (order completed, purchase, sign-up done, subscribed).
 * - `step`: a step toward one (added to cart, checkout started, payment info entered, signed in).
 * - `failure`: the app answered an attempt with a failure the user sees (`coupon rejected`,
 *   `sign in failed`, `error: true`, a 4xx status).
 * - `server_error`: a request that failed on the server (5xx, `api error`): counted like an exception.
 * - `neutral`: impressions, views, heartbeats, scroll depth: context, not progress.
 */
export type CustomEventClass = "conversion" | "step" | "failure" | "server_error" | "neutral";

/** `order_completed`, `orderCompleted`, `Order-Completed` → `order completed`. */
export function eventWords(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

const FAILURE_WORDS =
  /\b(fail|fails|failed|failure|error|errors|errored|reject|rejected|invalid|denied|declined|unsuccessful|timeout|timed out|refused|not found|blocked|unavailable)\b/;
const SERVER_ERROR_WORDS = /\b(request|api|http|network|server|fetch|xhr)\b.*\b(fail|failed|failure|error)\b|\b(fail|failed|failure|error)\b.*\b(request|api|http|network|server)\b/;
const CONVERSION_WORDS = new RegExp(
  [
    String.raw`\b(order|purchase|checkout|payment|transaction)s? (completed?|placed|confirmed|succeeded|successful|success|done)\b`,
    String.raw`\b(completed?|placed|confirmed) (an? )?(order|purchase|checkout)\b`,
    String.raw`\bpurchased?\b`,
    String.raw`\b(sign ?up|signup|registration|account creation) (completed?|done|succeeded|finished)\b`,
    String.raw`\b(signed up|registered|account created|subscribed|subscription (started|created|activated)|trial started)\b`,
  ].join("|"),
);
const STEP_WORDS = new RegExp(
  [
    String.raw`\b(added|add) (item )?to (cart|bag|basket|wishlist)\b`,
    String.raw`\b(checkout (started|step|step completed|progressed)|started checkout|begin checkout|step completed)\b`,
    String.raw`\b(payment|shipping|billing|contact) (info|information|details) (entered|added|submitted|completed)\b`,
    String.raw`\b(coupon|promo|discount|voucher) (code )?(applied|redeemed|accepted)\b`,
    String.raw`\b(signed in|logged in|log in succeeded|login succeeded|sign in succeeded|authenticated)\b`,
    String.raw`\b(search performed|products searched|searched)\b`,
    String.raw`\b(form submitted|submitted|saved|created|uploaded|booked|scheduled|invited|shared|downloaded|updated)\b`,
  ].join("|"),
);

function numberOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^\d{3}$/.test(value.trim())) return Number(value);
  return undefined;
}

/** The HTTP status a custom event reports in its properties (`status`, `status_code`, `http_status`). */
export function statusOfProperties(properties: Record<string, unknown>): number | undefined {
  for (const key of ["status", "status_code", "statusCode", "http_status", "response_status"]) {
    const status = numberOf(properties[key]);
    if (status !== undefined && status >= 100 && status < 600) return status;
  }
  return undefined;
}

function reportsFailure(properties: Record<string, unknown>): boolean {
  const error = properties.error ?? properties.failed;
  if (error === true || error === "true") return true;
  if (typeof error === "string" && error.trim() !== "" && error !== "false") return true;
  if (properties.success === false || properties.ok === false || properties.success === "false") return true;
  const status = statusOfProperties(properties);
  return status !== undefined && status >= 400;
}

export function classifyCustomEvent(name: string, properties: Record<string, unknown>): CustomEventClass {
  const words = eventWords(name);
  const status = statusOfProperties(properties);
  const failed = FAILURE_WORDS.test(words) || reportsFailure(properties);
  if (failed) {
    if ((status !== undefined && status >= 500) || SERVER_ERROR_WORDS.test(words)) return "server_error";
    return "failure";
  }
  if (CONVERSION_WORDS.test(words)) return "conversion";
  if (STEP_WORDS.test(words)) return "step";
  return "neutral";
}

/** A failure the analysis treats like an exception: an `$exception`, or a custom server-error event. */
export interface FailureFacts {
  /** `TypeError`, `Error`, or the custom event's name. */
  type: string;
  message: string;
  /** `Type: message` as reported (not yet cleaned for quoting). */
  display: string;
  /** Type and message with numbers, ids, URLs' hosts and quoted values normalized: the same bug gives the same key. */
  key: string;
  /** HTTP status when the failure names one. */
  status?: number;
}

const STATUS_IN_TEXT =
  /\b(?:status(?:\s+code)?|http(?:\s+error)?|failed with|returned|responded with|response code)\s*[:=#]?\s*([1-5]\d{2})\b|\b([45]\d{2})\s*[:(-]?\s*(?:bad request|unauthori[sz]ed|forbidden|not found|request timeout|conflict|too many requests|internal server error|bad gateway|service unavailable|gateway time-?out)\b/i;

export function statusInText(text: string): number | undefined {
  const match = STATUS_IN_TEXT.exec(text);
  const status = match ? Number(match[1] ?? match[2]) : undefined;
  return status !== undefined && status >= 400 ? status : undefined;
}

/** A quoted identifier (`'total'`, `"sku"`, `'Chatly.boot'`) names code and stays; other quoted text is a value. */
const QUOTED_IDENTIFIER = /^[A-Za-z_$][\w$.-]{0,39}$/;

/**
 * An error message reduced to what identifies the bug: lower case; URLs to their path; quoted
 * values (anything quoted that is not a short identifier: user input, ids, sentences), uuids, long
 * hex ids and numbers replaced by placeholders; whitespace collapsed. Quoted identifiers stay:
 * `reading 'total'` and `reading 'sku'` are different bugs.
 */
export function normalizeErrorText(text: string): string {
  return text
    .replace(/'([^']*)'|"([^"]*)"|`([^`]*)`|“([^”]*)”|‘([^’]*)’/g, (quoted, ...groups: Array<string | undefined>) => {
      const inner = groups.slice(0, 5).find((group) => group !== undefined) ?? "";
      return QUOTED_IDENTIFIER.test(inner) && !/\d{3,}/.test(inner) ? `'${inner}'` : "'?'";
    })
    .toLowerCase()
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^/\s)'"]+/g, "")
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, "<id>")
    .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/g, "<id>")
    .replace(/[\w.+-]+@[\w-]+\.[\w.]+/g, "<email>")
    .replace(/\d+(?:\.\d+)?/g, "<n>")
    .replace(/\s+/g, " ")
    .trim();
}

export function exceptionFailureOf(properties: EventProperties): FailureFacts {
  const facts = exceptionFactsOf(properties);
  const type = facts.types[0] ?? "";
  const message = facts.values[0] ?? "";
  const display = type && message ? `${type}: ${message}` : type || message || "unknown exception";
  const key = type || message ? normalizeErrorText(display) : `fingerprint:${facts.fingerprint}`;
  const status = statusInText(display);
  return { type: type || "Error", message, display, key, ...(status !== undefined ? { status } : {}) };
}

export function serverErrorFailureOf(name: string, properties: Record<string, unknown>): FailureFacts {
  const status = statusOfProperties(properties);
  const path = typeof properties.path === "string" ? properties.path : typeof properties.url === "string" ? properties.url : "";
  const message = [status !== undefined ? `status ${status}` : "", path].filter(Boolean).join(" ");
  const display = message ? `${name}: ${message}` : name;
  return { type: name, message, display, key: normalizeErrorText(`${eventWords(name)} ${path}`), ...(status !== undefined ? { status } : {}) };
}
