import { setTimeout as sleep } from "node:timers/promises";
import pLimit from "p-limit";
import { DEFAULTS } from "../../config/defaults.ts";
import { SessionSummariesError } from "../../domain/errors.ts";
import type { Monitor, SweepRecord } from "../../domain/monitor.ts";
import { MINUTE_MS, systemClock, type Clock } from "../../watch/clock.ts";
import type { WatchStore } from "../../watch/store/types.ts";
import type { SweepProgress, Sweeper } from "./types.ts";

/** What the scheduler tells its host (the `watch` command prints these; a server would log them). */
export type SchedulerEvent =
  | { kind: "tick"; at: string; monitors: number; due: number; running: number }
  | { kind: "sweep_started"; project: string; monitor_id: string; monitor_name: string; resumed: boolean }
  | { kind: "progress"; project: string; monitor_name: string; progress: SweepProgress }
  | { kind: "sweep_finished"; project: string; monitor_id: string; monitor_name: string; sweep: SweepRecord }
  | { kind: "sweep_failed"; project: string; monitor_id: string; monitor_name: string; message: string; error: unknown }
  /** The sweep was stopped by the signal: it stays `running` and the next scheduler resumes it. */
  | { kind: "sweep_stopped"; project: string; monitor_id: string; monitor_name: string }
  /** Looking for due monitors failed (the store is unreachable): the next tick tries again. */
  | { kind: "tick_failed"; message: string; error: unknown }
  | { kind: "stopping"; running: number };

export interface SchedulerOptions {
  /** Only what the scheduler reads: every project's monitors and their sweeps. */
  store: Pick<WatchStore, "listMonitors" | "listSweeps" | "unfinishedSweep">;
  sweeper: Pick<Sweeper, "runSweep">;
  /** Only this project's monitors (the terminal sweeps its own project); default every project's. */
  project?: string;
  clock?: Clock;
  /** How often it looks for due monitors; default `DEFAULTS.watch.schedulerTickMs`. */
  tickMs?: number;
  /** Sweeps at once across all monitors; default `DEFAULTS.watch.sweepConcurrency`. */
  concurrency?: number;
  /** Stops the scheduler: no new sweep starts, the running ones are stopped (and resumed by the next scheduler). */
  signal: AbortSignal;
  onEvent?: (event: SchedulerEvent) => void;
  /** One tick, then return once its sweeps have settled (`watch --once`, tests). */
  once?: boolean;
}

/** Bad scheduler options (a tick or a concurrency that is not a positive number). */
export class SchedulerError extends SessionSummariesError {}

/** A due monitor, and whether it has a sweep left running by a stopped process. */
interface DueMonitor {
  monitor: Monitor;
  resume: boolean;
}

/**
 * Decides which monitors are due and runs their sweeps, a bounded number at once, never two of the
 * same monitor. A monitor whose sweep a stopped process left running is resumed before any new sweep
 * starts; otherwise a monitor is due when its newest sweep (or this scheduler's newest attempt, so a
 * monitor whose sweeps fail before they are recorded is not retried every tick) started at least its
 * interval ago, or when it has none. A failing sweep is reported and leaves the others alone.
 */
