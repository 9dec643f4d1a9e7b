import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { LoadModelOptions } from "../llm/models.ts";
import type { PipelineAnalyst } from "../llm/analyst.ts";
import type { AppConfig } from "../config/env.ts";
import { DEFAULTS } from "../config/defaults.ts";
import type { SessionSource } from "../sources/types.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { createCheckpointer, type Checkpointer } from "../store/checkpointer.ts";
import { createBlobStore } from "../store/create-blob-store.ts";
import { listenHttp } from "../http/server.ts";
import type { Logger } from "../log/logger.ts";
import { createApp } from "./app.ts";
import type { ApiKeyAuth } from "./auth.ts";
import type { ProjectSpec } from "./projects.ts";
import { ServerServices } from "./services.ts";
import type { ServerWatchOptions } from "./watch.ts";

export interface StartServerOptions {
  config: AppConfig;
  projects: readonly ProjectSpec[];
  auth: ApiKeyAuth;
  /** Default: `config.server.host` / `config.server.port`; 0 picks a free port. */
  host?: string;
  port?: number;
  /** Instead of the configured ones (tests); the caller closes them. */
  checkpointer?: BaseCheckpointSaver;
  blobs?: BlobStore;
  models?: LoadModelOptions;
  /** Instead of the configured analyst (tests count its calls). */
  analyst?: PipelineAnalyst;
  sourceFor?: (project: ProjectSpec) => SessionSource;
  heartbeatMs?: number;
  /** Unexpected errors and failed runs, with their details; default stderr. */
  logger?: Logger;
  closeGraceMs?: number;
  /** Monitors, issues and alerts (the caller opens and closes the store); without it the watch routes answer 503. */
  watch?: ServerWatchOptions;
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:8020`. */
  url: string;
  port: number;
  services: ServerServices;
  /** e.g. `sqlite /app/.session-summaries/checkpoints.sqlite`; no password. */
  checkpointerDescription: string;
  /**
   * Stops accepting, aborts chat turns and report runs under way (their checkpoints keep what
   * finished), lets other requests finish within the grace time, then releases the stores. Safe to call twice.
   */
  close(): Promise<void>;
}

/** Opens the stores the config names (SQLite file by default, Postgres with a URL), builds the app and listens. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? options.config.server.host;
  const port = options.port ?? options.config.server.port;
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
      ...(options.models ? { models: options.models } : {}),
      ...(options.sourceFor ? { sourceFor: options.sourceFor } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.analyst ? { analyst: options.analyst } : {}),
      ...(options.watch ? { watch: options.watch } : {}),
    });
    const app = createApp({
      services,
      auth: options.auth,
      maxBodyBytes: options.config.server.maxBodyBytes,
      heartbeatMs: options.heartbeatMs ?? options.config.server.heartbeatMs,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    // Open event streams end when their turn is aborted (beforeDrain); the grace time covers the rest.
    const http = await listenHttp(app, {
      host,
      port,
      name: "the server",
      closeGraceMs: options.closeGraceMs ?? DEFAULTS.server.closeGraceMs,
      beforeDrain: () => services.close(),
      afterClose: async () => {
        await checkpointer?.close();
        await ownBlobs?.close();
      },
    });
    return {
      url: http.url,
      port: http.port,
      services,
      checkpointerDescription: checkpointer?.description ?? "checkpointer given by the caller",
      close: http.close,
    };
  } catch (error) {
    await checkpointer?.close();
    await ownBlobs?.close();
    throw error;
  }
}
