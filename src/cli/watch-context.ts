import path from "node:path";
import { createPipeline, type Pipeline, type PipelineOptions } from "../../graph/pipeline.ts";
import { readConfig, type AppConfig } from "../config/env.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { ConfigError } from "../domain/errors.ts";
import type { ValidationMode } from "../domain/validation-mode.ts";
import { WatchSweeper, type WatchSweeperOptions } from "../service/watch/sweeper.ts";
import { DatasetSource } from "../sources/dataset.ts";
import { systemClock, type Clock } from "../watch/clock.ts";
import { openWatchStore } from "../watch/store/open.ts";
import type { WatchStore } from "../watch/store/types.ts";

/** The terminal's project: the same as the keyless local project of `serve` (and `chat`). */
export const CLI_PROJECT = DEFAULTS.server.localProject;

/** Where a watch command writes: results to `out` (stdout), progress and questions to `err` (stderr). */
export interface WatchIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: WatchIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** What every watch command may be given; tests pass a configuration, a clock and pipeline overrides. */
export interface WatchCommandOptions {
  json?: boolean;
  config?: AppConfig;
  clock?: Clock;
  io?: WatchIo;
  /** Only for commands that sweep or estimate: the dataset (default `SESSION_SUMMARIES_DATASET`). */
  dataset?: string;
  validation?: ValidationMode;
  pipeline?: Partial<Omit<PipelineOptions, "config" | "source" | "project">>;
  sweeper?: Partial<Omit<WatchSweeperOptions, "store" | "pipelineFor">>;
}

export interface WatchContext {
  config: AppConfig;
  store: WatchStore;
  project: string;
  clock: Clock;
  io: WatchIo;
}

/**
 * Opens the configured watch store (SQLite under the data dir by default) for one command, runs
 * `work`, and closes it. Returns what `work` returns (the exit code).
 */
export async function withWatchStore<T>(options: WatchCommandOptions, work: (context: WatchContext) => Promise<T>): Promise<T> {
  const config = options.config ?? readConfig();
  const store = await openWatchStore(config);
  try {
    return await work({ config, store, project: CLI_PROJECT, clock: options.clock ?? systemClock, io: options.io ?? processIo });
  } finally {
    await store.close();
  }
}

export interface OpenSweeper {
  sweeper: WatchSweeper;
  /** Closes the dataset's pipeline if a sweep or an estimate opened it. */
  close(): Promise<void>;
}

/**
 * The sweeper of the terminal's project over a dataset directory (a `ConfigError` without one).
 * The pipeline (blob store, checkpointer, analyst) is opened on the first sweep or estimate, not
 * before: a `watch` with nothing due opens nothing.
 */
export function openSweeper(context: WatchContext, options: WatchCommandOptions): OpenSweeper {
  const dataset = options.dataset ?? context.config.datasetDir;
  if (!dataset) throw new ConfigError("missing_dataset", "sweeps and estimates read the sessions' dataset: pass --dataset <dir> or set SESSION_SUMMARIES_DATASET");
  let pipeline: Promise<Pipeline> | undefined;
  const pipelineFor = (project: string): Promise<Pipeline> => {
    if (project !== context.project) throw new ConfigError("unknown_project", `the terminal watches project ${JSON.stringify(context.project)} only, not ${JSON.stringify(project)}`);
    pipeline ??= createPipeline({
      config: context.config,
      source: new DatasetSource(path.resolve(dataset)),
      project: context.project,
      ...options.pipeline,
      ...(options.validation ? { validation: options.validation } : {}),
    });
    return pipeline;
  };
  const sweeper = new WatchSweeper({
    store: context.store,
    pipelineFor,
    clock: context.clock,
    sessionIdleMinutes: context.config.watch.sessionIdleMinutes,
    alertSecrets: context.config.watch.alertSecrets,
    ...(context.config.tickets ? { tickets: context.config.tickets } : {}),
    ...options.sweeper,
  });
  return {
    sweeper,
    async close() {
      if (!pipeline) return;
      const opened = await pipeline.catch(() => undefined);
      await opened?.close();
    },
  };
}
