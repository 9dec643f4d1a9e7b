import type { EventProperties } from "../domain/events.ts";

/**
 * Which exceptions reach the model. Most exceptions a browser reports are background noise that
 * the user never notices (extensions, hydration warnings, third-party scripts); listing them made
 * the original system "cry wolf". An exception is kept when it is
 * - recurring: its fingerprint (else type + message) occurs at least `recurringExceptionMin` times
 *   in the session, or
 * - network/auth related: a keyword below appears as a word in its types, messages, function names
 *   or source files, or its type/message carries an HTTP 4xx/5xx status. HTTP methods count only
 *   as methods (`POST` in upper case in a message, or a whole function name like `api.post`):
 *   `postMessage` and `putImageData` failures are classic background noise. Failed code downloads
 *   (`ChunkLoadError`) count as network failures.
 * Everything else is dropped and counted.
 */

export interface ExceptionFacts {
  types: string[];
  values: string[];
  functions: string[];
  sources: string[];
  /** What makes two exceptions "the same" for the recurrence count. */
  fingerprint: string;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string" && item !== "") : [];
}

function stringOf(value: unknown): string[] {
  return typeof value === "string" && value !== "" ? [value] : [];
}

function uniq(values: string[]): string[] {
  return [...new Set(values)];
}

/** Types, messages, stack function names and source files, from `$exception_list` or the flat properties. */
export function exceptionFactsOf(properties: EventProperties): ExceptionFacts {
  const list = properties.$exception_list ?? [];
  const frames = list.flatMap((entry) => entry.stacktrace?.frames ?? []);
  const loose = properties as Record<string, unknown>;
  const types = uniq([...list.flatMap((entry) => stringOf(entry.type)), ...strings(properties.$exception_types), ...stringOf(loose.$exception_type)]);
  const values = uniq([...list.flatMap((entry) => stringOf(entry.value)), ...strings(properties.$exception_values), ...stringOf(loose.$exception_message)]);
  const functions = uniq([...frames.flatMap((frame) => stringOf(frame.function)), ...strings(properties.$exception_functions)]);
  const sources = uniq([...frames.flatMap((frame) => stringOf(frame.filename)), ...strings(properties.$exception_sources)]);
  const fingerprint = properties.$exception_fingerprint || `${types[0] ?? ""}\u0000${values[0] ?? ""}`;
  return { types, values, functions, sources, fingerprint };
}

/** `Type: message` of the first exception, for the table's exception cell. */
export function describeException(facts: ExceptionFacts): string {
  const [type = "", value = ""] = [facts.types[0], facts.values[0]];
  return type && value ? `${type}: ${value}` : type || value;
}

const NETWORK_WORDS = new Set([
  "api",
  "apis",
  "http",
  "https",
  "fetch",
  "request",
  "response",
  "xhr",
  "ajax",
  "socket",
  "websocket",
  "auth",
  "oauth",
  "token",
  "tokens",
  "login",
  "logout",
  "signin",
  "network",
  "cors",
  "unauthorized",
  "forbidden",
]);
// Word stems: `fetching`, `requested`, `authentication`, `unauthenticated`, `networkerror`, `XMLHttpRequest`.
const NETWORK_STEMS = ["fetch", "request", "respons", "auth", "unauth", "websocket", "network", "login", "xmlhttp"];
const HTTP_METHOD_IN_MESSAGE = /\b(?:GET|POST|PUT|PATCH|DELETE)\s+(?:https?:\/\/|\/)|\b(?:POST|PUT|PATCH|DELETE)\b/;
const HTTP_METHOD_FUNCTION = /(?:^|\.)(?:post|put|patch|delete)$/i;
// `GraphQL` splits into graph + ql as camelCase, so it is matched as a phrase. Code that fails to
// download (webpack/Vite chunks, Safari's module import) is a network failure the user usually sees.
const NETWORK_PHRASES = /failed to fetch|load failed|network ?error|graphql|chunkloaderror|loading (?:css )?chunk \S+ failed|dynamically imported module|importing a module script failed/i;
const STATUS_CODE_WITH_CONTEXT =
  /\b(?:status(?:\s+code)?(?:\s+of)?|http(?:\s+error)?|error\s+code|response\s+code)\s*[:=#]?\s*[45]\d{2}\b|\b[45]\d{2}\s*[:(-]?\s*(?:bad request|unauthori[sz]ed|forbidden|not found|request timeout|conflict|too many requests|internal server error|bad gateway|service unavailable|gateway time-?out)\b/i;
// `https://` in a message or file name is where it came from, not what went wrong.
const URL_SCHEME = /\b[a-z][a-z0-9+.-]*:\/\//gi;

/** Lowercase words of identifiers and text: `fetchUserAPI` → fetch, user, api; `XMLHttpRequest` → xml, http, request. */
export function wordsOf(text: string): string[] {
  return text
    .replace(URL_SCHEME, " ")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function isNetworkWord(word: string): boolean {
  return NETWORK_WORDS.has(word) || NETWORK_STEMS.some((stem) => word.startsWith(stem));
}

export function isNetworkOrAuthRelated(facts: ExceptionFacts): boolean {
  const messages = [...facts.types, ...facts.values];
  if (messages.some((text) => NETWORK_PHRASES.test(text) || STATUS_CODE_WITH_CONTEXT.test(text) || HTTP_METHOD_IN_MESSAGE.test(text))) {
    return true;
  }
  if (facts.functions.some((name) => HTTP_METHOD_FUNCTION.test(name))) return true;
  return [...messages, ...facts.functions, ...facts.sources].some((text) => wordsOf(text).some(isNetworkWord));
}
