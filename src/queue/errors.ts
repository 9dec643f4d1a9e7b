import { SessionSummariesError } from "../domain/errors.ts";

/**
 * A queue problem. Codes: `invalid_config` (a bad URL or prefix), `unavailable` (Redis cannot be
 * reached), `invalid_job` (job data that is not keys, or too big), `job_failed` (the job failed
 * after all its attempts), `job_missing` (the job is gone from Redis), `aborted`.
 * Messages never contain a password: URLs are masked with `maskUrlPassword`.
 */
export class QueueError extends SessionSummariesError {
  constructor(
    code: string,
    message: string,
    options?: {
      cause?: unknown;
      /** The BullMQ job the error is about, when there is one. */
      jobId?: string;
      /** Why the job failed, as the worker reported it (already cut to a readable length). */
      failedReason?: string;
      attemptsMade?: number;
    },
  ) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.jobId = options?.jobId;
    this.failedReason = options?.failedReason;
    this.attemptsMade = options?.attemptsMade;
  }

  readonly jobId: string | undefined;
  readonly failedReason: string | undefined;
  readonly attemptsMade: number | undefined;
}
