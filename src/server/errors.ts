import { HttpError, toHttpError } from "../http/errors.ts";

export { errorBody, type ErrorBody } from "../http/errors.ts";

/** A request the API refuses, or a server that cannot start (see `HttpError`). */
export class ServerError extends HttpError {}

export const notFound = (what: string): ServerError => new ServerError("not_found", `no ${what}`, 404);

/** Codes of errors raised below the server (report runs, sources, stores) that are the client's doing. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  too_many_runs: 429,
  not_found: 404,
  report_not_found: 404,
  thread_not_found: 404,
  session_not_found: 404,
  invalid_selection: 400,
  invalid_input: 400,
  /** A key part no store accepts (a lone surrogate, an empty id): the request's ids. */
  invalid_key: 400,
  no_sessions: 400,
  busy: 409,
  /** The report service is shutting down: try again on the next server. */
  closed: 503,
  // Watching: issue actions (src/watch/actions.ts), sweeps (src/service/watch), the watch store.
  invalid_until: 400,
  invalid_action: 400,
  invalid_since: 400,
  monitor_not_found: 404,
  watch_store_not_found: 404,
  watch_store_unavailable: 503,
  watch_store_closed: 503,
};

/** Any thrown value as the API's HTTP error: see `toHttpError`; unexpected errors are a generic 500. */
export function toServerError(error: unknown, maxBodyBytes: number): HttpError {
  return toHttpError(error, { maxBodyBytes, statusByCode: STATUS_BY_CODE });
}
