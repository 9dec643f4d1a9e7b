import { StoreError } from "./errors.ts";

/**
 * Blob keys are `/`-separated paths such as `acme/sessions/0190…/events`. Every key the project
 * builds starts with the project id, and every part is escaped with `keySegment`, so a key of one
 * project can never equal (or be a prefix-path of) a key of another.
 */

export const MAX_BLOB_KEY_LENGTH = 512;
/** A lone UTF-16 surrogate has no UTF-8 form: two different ones would escape to the same bytes. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Throws `StoreError("invalid_key")` for keys no store accepts; returns the key unchanged otherwise. */
export function validateBlobKey(key: string): string {
  const problem = blobKeyProblem(key);
  if (problem) throw new StoreError("invalid_key", `invalid blob key ${JSON.stringify(key.slice(0, 80))}: ${problem}`);
  return key;
}

function blobKeyProblem(key: string): string | undefined {
  if (typeof key !== "string" || key.length === 0) return "empty";
  if (key.length > MAX_BLOB_KEY_LENGTH) return `longer than ${MAX_BLOB_KEY_LENGTH} characters (${key.length})`;
  if (key.includes("\0")) return "contains NUL";
  if (LONE_SURROGATE.test(key)) return "not well-formed text (lone surrogate)";
  if (key.includes("..")) return 'contains ".."';
  if (key.startsWith("/") || key.startsWith("\\") || /^[A-Za-z]:/.test(key)) return "absolute path";
  if (key.includes("\\")) return "contains a backslash";
  if (key.split("/").some((part) => part === "" || part === ".")) return 'has an empty or "." path part';
  return undefined;
}

/**
 * Escapes one key part: `[A-Za-z0-9_-]` stay, everything else (including `/`, `.`, `%`) becomes
 * `%XX` of its UTF-8 bytes. Injective, so distinct values give distinct parts.
 */
export function keySegment(value: string | number): string {
  const text = String(value);
  if (text.length === 0) throw new StoreError("invalid_key", "a blob key part cannot be empty");
  if (LONE_SURROGATE.test(text)) throw new StoreError("invalid_key", "a blob key part must be well-formed text");
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function join(parts: Array<string | number>): string {
  return validateBlobKey(parts.map(keySegment).join("/"));
}

function wholeMs(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new StoreError("invalid_key", `${name} must be a non-negative integer (ms), got ${value}`);
  return value;
}

/** The key builders used across the project. Components are escaped; the project id always comes first. */
export const blobKeys = {
  /** Everything of one project starts with this. */
  project: (project: string): string => join([project]),
  /**
   * One load of a session for one run (events, encoding, recording signals): each load has its own
   * key, so runs of the same session at once never delete each other's input.
   */
  loadedSession: (project: string, sessionId: string, loadId: string): string => join([project, "sessions", sessionId, "loaded", loadId]),
  /** A session summary for one cache key (focus area + analyst); see `summaryCacheKey`. */
  summary: (project: string, sessionId: string, cacheKey: string): string => join([project, "sessions", sessionId, "summaries", cacheKey]),
  /** A rendered clip (video or frames) of a session between two replay offsets. */
  clip: (project: string, sessionId: string, startMs: number, endMs: number): string => join([project, "sessions", sessionId, "clips", `${wholeMs("startMs", startMs)}-${wholeMs("endMs", endMs)}`]),
  /** A finished report. */
  report: (project: string, reportId: string): string => join([project, "reports", reportId]),
} as const;
