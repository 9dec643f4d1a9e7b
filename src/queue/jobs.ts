import type { EventEmitter } from "node:events";
import { Job, Queue, QueueEvents, Worker, type JobsOptions, type Processor } from "bullmq";
import type { QueueConnection } from "./connection.ts";
import { QueueError } from "./errors.ts";
import { checkQueuePrefix, type QueueName } from "./names.ts";

export const QUEUE_JOB_DEFAULTS = {
  /** Runs of a job before it stays failed (a poison job: a corrupt recording). */
  attempts: 3,
  /** First retry after this; each next one waits twice as long. */
  backoffMs: 2_000,
  /**
   * Completed jobs are kept this long so a job enqueued again (a resumed run) finds its result instead of
   * running again; the summary cache would make a rerun cheap, but not free.
   */
  keepCompletedSeconds: 24 * 3600,
  keepCompletedCount: 50_000,
  /** Failed jobs are kept this long for `queues status` and the report. */
  keepFailedSeconds: 7 * 24 * 3600,
  /** Job data is keys, never payloads: anything bigger is refused. */
  maxDataBytes: 4_096,
  /** Failure reasons are cut to this in errors and `queues status`. */
  maxReasonChars: 300,
  /** `waitForJob` reads the job's state this often in case an event was missed. */
  waitRecheckMs: 5_000,
} as const;

export interface JobRetryOptions {
  attempts?: number;
  backoffMs?: number;
  keepCompletedSeconds?: number;
  keepCompletedCount?: number;
  keepFailedSeconds?: number;
  maxDataBytes?: number;
}

/** BullMQ job options: attempts with exponential back-off, bounded retention, a size limit on data. */
export function jobOptions(options: JobRetryOptions = {}): JobsOptions {
  const attempts = options.attempts ?? QUEUE_JOB_DEFAULTS.attempts;
  if (!Number.isInteger(attempts) || attempts < 1) throw new QueueError("invalid_config", `job attempts must be a whole number ≥ 1, got ${attempts}`);
  const backoffMs = options.backoffMs ?? QUEUE_JOB_DEFAULTS.backoffMs;
  if (!Number.isFinite(backoffMs) || backoffMs < 0) throw new QueueError("invalid_config", `job back-off must be ≥ 0 ms, got ${backoffMs}`);
  return {
    attempts,
    backoff: { type: "exponential", delay: backoffMs },
    removeOnComplete: { age: options.keepCompletedSeconds ?? QUEUE_JOB_DEFAULTS.keepCompletedSeconds, count: options.keepCompletedCount ?? QUEUE_JOB_DEFAULTS.keepCompletedCount },
    removeOnFail: { age: options.keepFailedSeconds ?? QUEUE_JOB_DEFAULTS.keepFailedSeconds },
    sizeLimit: options.maxDataBytes ?? QUEUE_JOB_DEFAULTS.maxDataBytes,
  };
}

/** A queue to add jobs to and read counts from, on a producer (or worker) connection. */
export function createQueue<Data = unknown, Result = unknown>(connection: QueueConnection, name: QueueName, prefix: string, defaults: JobRetryOptions = {}): Queue<Data, Result> {
  const queue = new Queue<Data, Result>(name, { connection: connection.client, prefix: checkQueuePrefix(prefix), defaultJobOptions: jobOptions(defaults) });
  // Connection errors while ioredis reconnects (a Redis restart): without a listener BullMQ prints each one.
  // A command that fails for good rejects its own promise, so the caller still learns of it.
  queue.on("error", () => {});
  return queue;
}

/** A queue's events (completed, failed, progress), for `waitForJob`. Blocks on Redis: needs a worker connection. */
export function createQueueEvents(connection: QueueConnection, name: QueueName, prefix: string): QueueEvents {
  requireWorkerRole(connection, "QueueEvents");
  const events = new QueueEvents(name, { connection: connection.client, prefix: checkQueuePrefix(prefix) });
  // BullMQ reconnects by itself; an unhandled `error` event would crash the process.
  events.on("error", () => {});
  return events;
}

