import { readConfig, type AppConfig } from "../config/env.ts";
import { SessionSummariesError } from "../domain/errors.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { openQueueConnection, type QueueConnection } from "../queue/connection.ts";
import { DEFAULT_QUEUE_PREFIX, checkQueuePrefix, parseQueueName, type QueueName } from "../queue/names.ts";
import { startRenderWorker, type RenderWorker } from "../service/workers/render-worker.ts";
import { startSessionWorker, type SessionWorker, type SessionWorkerOptions } from "../service/workers/session-worker.ts";
import { waitForStop } from "./stop-signal.ts";

export interface WorkerCommandOptions {
  /** `--queues sessions,render` (the default), `sessions` or `render`. */
  queues?: string;
  /** Session jobs run at once by this process (they mostly wait for models). */
  concurrency?: number;
  /** Render jobs at once: pages rendering in its one Chromium (CPU-bound); default 1. */
  renderConcurrency?: number;
  /** Dataset directory of the sessions (the `sessions` queue only); default SESSION_SUMMARIES_DATASET. */
  dataset?: string;
  /** The deployment's queue prefix (default SESSION_SUMMARIES_QUEUE_PREFIX, else `session-summaries-queue`). */
  prefix?: string;
  /** Lock and stalled-job check (tests: a SIGKILLed worker's job is taken over sooner). */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How long active jobs may take to finish after SIGTERM. */
  shutdownGraceMs?: number;
  /** For tests: configuration, logger, analyst and validation overrides, and a stop signal besides SIGINT/SIGTERM. */
  config?: AppConfig;
  logger?: Logger;
  pipeline?: SessionWorkerOptions["pipeline"];
  signal?: AbortSignal;
  /** Errors (stderr). */
  err?: (line: string) => void;
}

/**
 * `session-summaries worker`: processes session and/or render jobs from the BullMQ queues on
 * SESSION_SUMMARIES_QUEUE until SIGINT/SIGTERM, then takes no new job, lets the active ones of every queue
 * finish, closes its connections and returns. Exit code 0 after a stop; 2 on bad options or a Redis (or
 * blob store) that cannot be reached.
 */
export async function runWorker(options: WorkerCommandOptions = {}): Promise<number> {
  const err = options.err ?? ((line: string) => void process.stderr.write(`${line}\n`));
  let connection: QueueConnection | undefined;
  let sessions: SessionWorker | undefined;
  let render: RenderWorker | undefined;
  // Listening before anything slow, so a SIGTERM during start-up is a clean stop, not a kill; `done`
  // removes the signal handlers when the command returns early (bad options).
  const done = new AbortController();
  const stopped = waitForStop(options.signal ? AbortSignal.any([options.signal, done.signal]) : done.signal);
  try {
    const config = options.config ?? readConfig();
    const logger = options.logger ?? createLogger({ level: config.logLevel, bindings: { component: "worker", pid: process.pid } });
    // Both by default: a session job whose clips need rendering never waits for a render worker that is not there.
    const queues = parseQueues(options.queues ?? "sessions,render");
    if (queues.length === 0) {
      err("error: --queues names no queue: use sessions, render or sessions,render");
      return 2;
    }
    if (queues.includes("sweeps")) {
      err("error: the sweeps queue is served by `session-summaries watch`, not by workers: use sessions, render or sessions,render");
      return 2;
    }
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      err(`error: --concurrency must be a whole number ≥ 1, got ${options.concurrency}`);
      return 2;
    }
    const renderConcurrency = options.renderConcurrency ?? 1;
    if (!Number.isInteger(renderConcurrency) || renderConcurrency < 1) {
      err(`error: --render-concurrency must be a whole number ≥ 1, got ${options.renderConcurrency}`);
      return 2;
    }
    if (!config.queue) {
      err("error: no queue configured: set SESSION_SUMMARIES_QUEUE=redis://host:6379 (the Redis the servers enqueue session jobs on)");
      return 2;
    }
    // Render jobs carry their events (in the blob store): only session jobs read a dataset.
    const dataset = options.dataset ?? config.datasetDir;
    if (queues.includes("sessions") && !dataset) {
      err("error: no dataset: pass --dataset <dir> or set SESSION_SUMMARIES_DATASET (the sessions queue reads sessions from it)");
      return 2;
    }
    const prefix = checkQueuePrefix(options.prefix ?? config.queue.prefix ?? DEFAULT_QUEUE_PREFIX);
    connection = await openQueueConnection(config.queue.url, { role: "worker", connectionName: `session-summaries-worker-${process.pid}` });
    const locks = {
      ...(options.lockDurationMs !== undefined ? { lockDurationMs: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs !== undefined ? { stalledIntervalMs: options.stalledIntervalMs } : {}),
    };
    if (queues.includes("render")) {
      render = await startRenderWorker({ config, connection, prefix, logger: logger.child({ queue: "render" }), concurrency: renderConcurrency, ...locks });
      await render.worker.waitUntilReady();
    }
    if (queues.includes("sessions") && dataset) {
      sessions = startSessionWorker({
        config,
        connection,
        prefix,
        datasets: dataset
          .split(",")
          .map((d) => d.trim())
          .filter(Boolean),
        logger,
        concurrency,
        ...locks,
        ...(options.pipeline ? { pipeline: options.pipeline } : {}),
      });
      await sessions.worker.waitUntilReady();
    }
    logger.info({ redis: connection.maskedUrl, prefix, queues, concurrency, ...(sessions ? { dataset } : {}) }, "worker ready");
    const why = await stopped;
    logger.info({ why }, "worker stopping: no new jobs, finishing the active ones");
    // Sessions first: an active session job may be waiting for its clips, which this process's render worker
    // keeps rendering until the session worker is done.
    const closed = [await sessions?.close(options.shutdownGraceMs), await render?.close(options.shutdownGraceMs)];
    sessions = undefined;
    render = undefined;
    const finishedActive = closed.every((result) => result === undefined || result.finishedActive);
    logger.info({ finishedActive }, finishedActive ? "worker stopped" : "worker stopped before its active jobs finished: another worker takes them once their lock expires");
    return 0;
  } catch (error) {
    if (error instanceof SessionSummariesError) {
      err(`error: ${error.message}`);
      return 2;
    }
    throw error;
  } finally {
    done.abort();
    await Promise.all([sessions?.close(0), render?.close(0)]);
    await connection?.close();
  }
}

function parseQueues(value: string): QueueName[] {
  return [
    ...new Set(
      value
        .split(",")
        .filter((part) => part.trim() !== "")
        .map(parseQueueName),
    ),
  ];
}
