import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { AppConfig } from "../src/config/env.ts";
import { SessionSummarySchema, type SessionSummary } from "../src/domain/summary.ts";
import type { SessionSource } from "../src/sources/types.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import { createCheckpointer, type Checkpointer } from "../src/store/checkpointer.ts";
import { createBlobStore } from "../src/store/create-blob-store.ts";
import { SummaryCache } from "../src/store/summary-cache.ts";
import { DEFAULTS } from "../src/config/defaults.ts";
import { configuredPrices } from "../src/watch/budget.ts";
import { createPipelineAnalyst } from "../src/llm/model-analyst.ts";
import type { PipelineAnalyst } from "../src/llm/analyst.ts";
import type { LoadModelOptions } from "../src/llm/models.ts";
import { createProviderLimits } from "../src/llm/provider-limits.ts";
import type { PipelineRuntime, PipelineSettings, ValidationRuntime } from "../src/runtime/runtime.ts";
import { createClipValidator, type ClipValidator } from "../src/llm/clip-validators.ts";
import { ClipRenderService } from "../src/render/clip-service.ts";
import { QueuedClipRenderer } from "../src/render/queued-renderer.ts";
import type { ValidationMode } from "../src/domain/validation-mode.ts";
import { ConfigError } from "../src/domain/errors.ts";
import { openQueueClient, type QueueClient } from "../src/queue/client.ts";
import { DEFAULT_QUEUE_PREFIX } from "../src/queue/names.ts";
import { StragglerWatch } from "../src/runtime/stragglers.ts";
import { buildSummarizeGraph, type ReportGraph } from "./summarize/graph.ts";

export interface PipelineOptions {
  config: AppConfig;
  source: SessionSource;
  /** Scopes every stored key; the CLI uses `local`. */
  project?: string;
  models?: LoadModelOptions;
  /** Instead of the configured ones (tests). */
  blobs?: BlobStore;
  checkpointer?: BaseCheckpointSaver;
  analyst?: PipelineAnalyst;
  settings?: Partial<PipelineSettings>;
  /** Instead of the configured `config.validation` (CLI `--validate`). */
  validation?: ValidationMode;
  /** Instead of the configured validator (tests). */
  validator?: ClipValidator;
  /**
   * Where the report graph's per-session branches run: `queue` (jobs for workers, the default with
   * SESSION_SUMMARIES_QUEUE) or `in-process` (the default without; always on a worker's own runtime).
   */
  sessions?: "queue" | "in-process";
}

/** A ready report pipeline: its runtime, the compiled report graph with its checkpointer, and how to close it all. */
export interface Pipeline {
  runtime: PipelineRuntime;
  graph: ReportGraph;
  close(): Promise<void>;
}

/** A runtime and how to release what it opened (the configured blob store, Chromium). */
export interface OpenRuntime {
  runtime: PipelineRuntime;
  close(): Promise<void>;
}

/**
 * The composition root of every surface (CLI, API, Studio): the runtime a run needs — source, blob
 * store, summary cache, analyst, settings, replay checks — as configured, with test overrides.
 */
