import type { Pipeline } from "../../../graph/pipeline.ts";
import type { SweepRecord } from "../../domain/monitor.ts";
import type { Logger } from "../../log/logger.ts";
import type { FetchLike } from "../../watch/alerts/deliver.ts";
import type { PriceTable } from "../../watch/budget.ts";
import type { Clock } from "../../watch/clock.ts";
import type { WatchStore } from "../../watch/store/types.ts";
import type { SweepEstimate, SweepOptions, Sweeper } from "./types.ts";

export interface WatchSweeperOptions {
  store: WatchStore;
  /** The report pipeline of a project (its runtime's project must be that project). */
  pipelineFor(project: string): Promise<Pipeline> | Pipeline;
  clock?: Clock;
  /** Default: the documented table with `config.watch.pricesJson` over it. */
  prices?: PriceTable;
  /** A session is finished after this long without activity; default `config.watch.sessionIdleMinutes`. */
  sessionIdleMinutes?: number;
  /** Webhook secrets by name; default `config.watch.alertSecrets`. */
  alertSecrets?: Readonly<Record<string, string>>;
  /** Alert delivery (tests: local receivers are reached with the real fetch; retries can be shortened). */
  fetch?: FetchLike;
  deliveryRetries?: number;
  deliveryMinTimeoutMs?: number;
  /** Sessions summarized at once within a sweep. */
  sessionConcurrency?: number;
  logger?: Logger;
}

/** Runs monitors' sweeps: see `Sweeper`. */
export class WatchSweeper implements Sweeper {
  constructor(private readonly options: WatchSweeperOptions) {}

  runSweep(_project: string, _monitorId: string, _options?: SweepOptions): Promise<SweepRecord> {
    throw new Error("being written");
  }

  estimateSweep(_project: string, _monitorId: string): Promise<SweepEstimate> {
    throw new Error("being written");
  }

  backfill(_project: string, _monitorId: string, _options: SweepOptions & { since: string; dryRun?: boolean }): Promise<{ estimate: SweepEstimate; sweep?: SweepRecord }> {
    throw new Error("being written");
  }
}
