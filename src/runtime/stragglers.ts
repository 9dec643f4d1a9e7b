import { percentile } from "../stats/percentile.ts";

/**
 * The long tail of a report's session summaries: once most sessions of a run are done, a session
 * whose summary is still running well past what the others took need not hold up the patterns. Its
 * work goes on; the report graph's gather step goes on without it, and its summary joins assignment
 * (`join_late`). Runs are known by their report id; a run this process did not start (a resumed one,
 * a worker's) is never released early: every session is waited for.
 */

export interface EarlyGatherSettings {
  /** The share of a run's sessions that must be done first. */
  readyRatio: number;
  /** How much longer than the p90 of the finished summaries a straggler may run. */
  graceMs: number;
}

/** Stragglers are measured against this percentile of the finished summaries' durations. */
const STRAGGLER_PERCENTILE = 0.9;

/** How often waiting summaries are looked at (a finished session also triggers a look). */
const CHECK_EVERY_MS = 50;

interface Waiting {
  startedAt: number;
  release: () => void;
}

interface RunWatch {
  total: number;
  done: Set<string>;
  durationsMs: number[];
  waiting: Map<string, Waiting>;
}

/** The outcome of `race`: the work's own value, or `late` when it was let go (the work still runs). */
export type RaceOutcome<T> = { late: false; value: T } | { late: true };

export class StragglerWatch {
  private readonly runs = new Map<string, RunWatch>();
  private timer: NodeJS.Timeout | undefined;
  /** The work of sessions let go, by run and session: `join_late` waits for it. */
  private readonly lateWork = new Map<string, Promise<unknown>>();

  constructor(
    private readonly settings: EarlyGatherSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** A run starts with this many sessions. */
  begin(runId: string, total: number): void {
    this.runs.set(runId, { total, done: new Set(), durationsMs: [], waiting: new Map() });
  }

  /** A session of the run is finished (summarized, cached, skipped, failed); `durationMs` when its summary was made now. */
  finished(runId: string | undefined, sessionId: string, durationMs?: number): void {
    const run = runId === undefined ? undefined : this.runs.get(runId);
    if (!run) return;
    run.done.add(sessionId);
    if (durationMs !== undefined) run.durationsMs.push(durationMs);
    this.check();
  }

  /**
   * Waits for `work` (a session's summary), unless the run lets it go first: then `late`, and the
   * work is kept for `takeLate`. Without a known run, it is simply awaited.
   */
  async race<T>(runId: string | undefined, sessionId: string, work: Promise<T>): Promise<RaceOutcome<T>> {
    const run = runId === undefined ? undefined : this.runs.get(runId);
    if (!run) return { late: false, value: await work };
    let release!: () => void;
    const letGo = new Promise<"late">((resolve) => (release = () => resolve("late")));
    run.waiting.set(sessionId, { startedAt: this.now(), release });
    this.ensureTimer();
    try {
      const first = await Promise.race([work.then((value) => ({ value })), letGo]);
      if (first === "late") {
        // Nobody awaits it until join_late: a failure must not surface as an unhandled rejection.
        work.catch(() => {});
        this.lateWork.set(lateKey(runId!, sessionId), work);
        return { late: true };
      }
      return { late: false, value: first.value };
    } finally {
      run.waiting.delete(sessionId);
      this.stopTimerWhenIdle();
    }
  }

  /** The work of a session let go in this process, once (undefined after a restart: it was lost with the process). */
  takeLate<T>(runId: string, sessionId: string): Promise<T> | undefined {
    const key = lateKey(runId, sessionId);
    const work = this.lateWork.get(key) as Promise<T> | undefined;
    this.lateWork.delete(key);
    return work;
  }

  /** The run is over: forget it. */
  end(runId: string): void {
    this.runs.delete(runId);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    for (const run of this.runs.values()) {
      if (run.waiting.size === 0 || run.total === 0) continue;
      if (run.done.size / run.total < this.settings.readyRatio || run.durationsMs.length === 0) continue;
      const deadline = (percentile(run.durationsMs, STRAGGLER_PERCENTILE) ?? 0) + this.settings.graceMs;
      const now = this.now();
      for (const waiting of run.waiting.values()) if (now - waiting.startedAt > deadline) waiting.release();
    }
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  private stopTimerWhenIdle(): void {
    if ([...this.runs.values()].some((run) => run.waiting.size > 0)) return;
    this.close();
  }
}

function lateKey(runId: string, sessionId: string): string {
  return `${runId}\u0000${sessionId}`;
}