export interface WorkerOptions {
  concurrency?: number;
  /** Without a heartbeat for this long, a job is stalled and given to another worker (a SIGKILLed worker). */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for. */
  stalledIntervalMs?: number;
  /** Start processing at once (default) or only when `worker.run()` is called. */
  autorun?: boolean;
}

/** A worker on a worker connection; BullMQ gives it its own blocking connection. */
export function createWorker<Data = unknown, Result = unknown>(
  connection: QueueConnection,
  name: QueueName,
  prefix: string,
  processor: Processor<Data, Result>,
  options: WorkerOptions = {},
): Worker<Data, Result> {
  requireWorkerRole(connection, "a Worker");
  const worker = new Worker<Data, Result>(name, processor, {
    connection: connection.client,
    prefix: checkQueuePrefix(prefix),
    concurrency: options.concurrency ?? 1,
    autorun: options.autorun ?? true,
    ...(options.lockDurationMs !== undefined ? { lockDuration: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs !== undefined ? { stalledInterval: options.stalledIntervalMs } : {}),
  });
  worker.on("error", () => {});
  return worker;
}

function requireWorkerRole(connection: QueueConnection, what: string): void {
  if (connection.role !== "worker") throw new QueueError("invalid_config", `${what} blocks on Redis: open its connection with role "worker" (maxRetriesPerRequest null)`);
}

export interface EnqueuedJob<Data, Result> {
  job: Job<Data, Result>;
  /** False when a job with this id was already there (waiting, running, done or failed): nothing was added. */
  added: boolean;
}

/**
 * Adds a job under a deterministic id (`sessionJobId`, `renderJobId`) unless one with that id exists: the
 * same job enqueued twice is one job. With `retryFailed`, an existing failed job is retried (a resumed run
 * giving a failed session another chance); otherwise it is returned as it is and `waitForJob` reports its failure.
 */
export async function enqueueOnce<Data, Result>(
  queue: Queue<Data, Result>,
  name: string,
  data: Data,
  jobId: string,
  options: { jobOptions?: JobsOptions; retryFailed?: boolean } = {},
): Promise<EnqueuedJob<Data, Result>> {
  if (jobId.includes(":") || /^\d+$/.test(jobId)) throw new QueueError("invalid_job", `job id ${JSON.stringify(jobId)}: BullMQ ids may not contain ":" or be integers`, { jobId });
  const existing = await queue.getJob(jobId);
  if (existing) {
    if (options.retryFailed && (await existing.isFailed())) await existing.retry("failed");
    return { job: existing as Job<Data, Result>, added: false };
  }
  try {
    const job = (await queue.add(name as never, data as never, { ...options.jobOptions, jobId })) as Job<Data, Result>;
    return { job, added: true };
  } catch (error) {
    if (error instanceof Error && /exceeds the limit/.test(error.message)) {
      throw new QueueError("invalid_job", `job ${jobId}: its data is bigger than the limit: jobs carry keys, the payload belongs in the blob store`, { cause: error, jobId });
    }
    throw error;
  }
}

export interface WaitForJobOptions {
  signal?: AbortSignal;
  /** Progress the worker reports with `job.updateProgress`, streamed back through Redis. */
  onProgress?: (progress: unknown) => void;
  /** Reads the job's state this often besides listening for its events (0: never). */
  recheckMs?: number;
}

/**
 * The job's result once it completes; a `QueueError("job_failed")` with its reason once it has failed
 * after all its attempts (a retry in between does not count); `QueueError("aborted")` when `signal` aborts.
 * Listens first and then reads the job's state, so a job that finished before the call is not missed.
 */
export async function waitForJob<Data, Result>(queue: Queue<Data, Result>, job: Job<Data, Result> | string, queueEvents: QueueEvents, options: WaitForJobOptions = {}): Promise<Result> {
  const id = typeof job === "string" ? job : job.id;
  if (!id) throw new QueueError("invalid_job", "waitForJob needs a job with an id");
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  // BullMQ emits `<event>:<jobId>` for every event but types only the plain names.
  const events = queueEvents as unknown as EventEmitter;
  return new Promise<Result>((resolve, reject) => {
    let settled = false;
    let stopRecheck = () => {};
    const cleanup = () => {
      settled = true;
      stopRecheck();
      events.off(`completed:${id}`, onCompleted);
      events.off(`failed:${id}`, onFailed);
      events.off(`progress:${id}`, onProgressEvent);
      signal?.removeEventListener("abort", onAbort);
    };
    const succeed = (value: Result) => {
      if (settled) return;
      cleanup();
      resolve(value);
    };
    const fail = (error: unknown) => {
      if (settled) return;
      cleanup();
      reject(error);
    };
    const failed = async (reason: string | undefined) => {
      const current = await queue.getJob(id).catch(() => undefined);
      fail(failedError(queue.name, id, reason ?? current?.failedReason, current?.attemptsMade));
    };
    function onCompleted(args: { returnvalue: unknown }) {
      succeed(args.returnvalue as Result);
    }
    function onFailed(args: { failedReason: string }) {
      void failed(args.failedReason);
    }
    function onProgressEvent(args: { data: unknown }) {
      if (!settled) onProgress?.(args.data);
    }
    function onAbort() {
      fail(new QueueError("aborted", `stopped waiting for job ${id} of queue ${queue.name}: ${messageOfReason(signal?.reason)}`, { cause: signal?.reason, jobId: id }));
    }
    events.on(`completed:${id}`, onCompleted);
    events.on(`failed:${id}`, onFailed);
    if (onProgress) events.on(`progress:${id}`, onProgressEvent);
    signal?.addEventListener("abort", onAbort, { once: true });
    const check = async (): Promise<void> => {
      try {
        await queueEvents.waitUntilReady();
        // The state first, then the job: read the other way round, a job finishing in between shows
        // "completed" with the return value of before (null), or "failed" with stale attempts.
        const state = await queue.getJobState(id);
        if (settled) return;
        if (state === "unknown") return fail(new QueueError("job_missing", `job ${id} is not in queue ${queue.name} (removed, or never added)`, { jobId: id }));
        if (state !== "completed" && state !== "failed") return;
        const current = await queue.getJob(id);
        if (settled || !current) return;
        if (state === "completed") succeed(current.returnvalue);
        else fail(failedError(queue.name, id, current.failedReason, current.attemptsMade));
      } catch (error) {
        // A Redis blip while re-checking is not the job's failure: the next check or event settles it.
        if (!recheck) fail(error);
      }
    };
    // The first check catches a job that finished before we listened; the periodic one an event lost to
    // a QueueEvents that had not started reading yet, or to a stream trimmed during a long Redis outage.
    const recheckMs = options.recheckMs ?? QUEUE_JOB_DEFAULTS.waitRecheckMs;
    let recheck: NodeJS.Timeout | undefined;
    void check().then(() => {
      if (!settled && recheckMs > 0) {
        recheck = setInterval(() => void check(), recheckMs);
        recheck.unref();
      }
    });
    stopRecheck = () => clearInterval(recheck);
  });
}

function failedError(queueName: string, jobId: string, reason: string | undefined, attemptsMade: number | undefined): QueueError {
  const failedReason = cutReason(reason ?? "no reason given");
  const attempts = attemptsMade === undefined ? "" : ` after ${attemptsMade} attempt${attemptsMade === 1 ? "" : "s"}`;
  return new QueueError("job_failed", `job ${jobId} of queue ${queueName} failed${attempts}: ${failedReason}`, { jobId, failedReason, ...(attemptsMade === undefined ? {} : { attemptsMade }) });
}

/** A failure reason on one line, cut to `maxChars`: reasons are for people, and may be a long stack. */
export function cutReason(reason: string, maxChars: number = QUEUE_JOB_DEFAULTS.maxReasonChars): string {
  const line = reason.replace(/\s+/g, " ").trim();
  return line.length > maxChars ? `${line.slice(0, maxChars - 1)}…` : line;
}

function messageOfReason(reason: unknown): string {
  return reason instanceof Error ? reason.message : reason === undefined ? "aborted" : String(reason);
}