export async function createRuntime(options: Omit<PipelineOptions, "checkpointer">): Promise<OpenRuntime> {
  // With a queue, every model call of every process on its Redis shares the configured provider budgets.
  const ownLimits = options.models?.limits ? undefined : createProviderLimits(options.config);
  const models: LoadModelOptions | undefined = ownLimits ? { ...options.models, limits: ownLimits } : options.models;
  let validation = createValidationRuntime({ ...options, models });
  let runtime: PipelineRuntime;
  let blobs: BlobStore | undefined;
  let queue: QueueClient | undefined;
  try {
    const queueConfig = options.config.queue;
    const sessionsOnQueue = (options.sessions ?? (queueConfig ? "queue" : "in-process")) === "queue";
    if (sessionsOnQueue && !queueConfig) throw new ConfigError("missing_queue", "sessions on a queue need SESSION_SUMMARIES_QUEUE=redis://host:6379");
    blobs = options.blobs ?? (await createBlobStore(options.config.store.blobs));
    // With a queue, the sessions go to workers and the clips to render workers; nothing opens Redis otherwise.
    if (queueConfig && (sessionsOnQueue || validation)) {
      queue = await openQueueClient(queueConfig.url, { prefix: queueConfig.prefix ?? DEFAULT_QUEUE_PREFIX, connectionName: `session-summaries-producer-${process.pid}` });
    }
    const project = options.project ?? "local";
    if (queue && validation) {
      const local = validation.renderer;
      validation = {
        ...validation,
        renderer: new QueuedClipRenderer({ client: queue, blobs, project, settings: { framesPerSecond: options.config.clip.framesPerSecond, speed: options.config.clip.speed } }),
      };
      // The in-process renderer was never started (Chromium starts on the first clip): nothing to keep.
      await local.close();
    }
    const analyst = options.analyst ?? createPipelineAnalyst(options.config, models);
    runtime = {
      project,
      source: options.source,
      blobs,
      summaries: new SummaryCache<SessionSummary>({ store: blobs, schema: SessionSummarySchema }),
      analyst,
      settings: {
        ...DEFAULTS.pipeline,
        triage: options.config.speed.triage,
        // A model summarizes (only then is there an offline triage): batches and percentiles need many sessions waiting together.
        sessionConcurrency: analyst.triage && (options.config.speed.batch || options.config.speed.hedge) ? DEFAULTS.pipeline.fastSessionConcurrency : DEFAULTS.pipeline.sessionConcurrency,
        ...(options.config.speed.hedge ? { earlyGather: { readyRatio: DEFAULTS.speed.hedge.gatherReadyRatio, graceMs: DEFAULTS.speed.hedge.stragglerGraceMs } } : {}),
        redactPii: options.config.redactPii,
        ...options.settings,
      },
      prices: configuredPrices(options.config.watch.pricesJson),
      ...(validation ? { validation } : {}),
      ...(queue && sessionsOnQueue ? { sessionQueue: queue } : {}),
    };
    // In process only: a queued session's work runs in a worker, where nothing could take it over late.
    if (runtime.settings.earlyGather && !runtime.sessionQueue) runtime.stragglers = new StragglerWatch(runtime.settings.earlyGather);
  } catch (error) {
    // Nothing opened for this runtime outlives its failed start.
    await validation?.renderer.close();
    if (!options.blobs) await blobs?.close();
    await queue?.close();
    await ownLimits?.close();
    throw error;
  }
  const openBlobs = blobs;
  return {
    runtime,
    async close() {
      runtime.stragglers?.close();
      await validation?.renderer.close();
      await queue?.close();
      if (!options.blobs) await openBlobs.close();
      await ownLimits?.close();
    },
  };
}

export async function createPipeline(options: PipelineOptions): Promise<Pipeline> {
  const open = await createRuntime(options);
  let checkpointer: Checkpointer | undefined;
  try {
    const saver = options.checkpointer ?? (checkpointer = await createCheckpointer(options.config.store.checkpointer)).saver;
    return {
      runtime: open.runtime,
      graph: buildSummarizeGraph(open.runtime).compile({ checkpointer: saver }),
      async close() {
        await open.close();
        await checkpointer?.close();
      },
    };
  } catch (error) {
    await open.close();
    throw error;
  }
}

/** Validation as configured (or overridden): the validator, and a renderer that starts Chromium only when a clip is needed. */
export function createValidationRuntime(options: Pick<PipelineOptions, "config" | "models" | "validation" | "validator">): ValidationRuntime | undefined {
  const mode = options.validation ?? options.config.validation;
  if (mode === "off") return undefined;
  const clip = options.config.clip;
  return {
    mode,
    validator: options.validator ?? createClipValidator(options.config, options.models, clip.speed),
    renderer: new ClipRenderService({ executablePath: options.config.chromiumPath, maxPages: clip.maxPages, framesPerSecond: clip.framesPerSecond, speed: clip.speed }),
    clip: { beforeEventMs: clip.beforeEventMs, lengthMs: clip.lengthMs },
  };
}
