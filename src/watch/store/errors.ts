import { SessionSummariesError } from "../../domain/errors.ts";
import { messageOf } from "../../store/errors.ts";

/**
 * A watch store problem. Codes: `watch_store_invalid_config` (a bad URL or schema name),
 * `watch_store_unavailable` (the file cannot be opened, the server cannot be reached),
 * `watch_store_migration_failed`, `watch_store_not_found` (an id this project does not have),
 * `watch_store_conflict` (a unique key taken, e.g. a second issue with the same fingerprint),
 * `watch_store_invalid_value` (a value that cannot be stored, e.g. a time that is not a date),
 * `watch_store_corrupt` (a stored row that does not decode), `watch_store_closed`, `watch_store_failed`
 * (the database answered with another error). Messages name the database, never a password.
 */
export class WatchStoreError extends SessionSummariesError {}

/** Which database a store is on, for messages: `SQLite /path/watch.sqlite`, `PostgreSQL at host:5432/db as user (schema s)`. */
export interface WatchStoreTarget {
  label: string;
  /** The URL's password, removed from every message that might echo it. */
  secret?: string;
}

/** Connection-level failures (refused, unknown host, timeout, auth, missing database, SQLite cannot open). */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ECONNRESET",
  "28P01",
  "28000",
  "3D000",
  "SQLITE_CANTOPEN",
  "SQLITE_BUSY",
  "SQLITE_READONLY",
  "SQLITE_NOTADB",
]);
/** Postgres unique_violation and SQLite's unique / primary-key constraint codes. */
const CONFLICT_CODES = new Set(["23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"]);

/** Any error of an operation as a `WatchStoreError` naming the database and the operation. */
export function watchStoreError(error: unknown, target: WatchStoreTarget, operation: string): WatchStoreError {
  if (error instanceof WatchStoreError) return error;
  const codes = [error, ...(error instanceof AggregateError ? error.errors : [])]
    .map((inner) => (inner as { code?: unknown } | undefined)?.code)
    .filter((code): code is string => typeof code === "string");
  const reason = messageOf(error, target.secret);
  if (codes.some((code) => CONFLICT_CODES.has(code))) {
    return new WatchStoreError("watch_store_conflict", `${target.label}: ${operation}: already exists: ${reason}`, { cause: error });
  }
  if (codes.some((code) => UNAVAILABLE_CODES.has(code)) || /timeout|terminated|Connection terminated/i.test(reason)) {
    return new WatchStoreError("watch_store_unavailable", `${target.label} is not available (${operation}): ${reason}`, { cause: error });
  }
  return new WatchStoreError("watch_store_failed", `${target.label}: ${operation} failed: ${reason}`, { cause: error });
}
