import { createHash } from "node:crypto";
import { UnrecoverableError, type Job } from "bullmq";
import type { Logger } from "../../log/logger.ts";
import { RenderJobDataSchema, type RenderJobData, type RenderJobResult } from "../../queue/names.ts";
import type { RenderedClip } from "../../render/clip-renderer.ts";
import { RenderError } from "../../render/errors.ts";
import { QUEUED_RENDER_DEFAULTS, decodeRenderInput, describeClip, encodeRenderedClip, renderBlobKeys, type RenderSettings } from "../../render/queued-renderer.ts";
import type { ClipRenderer } from "../../render/renderer.ts";
import type { BlobStore } from "../../store/blob-store.ts";
import { WorkerJobError } from "./errors.ts";

/**
 * Render failures of the worker, not of the clip: another attempt (or another worker) may succeed.
 * Any other `RenderError` (no full snapshot, a replay that would not load or timed out) is the clip's
 * own, and renders the same way every time.
 */
const WORKER_RENDER_ERRORS = new Set(["chromium_not_found", "chromium_launch_failed", "pool_closed", "ffmpeg_not_found"]);

export interface RenderProcessorOptions {
  /** Where the clips' inputs are read and their results written: the store the clients share. */
  blobs: BlobStore;
  /** The renderer for clips with these settings (one per setting, Chromium started on its first clip). */
  rendererFor: (settings: RenderSettings) => ClipRenderer;
  logger: Logger;
}

/**
 * The processor of the `render` queue: reads the clip's input from the blob store, renders it and
 * stores the result, returning its key. Safe to run twice (BullMQ is at-least-once): a clip already
 * stored is returned as it is, unrendered. A clip that cannot be rendered for its own reasons (bad
 * events, a replay that does not load) fails at once with the reason; a worker's problem is retried.
 */
export function createRenderProcessor(options: RenderProcessorOptions): (job: Job<RenderJobData, RenderJobResult>) => Promise<RenderJobResult> {
  const { blobs } = options;
  return async function processRenderJob(job) {
    const data = parseJobData(job);
    const clipName = describeClip(data.sessionId, data);
    const log = options.logger.child({ job: job.id, project: data.project, session: data.sessionId, attempt: job.attemptsMade + 1 });
    try {
      if (await blobs.has(data.resultKey)) {
        log.info({ resultKey: data.resultKey }, "render job done: the clip was already rendered");
        return { resultKey: data.resultKey, cached: true };
      }
      const bytes = await blobs.get(data.inputKey);
      if (!bytes) throw new WorkerJobError("clip_input_missing", `job ${job.id}: the input of the ${clipName} is not in ${blobs.description} (${data.inputKey}): expired, or deleted by its client`);
      if (sha256(bytes) !== data.clipHash) throw new WorkerJobError("clip_input_mismatch", `job ${job.id}: the input of the ${clipName} at ${data.inputKey} does not hash to ${data.clipHash}`);
      const input = decodeRenderInput(bytes, `the ${clipName} (job ${job.id})`);
      log.info({ events: input.events.length, range: input.range }, "render job started");
      const started = performance.now();
      let rendered: RenderedClip;
      try {
        rendered = await options
          .rendererFor({ framesPerSecond: input.options.framesPerSecond, speed: input.options.speed })
          .render(input.events, input.range, { video: input.options.video, text: input.options.text });
      } catch (error) {
        if (error instanceof RenderError && !WORKER_RENDER_ERRORS.has(error.code)) {
          throw new WorkerJobError(error.code, `the ${clipName} cannot be rendered: ${error.message}`, { cause: error });
        }
        throw error;
      }
      const renderMs = Math.round(performance.now() - started);
      await blobs.put(data.resultKey, encodeRenderedClip(rendered), { ttlSeconds: QUEUED_RENDER_DEFAULTS.resultTtlSeconds });
      log.info({ resultKey: data.resultKey, frames: rendered.frames.length, framesHash: rendered.framesHash, renderMs }, "clip rendered");
      return { resultKey: data.resultKey, cached: false };
    } catch (error) {
      if (error instanceof WorkerJobError || (error instanceof RenderError && error.code === "invalid_clip_input")) {
        log.error({ code: error.code, reason: error.message }, "render job refused");
        throw new UnrecoverableError(error.message);
      }
      throw error;
    }
  };
}

function parseJobData(job: Job<RenderJobData, RenderJobResult>): RenderJobData {
  const parsed = RenderJobDataSchema.safeParse(job.data);
  const refuse = (why: string) => new UnrecoverableError(new WorkerJobError("invalid_job", `job ${job.id}: its data is not a render job: ${why}`).message);
  if (!parsed.success) throw refuse(parsed.error.issues.map((issue) => `${issue.path.join(".") || "data"}: ${issue.message}`).join("; "));
  const data = parsed.data;
  // The keys are the project's and the hash's: a job cannot make a worker read or write another project's blobs.
  const keys = renderBlobKeys(data.project, data.clipHash);
  if (data.inputKey !== keys.input || data.resultKey !== keys.result) throw refuse(`its keys are not those of clip ${data.clipHash} of project ${data.project}`);
  return data;
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