export class SweepScheduler {
  private readonly clock: Clock;
  private readonly limit: ReturnType<typeof pLimit>;
  /** Monitors with a sweep queued or under way, by project and id. */
  private readonly busy = new Set<string>();
  /** When this scheduler last started a sweep of each monitor. */
  private readonly attempted = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: Omit<SchedulerOptions, "tickMs" | "once">) {
    const concurrency = options.concurrency ?? DEFAULTS.watch.sweepConcurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new SchedulerError("invalid_concurrency", `scheduler concurrency must be a positive whole number, got ${concurrency}`);
    this.clock = options.clock ?? systemClock;
    this.limit = pLimit(concurrency);
  }

  /** Sweeps queued or under way. */
  get running(): number {
    return this.busy.size;
  }

  /**
   * Finds the due monitors and queues their sweeps (resumed ones first); does not wait for them.
   * Returns the ids of the monitors whose sweeps were queued.
   */
  async tick(): Promise<string[]> {
    if (this.options.signal.aborted) return [];
    let monitors: Monitor[];
    let due: DueMonitor[];
    try {
      monitors = (await this.options.store.listMonitors(this.options.project)).filter((monitor) => !monitor.paused);
      due = [];
      for (const monitor of monitors) {
        if (this.busy.has(keyOf(monitor))) continue;
        const found = await this.dueness(monitor);
        if (found) due.push(found);
      }
    } catch (error) {
      this.emit({ kind: "tick_failed", message: `looking for due monitors failed: ${messageOf(error)}`, error });
      return [];
    }
    // Resumed sweeps first: their sessions are claimed already and wait for them alone.
    due.sort((a, b) => Number(b.resume) - Number(a.resume));
    this.emit({ kind: "tick", at: this.clock.now().toISOString(), monitors: monitors.length, due: due.length, running: this.busy.size });
    for (const item of due) this.queue(item);
    return due.map((item) => item.monitor.id);
  }

  /** Resolves when every queued and running sweep has settled. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async dueness(monitor: Monitor): Promise<DueMonitor | undefined> {
    const now = this.clock.now().getTime();
    const interval = monitor.interval_minutes * MINUTE_MS;
    // Tried by this scheduler within the interval (and failed before or while resuming): not yet again.
    if (now - (this.attempted.get(keyOf(monitor)) ?? Number.NEGATIVE_INFINITY) < interval) return undefined;
    if (await this.options.store.unfinishedSweep(monitor.id)) return { monitor, resume: true };
    const [newest] = await this.options.store.listSweeps(monitor.project, monitor.id, 1);
    return !newest || now - Date.parse(newest.started_at) >= interval ? { monitor, resume: false } : undefined;
  }

  private queue({ monitor, resume }: DueMonitor): void {
    const key = keyOf(monitor);
    this.busy.add(key);
    const base = { project: monitor.project, monitor_id: monitor.id, monitor_name: monitor.name };
    const run = this.limit(async () => {
      // Stopped while it waited for a free slot: it is simply due again next time.
      if (this.options.signal.aborted) return;
      this.attempted.set(key, this.clock.now().getTime());
      this.emit({ kind: "sweep_started", ...base, resumed: resume });
      try {
        const sweep = await this.options.sweeper.runSweep(monitor.project, monitor.id, {
          signal: this.options.signal,
          onProgress: (progress) => this.emit({ kind: "progress", project: monitor.project, monitor_name: monitor.name, progress }),
        });
        this.emit({ kind: "sweep_finished", ...base, sweep });
      } catch (error) {
        if (this.options.signal.aborted) this.emit({ kind: "sweep_stopped", ...base });
        else this.emit({ kind: "sweep_failed", ...base, message: messageOf(error), error });
      }
    }).finally(() => {
      this.busy.delete(key);
      this.inFlight.delete(run);
    });
    this.inFlight.add(run);
  }

  private emit(event: SchedulerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure (a closed output stream) must not stop the sweeps.
    }
  }
}

/**
 * The scheduler in the foreground: a tick now and every `tickMs` until the signal aborts (or after
 * one tick with `once`), then waits for the sweeps under way to settle (stopped ones stay `running`
 * and are resumed by the next scheduler) and returns.
 */
export async function runScheduler(options: SchedulerOptions): Promise<void> {
  const tickMs = options.tickMs ?? DEFAULTS.watch.schedulerTickMs;
  if (!Number.isFinite(tickMs) || tickMs <= 0) throw new SchedulerError("invalid_tick", `scheduler tick must be a positive number of milliseconds, got ${tickMs}`);
  const scheduler = new SweepScheduler(options);
  const { signal } = options;
  // Said at the moment of the stop, before the sweeps under way see it and settle.
  const onStop = () => {
    try {
      options.onEvent?.({ kind: "stopping", running: scheduler.running });
    } catch {
      // as in SweepScheduler.emit
    }
  };
  signal.addEventListener("abort", onStop, { once: true });
  try {
    while (!signal.aborted) {
      await scheduler.tick();
      if (options.once) break;
      await sleep(tickMs, undefined, { signal }).catch(() => {});
    }
    await scheduler.settled();
  } finally {
    signal.removeEventListener("abort", onStop);
  }
}

function keyOf(monitor: Pick<Monitor, "project" | "id">): string {
  return `${monitor.project}\u0000${monitor.id}`;
}

function messageOf(error: unknown): string {
  if (error instanceof SessionSummariesError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
