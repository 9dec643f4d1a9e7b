import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { AppConfig } from "../config/env.ts";
import type { PipelineAnalyst } from "../llm/analyst.ts";
import type { LoadModelOptions } from "../llm/models.ts";
import type { Logger } from "../log/logger.ts";
import type { ProjectSpec } from "../server/projects.ts";
import { ServerServices } from "../server/services.ts";
import type { ServerWatchOptions } from "../server/watch.ts";
import { configuredSweeper } from "../service/watch/sweeper.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { createCheckpointer, type Checkpointer } from "../store/checkpointer.ts";
import { createBlobStore } from "../store/create-blob-store.ts";
import type { WatchStore } from "../watch/store/types.ts";

export interface OpenMcpServicesOptions {
  config: AppConfig;
  projects: readonly ProjectSpec[];
  logger: Logger;
  /** Monitors and issues (the caller opens and closes it); without it the watch tools are not offered. */
  watch?: WatchStore;
  /** Runs `backfill_monitor`; default a sweeper on the services' pipelines, as `serve` builds it. */
  sweeper?: ServerWatchOptions["sweeper"];
  /** Instead of the configured stores (tests); the caller closes them. */
  checkpointer?: BaseCheckpointSaver;
  blobs?: BlobStore;
  /** Model construction (tests: scripted fakes). */
  models?: LoadModelOptions;
  analyst?: PipelineAnalyst;
}

export interface OpenMcpServices {
  services: ServerServices;
  /** e.g. `sqlite …/checkpoints.sqlite`. */
  checkpointerDescription: string;
  /** Stops report runs under way and releases the stores this opened. */
  close(): Promise<void>;
}

/**
 * The API server's per-project services (pipelines, report runs, watch store) on the configured
 * stores: MCP runs reports exactly as the reports API does, under the same limits and keys.
 */
export async function openMcpServices(options: OpenMcpServicesOptions): Promise<OpenMcpServices> {
  let checkpointer: Checkpointer | undefined;
  let ownBlobs: BlobStore | undefined;
  try {
    const saver = options.checkpointer ?? (checkpointer = await createCheckpointer(options.config.store.checkpointer)).saver;
    const blobs = options.blobs ?? (ownBlobs = await createBlobStore(options.config.store.blobs));
    const services = new ServerServices({
      config: options.config,
      projects: options.projects,
      checkpointer: saver,
      blobs,
      logger: options.logger,
      ...(options.models ? { models: options.models } : {}),
      ...(options.analyst ? { analyst: options.analyst } : {}),
      ...(options.watch ? { watch: { store: options.watch, sweeper: options.sweeper ?? configuredSweeper(options.watch, options.config, options.logger) } } : {}),
    });
    return {
      services,
      checkpointerDescription: checkpointer?.description ?? "checkpointer given by the caller",
      async close() {
        await services.close();
        await checkpointer?.close();
        await ownBlobs?.close();
      },
    };
  } catch (error) {
    await checkpointer?.close();
    await ownBlobs?.close();
    throw error;
  }
}
