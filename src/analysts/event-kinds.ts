import type { EventProperties } from "../domain/events.ts";
import { exceptionFactsOf } from "../encode/exceptions.ts";
import { DEFAULT_SITE, type SiteModel } from "./site.ts";
import { eventWords } from "./text.ts";

export { eventWords };

/**
 * What a product's own (custom) events and its exceptions say, read from names and properties
 * only. Names are compared as lower-case words: `order_completed`, `orderCompleted` and
 * `Order Completed` are the same event.
 */

/**
 * - `conversion`: the user reached a goal: a verb of completion (`campaign sent`, `draft saved`,
 *   `member invited`, `onboarding completed`, `order completed`, `signed up`), or a product map goal.
 * - `step`: a step toward one (`checkout started`, `plan selected`, `step 2 completed`, signed in).
 * - `failure`: the app answered an attempt with a failure the user sees (`coupon rejected`,
 *   `sign in failed`, `error: true`, a 4xx status).
 * - `server_error`: a request that failed on the server (5xx, `api error`): counted like an exception.
 * - `neutral`: impressions, views, heartbeats, scroll depth: context, not progress.
 */
export type CustomEventClass = "conversion" | "step" | "failure" | "server_error" | "neutral";

const FAILURE_WORDS = /\b(fail|fails|failed|failure|error|errors|errored|reject|rejected|invalid|denied|declined|unsuccessful|timeout|timed out|refused|not found|blocked|unavailable)\b/;
const SERVER_ERROR_WORDS = /\b(request|api|http|network|server|fetch|xhr)\b.*\b(fail|failed|failure|error)\b|\b(fail|failed|failure|error)\b.*\b(request|api|http|network|server)\b/;
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

/** Goals and steps are read through the site's vocabulary and product map (`site.ts`). */
export function classifyCustomEvent(name: string, properties: Record<string, unknown>, site: SiteModel = DEFAULT_SITE): CustomEventClass {
  const words = eventWords(name);
  const status = statusOfProperties(properties);
  const failed = FAILURE_WORDS.test(words) || reportsFailure(properties);
  if (failed) {
    if ((status !== undefined && status >= 500) || SERVER_ERROR_WORDS.test(words)) return "server_error";
    return "failure";
  }
  if (site.mappedGoals.has(words)) return "conversion";
  if (site.mappedSteps.has(words)) return "step";
  if (site.goalEvent.test(words)) return "conversion";
  if (site.stepEvent.test(words)) return "step";
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
