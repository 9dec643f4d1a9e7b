import { HttpError } from "../http/errors.ts";

/**
 * A capture request could not be accepted (bad body, wrong route or method, wrong token), or the
 * capture server could not do its job (cannot write the dataset). See `HttpError`: `status` is the
 * HTTP status, `code` and the message go into the `{ error: { code, message } }` body.
 */
export class CaptureError extends HttpError {}
