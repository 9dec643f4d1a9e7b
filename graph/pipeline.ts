import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { AppConfig } from "../src/config/env.ts";
import { SessionSummarySchema, type SessionSummary } from "../src/domain/summary.ts";
import type { SessionSource } from "../src/sources/types.ts";
import type { BlobStore } from "../src/store/blob-store.ts";
import { createCheckpointer, type Checkpointer } from "../src/store/checkpointer.ts";
import { createBlobStore } from "../src/store/create-blob-store.ts";
import { SummaryCache } from "../src/store/summary-cache.ts";
import { DEFAULTS } from "../src/config/defaults.ts";
import { createPipelineAnalyst } from "./analysts.ts";
import type { PipelineAnalyst } from "./analyst.ts";
import type { LoadModelOptions } from "./models.ts";
import type { PipelineRuntime, PipelineSettings, ValidationRuntime } from "./runtime.ts";
import { createClipValidator, type ClipValidator } from "./validators.ts";
import { ClipRenderService } from "../src/render/clip-service.ts";
import type { ValidationMode } from "../src/domain/validation-mode.ts";
import { buildSummarizeGraph } from "./summarize/graph.ts";

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
}

/** A ready report pipeline: its runtime, the compiled report graph with its checkpointer, and how to close it all. */
export interface Pipeline {
  runtime: PipelineRuntime;
  graph: ReturnType<ReturnType<typeof buildSummarizeGraph>["compile"]>;
  close(): Promise<void>;
}

export async function createPipeline(options: PipelineOptions): Promise<Pipeline> {
  const validation = createValidationRuntime(options);
  const blobs = options.blobs ?? (await createBlobStore(options.config.store.blobs));
  let checkpointer: Checkpointer | undefined;
  try {
    const saver = options.checkpointer ?? (checkpointer = await createCheckpointer(options.config.store.checkpointer)).saver;
    const runtime: PipelineRuntime = {
      project: options.project ?? "local",
      source: options.source,
      blobs,
      summaries: new SummaryCache<SessionSummary>({ store: blobs, schema: SessionSummarySchema }),
      analyst: options.analyst ?? createPipelineAnalyst(options.config, options.models),
      settings: { ...DEFAULTS.pipeline, redactPii: options.config.redactPii, ...options.settings },
      ...(validation ? { validation } : {}),
    };
    return {
      runtime,
      graph: buildSummarizeGraph(runtime).compile({ checkpointer: saver }),
      async close() {
        await validation?.renderer.close();
        await checkpointer?.close();
        if (!options.blobs) await blobs.close();
      },
    };
  } catch (error) {
    await validation?.renderer.close();
    await checkpointer?.close();
    if (!options.blobs) await blobs.close();
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
