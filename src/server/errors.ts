import { SessionSummariesError } from "../domain/errors.ts";

/**
 * A request the API refuses, or a server that cannot start. `status` is the HTTP status; `code`
 * and the message go into the `{ "error": { code, message } }` body.
 */
export class ServerError extends SessionSummariesError {
  constructor(
    code: string,
    message: string,
    readonly status = 400,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export const notFound = (what: string): ServerError => new ServerError("not_found", `no ${what}`, 404);

export interface ErrorBody {
  error: { code: string; message: string };
}

/** Codes of errors raised below the server (report runs, sources, stores) that are the client's doing. */
const STATUS_BY_CODE: Record<string, number> = {
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
};

/**
 * Any thrown value as the HTTP error to answer with. Body-parser errors carry a `type`; our own
 * errors carry a code. Everything else is a 500 whose details stay in the log.
 */
export function toServerError(error: unknown, maxBodyBytes: number): ServerError {
  if (error instanceof ServerError) return error;
  const parserError = error as { type?: unknown; status?: unknown; message?: unknown } | undefined;
  switch (parserError?.type) {
    case "entity.parse.failed":
      return new ServerError("invalid_json", "the request body is not valid JSON (send a JSON object)", 400);
    case "entity.too.large":
      return new ServerError("payload_too_large", `the request body is larger than ${maxBodyBytes} bytes`, 413);
    case "encoding.unsupported":
    case "charset.unsupported":
      return new ServerError("unsupported_encoding", String(parserError.message ?? "unsupported encoding"), 415);
    case "request.aborted":
      return new ServerError("request_aborted", "the client aborted the request before its body was read", 400);
    case "request.size.invalid":
      return new ServerError("invalid_content_length", "the body does not match its Content-Length", 400);
  }
  if (error instanceof SessionSummariesError) {
    const status = STATUS_BY_CODE[error.code];
    if (status !== undefined) return new ServerError(error.code, error.message, status, { cause: error });
  }
  // Express's own client errors (e.g. a path parameter whose %-escapes do not decode) carry a 4xx status.
  const status = (error as { status?: unknown; statusCode?: unknown } | undefined)?.status ?? (error as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === "number" && Number.isInteger(status) && status >= 400 && status < 500) {
    if (error instanceof URIError || /^Failed to decode param/.test(String((error as { message?: unknown }).message))) {
      return new ServerError("invalid_url", "the URL has a %-escape that does not decode to UTF-8 text", 400, { cause: error });
    }
    return new ServerError("bad_request", `the request is not valid (HTTP ${status})`, status, { cause: error });
  }
  return new ServerError("internal_error", "internal error: the server logged the details", 500, { cause: error });
}

export function errorBody(error: ServerError): ErrorBody {
  return { error: { code: error.code, message: error.message } };
}

/** For the log only (stacks may name files and hosts): never sent to a client. */
export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
