import type { Worker } from "bullmq";
import type { AppConfig } from "../../config/env.ts";
import type { Logger } from "../../log/logger.ts";
import type { QueueConnection } from "../../queue/connection.ts";
import { createWorker, type WorkerOptions } from "../../queue/jobs.ts";
import { closeWorkerWithin, givenWorkerOptions, logWorkerEvents } from "./worker-lifecycle.ts";
import type { RenderJobData, RenderJobResult } from "../../queue/names.ts";
import { ClipRenderService } from "../../render/clip-service.ts";
import type { RenderSettings } from "../../render/queued-renderer.ts";
import type { BlobStore } from "../../store/blob-store.ts";
import { createBlobStore } from "../../store/create-blob-store.ts";
import { createRenderProcessor } from "./render-processor.ts";

export const RENDER_WORKER_DEFAULTS = {
  /**
   * On SIGTERM, active renders get this long to finish (a clip takes seconds); after it the worker stops
   * anyway and BullMQ hands the unfinished jobs to another worker once their lock expires.
   */
  shutdownGraceMs: 60_000,
} as const;

export interface RenderWorkerOptions extends WorkerOptions {
  config: AppConfig;
  /** A worker connection (`role: "worker"`). */
  connection: QueueConnection;
  prefix: string;
  logger: Logger;
  /** Instead of the configured blob store (tests); then the caller closes it. It must be the one the clients write to. */
  blobs?: BlobStore;
}

export interface RenderWorker {
  readonly worker: Worker<RenderJobData, RenderJobResult>;
  /** Renders done by this process (cache hits not counted). */
  readonly rendered: number;
  /**
   * Stops taking jobs, waits up to `graceMs` for the active ones, then closes the worker, Chromium and the
   * blob store it opened. The connection is the caller's.
   */
  close(graceMs?: number): Promise<{ finishedActive: boolean }>;
}

/**
 * A BullMQ worker on the `render` queue: one Chromium per process (started on the first clip, closed on
 * shutdown) with `concurrency` pages rendering at once. The blob store is opened (and checked) first, so
 * a store that cannot be reached fails the start, not every job.
 */
export async function startRenderWorker(options: RenderWorkerOptions): Promise<RenderWorker> {
  const { config, logger } = options;
  const blobs = options.blobs ?? (await createBlobStore(config.store.blobs));
  const concurrency = options.concurrency ?? 1;
  // Settings come with each clip (they are part of its address); a deployment uses one, so one Chromium.
  const renderers = new Map<string, ClipRenderService>();
  let rendered = 0;
  const rendererFor = (settings: RenderSettings): ClipRenderService => {
    const key = `${settings.framesPerSecond}@${settings.speed}`;
    let renderer = renderers.get(key);
    if (!renderer) {
      renderer = new ClipRenderService({ executablePath: config.chromiumPath, maxPages: concurrency, framesPerSecond: settings.framesPerSecond, speed: settings.speed });
      renderers.set(key, renderer);
    }
    return renderer;
  };
  const processor = createRenderProcessor({ blobs, rendererFor, logger });
  const worker = createWorker<RenderJobData, RenderJobResult>(
    options.connection,
    "render",
    options.prefix,
    async (job) => {
      const result = await processor(job);
      if (!result.cached) rendered += 1;
      return result;
    },
    { ...givenWorkerOptions(options), concurrency },
  );
  logWorkerEvents(worker, logger, "render");
  let closing: Promise<{ finishedActive: boolean }> | undefined;
  return {
    worker,
    get rendered() {
      return rendered;
    },
    close(graceMs = RENDER_WORKER_DEFAULTS.shutdownGraceMs) {
      closing ??= (async () => {
        const finished = await closeWorkerWithin(worker, graceMs);
        for (const renderer of renderers.values()) await renderer.close().catch(() => {});
        renderers.clear();
        if (!options.blobs) await blobs.close().catch(() => {});
        return { finishedActive: finished };
      })();
      return closing;
    },
  };
}
