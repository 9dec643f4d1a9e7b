import type { Worker } from "bullmq";
import type { Logger } from "../../log/logger.ts";
import { cutReason, type WorkerOptions } from "../../queue/jobs.ts";

/** The BullMQ options a worker command was given, without the ones it left unset. */
export function givenWorkerOptions(options: WorkerOptions): WorkerOptions {
  return {
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.lockDurationMs !== undefined ? { lockDurationMs: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs !== undefined ? { stalledIntervalMs: options.stalledIntervalMs } : {}),
    ...(options.autorun !== undefined ? { autorun: options.autorun } : {}),
  };
}

/** Logs a worker's failed attempts, stalled jobs and connection errors as `<kind> job …` lines. */
export function logWorkerEvents(worker: Worker, logger: Logger, kind: "session" | "render"): void {
  worker.on("failed", (job, error) => {
    logger.warn({ job: job?.id, attempts: job?.attemptsMade, reason: cutReason(error.message) }, `${kind} job attempt failed`);
  });
  worker.on("stalled", (jobId) => logger.warn({ job: jobId }, `${kind} job stalled (its worker stopped): given to another worker`));
  worker.on("error", (error) => logger.error({ err: error }, "worker error (BullMQ reconnects by itself)"));
}

/**
 * Stops a worker: no new job, up to `graceMs` for the active ones, then closed anyway (the unfinished
 * jobs keep their lock until it expires, then BullMQ gives them to another worker). Resolves whether
 * the active jobs finished.
 */
export async function closeWorkerWithin(worker: Worker, graceMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    worker.close().then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (!finished) await worker.close(true).catch(() => {});
  return finished;
}
