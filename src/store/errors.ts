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

/**
 * A service URL parsed and checked for one of `protocols` (e.g. `["redis:", "rediss:"]`); an
 * `invalid_config` `StoreError` naming `service` otherwise, with the password masked.
 */
export function parseServiceUrl(url: string, service: string, protocols: readonly string[]): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreError("invalid_config", `not a ${service} URL: ${maskUrlPassword(url)}`);
  }
  if (!protocols.includes(parsed.protocol)) {
    const allowed = protocols.map((protocol) => `${protocol}//`).join(" or ");
    throw new StoreError("invalid_config", `a ${service} URL must start with ${allowed}, got ${maskUrlPassword(url)}`);
  }
  return parsed;
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
