import type { ErrorRequestHandler } from "express";
import { SessionSummariesError } from "../domain/errors.ts";
import type { Logger } from "../log/logger.ts";

/**
 * A request an HTTP server of ours refuses, or a server that cannot start. `status` is the HTTP
 * status; `code` and the message go into the `{ "error": { code, message } }` body, so the message
 * is written for the client. Each server names its own subclass (`ServerError`, `CaptureError`).
 */
export class HttpError extends SessionSummariesError {
  constructor(
    code: string,
    message: string,
    readonly status = 400,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export interface ToHttpErrorOptions {
  /** The body limit, for the message of a body that is too large. */
  maxBodyBytes: number;
  /**
   * Codes of errors raised below the server (services, sources, stores) that are the client's doing,
   * with their status: their message is sent. Any other error is a 500 with a generic message.
   */
  statusByCode?: Readonly<Record<string, number>>;
}

/** The message of every 500 whose cause is not ours to tell: the details go to the log only. */
export const INTERNAL_ERROR_MESSAGE = "internal error: the server logged the details";

/**
 * Any thrown value as the HTTP error to answer with. Body-parser errors carry a `type`; our own
 * errors carry a code; Express's client errors carry a 4xx status. Everything else is a 500 whose
 * message says nothing of the cause (messages of unexpected errors may name files, hosts, queries).
 */
export function toHttpError(error: unknown, options: ToHttpErrorOptions): HttpError {
  if (error instanceof HttpError) return error;
  const parserError = error as { type?: unknown; message?: unknown } | undefined;
  switch (parserError?.type) {
    case "entity.parse.failed":
      return new HttpError("invalid_json", "the request body is not valid JSON (send a JSON object)", 400);
    case "entity.too.large":
      return new HttpError("payload_too_large", `the request body is larger than ${options.maxBodyBytes} bytes`, 413);
    case "encoding.unsupported":
      return new HttpError("unsupported_content_encoding", String(parserError.message ?? "unsupported content encoding"), 415);
    case "charset.unsupported":
      return new HttpError("unsupported_charset", String(parserError.message ?? "unsupported charset"), 415);
    case "request.aborted":
      return new HttpError("request_aborted", "the client aborted the request before its body was read", 400);
    case "request.size.invalid":
      return new HttpError("invalid_content_length", "the body does not match its Content-Length", 400);
  }
  if (error instanceof SessionSummariesError) {
    const status = options.statusByCode?.[error.code];
    if (status !== undefined) return new HttpError(error.code, error.message, status, { cause: error });
  }
  // Express's own client errors (e.g. a path parameter whose %-escapes do not decode) carry a 4xx status.
  const status = (error as { status?: unknown } | undefined)?.status ?? (error as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === "number" && Number.isInteger(status) && status >= 400 && status < 500) {
    if (error instanceof URIError || /^Failed to decode param/.test(String((error as { message?: unknown }).message))) {
      return new HttpError("invalid_url", "the URL has a %-escape that does not decode to UTF-8 text", 400, { cause: error });
    }
    return new HttpError("bad_request", `the request is not valid (HTTP ${status})`, status, { cause: error });
  }
  return new HttpError("internal_error", INTERNAL_ERROR_MESSAGE, 500, { cause: error });
}

/**
 * The body a client gets. A 500 is a failure of ours, never the client's doing, and its message
 * may carry a wrapped error's (a file path, a host): only its code goes out, the rest to the log.
 */
export function errorBody(error: HttpError): ErrorBody {
  return { error: { code: error.code, message: error.status === 500 ? INTERNAL_ERROR_MESSAGE : error.message } };
}

export interface ErrorHandlerOptions extends ToHttpErrorOptions {
  /** Gets every 5xx with the original error (stack included); clients never see it. */
  logger: Logger;
  /** Sees every answered error (e.g. counts rejections). */
  onError?: (error: HttpError) => void;
}

/** The last Express middleware of a server: the error as `{ error: { code, message } }`, details to the log. */
export function errorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const problem = toHttpError(error, options);
    options.onError?.(problem);
    if (problem.status >= 500) options.logger.error({ err: error, method: req.method, path: req.path }, `error ${req.method} ${req.path}`);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(problem.status).json(errorBody(problem));
  };
}
