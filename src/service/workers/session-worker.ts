import path from "node:path";
import type { Worker } from "bullmq";
import { createRuntime, type OpenRuntime, type PipelineOptions } from "../../../graph/pipeline.ts";
import type { AppConfig } from "../../config/env.ts";
import type { Logger } from "../../log/logger.ts";
import type { QueueConnection } from "../../queue/connection.ts";
import { createWorker, type WorkerOptions } from "../../queue/jobs.ts";
import { closeWorkerWithin, givenWorkerOptions, logWorkerEvents } from "./worker-lifecycle.ts";
import type { SessionJobData } from "../../queue/names.ts";
import type { PipelineRuntime } from "../../runtime/runtime.ts";
import { DatasetSource } from "../../sources/dataset.ts";
import { WorkerJobError } from "./errors.ts";
import { createSessionProcessor, type SessionJobOutcome } from "./session-processor.ts";

export const SESSION_WORKER_DEFAULTS = {
  /**
   * On SIGTERM, active jobs get this long to finish; after it the worker stops anyway and BullMQ hands
   * the unfinished jobs to another worker once their lock expires (the job id keeps them to one run).
   */
  shutdownGraceMs: 60_000,
} as const;

export interface SessionWorkerOptions extends WorkerOptions {
  config: AppConfig;
  /** A worker connection (`role: "worker"`). */
  connection: QueueConnection;
  prefix: string;
  /** The dataset directories the sessions are read from (a job names its own; the first serves jobs that name none). */
  datasets: readonly string[];
  logger: Logger;
  /** Instead of the configured ones (tests): analyst, validation mode, blob store... */
  pipeline?: Partial<Omit<PipelineOptions, "config" | "source" | "project" | "checkpointer">>;
}

export interface SessionWorker {
  readonly worker: Worker<SessionJobData, SessionJobOutcome>;
  /**
   * Stops taking jobs, waits up to `graceMs` for the active ones, then closes the worker and the
   * runtimes (blob stores, Chromium). The connection is the caller's.
   */
  close(graceMs?: number): Promise<{ finishedActive: boolean }>;
}

/** A BullMQ worker on the `sessions` queue, with one runtime per project built on its first job. */
export function startSessionWorker(options: SessionWorkerOptions): SessionWorker {
  const datasets = options.datasets.map((dataset) => path.resolve(dataset));
  if (datasets.length === 0) throw new WorkerJobError("invalid_config", "a session worker needs at least one dataset directory");
  const runtimes = new Map<string, Promise<OpenRuntime>>();
  const runtimeFor = async (project: string, dataset: string): Promise<PipelineRuntime> => {
    const key = `${project}\u0000${dataset}`;
    let open = runtimes.get(key);
    if (!open) {
      // The worker runs the sessions itself: its runtime never sends them back to the queue.
      open = createRuntime({ config: options.config, source: new DatasetSource(dataset), project, ...options.pipeline, sessions: "in-process" });
      runtimes.set(key, open);
      // A runtime that failed to open (a blob store down) is tried again by the next job, not cached as broken.
      open.catch(() => runtimes.delete(key));
    }
    return (await open).runtime;
  };
  const logger = options.logger;
  const processor = createSessionProcessor({ runtimeFor, datasets, logger });
  const worker = createWorker<SessionJobData, SessionJobOutcome>(options.connection, "sessions", options.prefix, processor, givenWorkerOptions(options));
  logWorkerEvents(worker, logger, "session");
  let closing: Promise<{ finishedActive: boolean }> | undefined;
  return {
    worker,
    close(graceMs = SESSION_WORKER_DEFAULTS.shutdownGraceMs) {
      closing ??= (async () => {
        const finished = await closeWorkerWithin(worker, graceMs);
        for (const open of runtimes.values()) await (await open.catch(() => undefined))?.close().catch(() => {});
        runtimes.clear();
        return { finishedActive: finished };
      })();
      return closing;
    },
  };
}
