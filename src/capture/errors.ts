import { SessionSummariesError } from "../domain/errors.ts";

/**
 * A capture request could not be accepted (bad body, wrong route or method, wrong token), or the
 * capture server could not do its job (cannot write the dataset). `status` is the HTTP status the
 * server answers with; `code` goes into the `{ error: { code, message } }` body.
 */
export class CaptureError extends SessionSummariesError {
  constructor(
    code: string,
    message: string,
    readonly status = 400,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
