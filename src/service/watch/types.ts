import type { SweepRecord } from "../../domain/monitor.ts";
import type { Estimate } from "../../watch/budget.ts";

/** A sweep's progress, for the CLI and logs. */
export interface SweepProgress {
  monitor_id: string;
  sweep_id: string;
  message: string;
  sessions_total?: number;
  sessions_done?: number;
}

export interface SweepOptions {
  signal?: AbortSignal;
  onProgress?: (progress: SweepProgress) => void;
}

/** What a sweep, a backfill or a run would cost before it runs. */
export interface SweepEstimate extends Estimate {
  /** Sessions it would take (after the budget). */
  sessions: number;
  /** Sessions waiting that the day's budget leaves out. */
  over_budget: number;
  /** e.g. "offline analyst: no model calls, $0.00". */
  note: string;
}

/**
 * Runs monitors' sweeps for the surfaces (CLI, API, chat, scheduler). Every method is scoped to a
 * project; a monitor of another project is not found.
 */
export interface Sweeper {
  /** One sweep of the monitor now (or the finish of the one a stopped process left running). */
  runSweep(project: string, monitorId: string, options?: SweepOptions): Promise<SweepRecord>;
  /** What the next sweep would take and cost. */
  estimateSweep(project: string, monitorId: string): Promise<SweepEstimate>;
  /** Sessions that finished since `since` (explicitly asked for; a sweep never backfills): the estimate, then the work unless `dryRun`. */
  backfill(project: string, monitorId: string, options: SweepOptions & { since: string; dryRun?: boolean }): Promise<{ estimate: SweepEstimate; sweep?: SweepRecord }>;
}
