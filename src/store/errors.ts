import { SessionSummariesError } from "../domain/errors.ts";

/**
 * A blob store, cache or checkpointer problem. Codes: `invalid_key`, `invalid_value` (bad JSON or a
 * schema mismatch), `corrupt` (stored bytes that do not decode), `too_large`, `invalid_config`,
 * `unavailable` (a service that cannot be reached), `backend_error` (a service that answered with an
 * error), `unwritable` (a path we cannot write), `closed`.
 * Messages never contain a password: URLs are masked with `maskUrlPassword`.
 */
export class StoreError extends SessionSummariesError {}

/**
 * `redis://user:secret@host` → `redis://user:***@host`. Also handles strings `URL` cannot parse, so a
 * malformed URL in an error message still hides its password.
 */
export function maskUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === "") return url;
    parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/(\/\/[^/:@\s]*:)[^@\s]*@/, "$1***@");
  }
}

/** `host:port` of a service URL, for error messages that must name the server but not the credentials. */
export function describeEndpoint(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || "localhost"}:${parsed.port || defaultPort}`;
  } catch {
    return maskUrlPassword(url);
  }
}

/** The message of anything thrown, with a secret (a URL password) removed if it appears. */
export function messageOf(error: unknown, secret?: string): string {
  const message =
    error instanceof AggregateError && error.errors.length > 0
      ? error.errors.map((inner) => (inner instanceof Error ? inner.message : String(inner))).join("; ")
      : error instanceof Error
        ? error.message || (error as NodeJS.ErrnoException).code || error.name
        : String(error);
  return secret ? message.split(secret).join("***") : message;
}
