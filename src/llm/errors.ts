import { SessionSummariesError } from "../domain/errors.ts";

/**
 * Errors of model calls. Callers catch `ModelError` to count an item as failed; the subclasses say
 * whether retrying can help (`ModelCallError` with `timeout`/`provider_error`, `HallucinationError`)
 * or the output itself was unusable after the repair attempt (`ModelOutputError`).
 */
export class ModelError extends SessionSummariesError {}

export type ModelCallErrorCode = "timeout" | "aborted" | "provider_error";

/** The call itself failed: it timed out, was aborted, or the provider answered with an error. */
export class ModelCallError extends ModelError {
  constructor(
    override readonly code: ModelCallErrorCode,
    message: string,
    /** HTTP status of a provider error, when the provider gave one. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }

  /** Whether trying again can help: timeouts, rate limits, server errors and network failures can; bad requests, auth and aborts cannot. */
  get retryable(): boolean {
    if (this.code === "aborted") return false;
    if (this.code === "timeout" || this.status === undefined) return true;
    return this.status === 408 || this.status === 409 || this.status === 429 || this.status >= 500;
  }
}

/** The model answered, but even after one repair attempt the answer was not valid YAML of the expected shape. */
export class ModelOutputError extends ModelError {
  constructor(
    message: string,
    /** What was wrong with the last answer, one problem per entry. */
    readonly errors: string[],
    /** The last answer, for logs and debugging; may quote user data, so never show it to other projects. */
    readonly raw: string,
  ) {
    super("invalid_output", message);
  }
}

/** A summary cites too many event ids that are not in the session's table. */
export class HallucinationError extends ModelError {
  constructor(
    readonly unknownIds: string[],
    readonly citedCount: number,
    readonly ratio: number,
    readonly maxRatio: number,
  ) {
    super(
      "hallucinated_ids",
      `${unknownIds.length} of ${citedCount} cited event ids are not in the session (${Math.round(ratio * 100)}% > ${Math.round(maxRatio * 100)}%): ${unknownIds.slice(0, 5).join(", ")}`,
    );
  }
}
