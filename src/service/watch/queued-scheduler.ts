import { setTimeout as sleep } from "node:timers/promises";
import { WaitingError, type Job, type JobsOptions, type Queue } from "bullmq";
import { DEFAULTS } from "../../config/defaults.ts";
import { SessionSummariesError } from "../../domain/errors.ts";
import type { Monitor } from "../../domain/monitor.ts";
import type { QueueConnection } from "../../queue/connection.ts";
import { QueueError } from "../../queue/errors.ts";
import { createQueue, createWorker, cutReason, jobOptions } from "../../queue/jobs.ts";
import { DEFAULT_QUEUE_PREFIX, jobId, SweepJobDataSchema, type SweepJobData } from "../../queue/names.ts";
import { MINUTE_MS, systemClock, type Clock } from "../../watch/clock.ts";
import type { WatchStore } from "../../watch/store/types.ts";
import { SchedulerError, type SchedulerEvent, type SchedulerOptions } from "./scheduler.ts";

/**
 * Monitor sweeps on BullMQ: one job scheduler per active monitor puts a sweep job on the `sweeps` queue
 * every interval, and every `watch` process sharing the queue's Redis runs a worker on it. BullMQ gives each
 * job to one worker, so one sweep runs per interval however many processes watch; a running sweep holds a
 * lock its worker renews, and when its process dies the lock lapses and another process resumes the sweep.
 */
export const QUEUED_SCHEDULER_DEFAULTS = {
  /**
   * A sweep's lease: BullMQ renews it every half of this while the sweep runs. Longer than BullMQ's 30 s
   * so a busy event loop (encoding a large recording) does not lose it; a dead process's sweep is taken
   * over within this plus the stalled-job check, nothing next to a monitor's interval of minutes.
   */
  lockDurationMs: 60_000,
  /** A sweep job runs once: a failed one is resumed by the next scheduled run, not retried in a loop. */
  attempts: 1,
  /** Finished sweep jobs kept for `queues status`; the sweeps themselves live in the watch store. */
  keepCompletedCount: 1_000,
  keepCompletedSeconds: 7 * 24 * 3600,
  /** The BullMQ job name of sweep jobs. */
  jobName: "sweep",
} as const;

/** The job scheduler of a monitor: `sweep.<project>.<monitor>` (no `:`, which BullMQ ids may not hold). */
export function sweepSchedulerId(project: string, monitorId: string): string {
  return jobId("sweep", [project, monitorId]);
}

type SweepEventKind = "sweep_started" | "sweep_finished" | "sweep_failed" | "sweep_stopped";

/** The in-process scheduler's events (its `tick` replaced by `schedules`), sweep events with their BullMQ job. */
export type QueuedSchedulerEvent =
  | Exclude<SchedulerEvent, { kind: SweepEventKind | "tick" }>
  | (Extract<SchedulerEvent, { kind: SweepEventKind }> & { job_id: string })
  /** The job schedulers were brought in line with the store's active monitors. */
  | { kind: "schedules"; at: string; monitors: number; added: number; updated: number; removed: number; running: number }
  /**
   * A sweep job that did not sweep: its monitor was paused or deleted after the job was scheduled, or
   * the sweep of an earlier interval is still running (it covers this interval's sessions too).
   */
  | { kind: "sweep_skipped"; project: string; monitor_id: string; monitor_name: string; job_id: string; reason: "paused" | "deleted" | "still_running"; message: string };

export interface QueuedSchedulerOptions extends Omit<SchedulerOptions, "store" | "once" | "onEvent"> {
  store: Pick<WatchStore, "listMonitors" | "getMonitor" | "listSweeps" | "unfinishedSweep">;
  /** A worker-role connection (the worker blocks on Redis); the caller closes it. */
  connection: QueueConnection;
  /** The deployment's queue prefix; default `DEFAULT_QUEUE_PREFIX`. */
  prefix?: string;
  onEvent?: (event: QueuedSchedulerEvent) => void;
  /** Milliseconds between a monitor's sweeps; default its `interval_minutes` (tests: seconds). */
  intervalMsOf?: (monitor: Monitor) => number;
  /** The sweep's lease; default `QUEUED_SCHEDULER_DEFAULTS.lockDurationMs`. */
  lockDurationMs?: number;
  /**
   * How often this process looks for sweeps whose process died; BullMQ's default (30 s) unless given. The
   * check is shared per queue (whoever checks first holds it for its own interval): give every process the same.
   */
  stalledIntervalMs?: number;
}

interface SchedulerState {
  every: number | undefined;
  data: unknown;
  attempts: number | undefined;
}

/**
 * Runs until the signal aborts: every `tickMs` the job schedulers are reconciled with the watch store
 * (one per active monitor of `project`, or of every project; removed for paused and deleted monitors;
 * changed with the interval), and a worker with `concurrency` runs the sweep jobs on this process.
 * On stop, the worker takes no new job and the sweeps under way stop and go back to the queue, where
 * another process (or the next start) resumes them; the job schedulers stay for the other processes.
 * There is no `once`: `watch --once` keeps the in-process scheduler, which knows when a round is done.
 *
 * BullMQ times the jobs by the real clock; `clock` only stamps events and reads the store's sweep times.
 */
export async function runQueuedScheduler(options: QueuedSchedulerOptions): Promise<void> {
  const tickMs = options.tickMs ?? DEFAULTS.watch.schedulerTickMs;
  if (!Number.isFinite(tickMs) || tickMs <= 0) throw new SchedulerError("invalid_tick", `scheduler tick must be a positive number of milliseconds, got ${tickMs}`);
  const concurrency = options.concurrency ?? DEFAULTS.watch.sweepConcurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new SchedulerError("invalid_concurrency", `scheduler concurrency must be a positive whole number, got ${concurrency}`);
  const { signal } = options;
  if (signal.aborted) return;
  const prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
  const scheduler = new QueuedSweeps(options);
  const queue = createQueue<SweepJobData>(options.connection, "sweeps", prefix);
  scheduler.queue = queue;
  let worker: ReturnType<typeof createWorker<SweepJobData>> | undefined;
  let closing: Promise<void> | undefined;
  const closeWorker = () => (closing ??= worker?.close() ?? Promise.resolve());
  // Said at the moment of the stop; closing the worker at once so no new sweep is taken meanwhile.
  const onStop = () => {
    scheduler.emit({ kind: "stopping", running: scheduler.running });
    void closeWorker();
  };
  signal.addEventListener("abort", onStop, { once: true });
  try {
    // Schedulers of deleted monitors go before this process takes any job.
    await scheduler.reconcile();
    if (signal.aborted) return;
    worker = createWorker<SweepJobData>(options.connection, "sweeps", prefix, (job, token) => scheduler.process(job, token), {
      concurrency,
      lockDurationMs: options.lockDurationMs ?? QUEUED_SCHEDULER_DEFAULTS.lockDurationMs,
      ...(options.stalledIntervalMs !== undefined ? { stalledIntervalMs: options.stalledIntervalMs } : {}),
    });
    while (!signal.aborted) {
      await sleep(tickMs, undefined, { signal }).catch(() => {});
      if (!signal.aborted) await scheduler.reconcile();
    }
  } finally {
    signal.removeEventListener("abort", onStop);
    await closeWorker();
    await queue.close().catch(() => {});
  }
}

/** What one process does: reconcile the job schedulers, and run the sweep jobs it is given. */
class QueuedSweeps {
  queue!: Queue<SweepJobData>;
  running = 0;
  private readonly clock: Clock;
  private readonly intervalMsOf: (monitor: Monitor) => number;
  private readonly template: { name: string; opts: JobsOptions };

  constructor(private readonly options: QueuedSchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    this.intervalMsOf = options.intervalMsOf ?? ((monitor) => monitor.interval_minutes * MINUTE_MS);
    this.template = { name: QUEUED_SCHEDULER_DEFAULTS.jobName, opts: templateOptions() };
  }

  /**
   * One job scheduler per active monitor, with its interval; none for paused and deleted monitors (of
   * the watched project only: other projects' schedulers belong to other processes). A scheduler that is
   * already right is left alone, so reconciling often does not move the next run. A failure (Redis or
   * the store unreachable) is a `tick_failed` event: the next tick tries again.
   */
  async reconcile(): Promise<void> {
    const { store, project } = this.options;
    try {
      const monitors = (await store.listMonitors(project)).filter((monitor) => !monitor.paused);
      const existing = new Map<string, SchedulerState>();
      for (const scheduler of await this.queue.getJobSchedulers(0, -1)) {
        existing.set(scheduler.id ?? scheduler.key, { every: scheduler.every, data: scheduler.template?.data, attempts: scheduler.template?.opts?.attempts });
      }
      const wanted = new Set<string>();
      let added = 0;
      let updated = 0;
      let removed = 0;
      for (const monitor of monitors) {
        const id = sweepSchedulerId(monitor.project, monitor.id);
        wanted.add(id);
        const every = this.intervalOf(monitor);
        const data: SweepJobData = { project: monitor.project, monitorId: monitor.id };
        const have = existing.get(id);
        if (have && have.every === every && sameData(have.data, data) && have.attempts === this.template.opts.attempts) continue;
        const startDate = have?.every === every ? undefined : await this.firstRunAt(monitor, every);
        await this.queue.upsertJobScheduler(id, { every, ...(startDate !== undefined ? { startDate } : {}) }, { name: this.template.name, data, opts: this.template.opts });
        if (have) updated += 1;
        else added += 1;
      }
      for (const [id, scheduler] of existing) {
        if (wanted.has(id)) continue;
        const data = SweepJobDataSchema.safeParse(scheduler.data);
        // Not a sweep scheduler, or another project's: not ours to remove.
        if (!data.success || id !== sweepSchedulerId(data.data.project, data.data.monitorId)) continue;
        if (project !== undefined && data.data.project !== project) continue;
        if (await this.queue.removeJobScheduler(id)) removed += 1;
      }
      this.emit({ kind: "schedules", at: this.clock.now().toISOString(), monitors: monitors.length, added, updated, removed, running: this.running });
    } catch (error) {
      this.emit({ kind: "tick_failed", message: `scheduling the monitors' sweeps failed: ${messageOf(error)}`, error });
    }
  }

  /**
   * A new scheduler's first run: now when the monitor has a sweep left open or none yet, else one
   * interval after its newest sweep started (so starting the queue does not sweep every monitor at once).
   */
  private async firstRunAt(monitor: Monitor, every: number): Promise<number | undefined> {
    if (await this.options.store.unfinishedSweep(monitor.id)) return undefined;
    const [newest] = await this.options.store.listSweeps(monitor.project, monitor.id, 1);
    if (!newest) return undefined;
    const due = Date.parse(newest.started_at) + every;
    return due > this.clock.now().getTime() ? due : undefined;
  }

  private intervalOf(monitor: Monitor): number {
    const every = this.intervalMsOf(monitor);
    if (!Number.isInteger(every) || every < 1) throw new SchedulerError("invalid_interval", `monitor ${monitor.id}: sweep interval must be a positive whole number of milliseconds, got ${every}`);
    return every;
  }

  /** One sweep job: the monitor's sweep (or the finish of the one left open), reported as events. */
  async process(job: Job<SweepJobData>, token: string | undefined): Promise<{ sweep_id?: string; status?: string; skipped?: string }> {
    const { store, sweeper, signal, project: watched } = this.options;
    const jobIdText = job.id ?? "?";
    const parsed = SweepJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new QueueError("invalid_job", `sweep job ${jobIdText}: its data is not {project, monitorId}: ${cutReason(parsed.error.message)}`, { jobId: jobIdText });
    const { project, monitorId } = parsed.data;
    // Taken in the moment between the stop and the worker's close: back to the queue for another process.
    if (signal.aborted) return this.requeue(job, token);
    if (watched !== undefined && project !== watched) {
      const message = `sweep job ${jobIdText} is for project ${JSON.stringify(project)}, but this process sweeps project ${JSON.stringify(watched)} only: give each project's watch processes their own queue prefix`;
      const error = new QueueError("invalid_job", message, { jobId: jobIdText });
      this.emit({ kind: "sweep_failed", project, monitor_id: monitorId, monitor_name: monitorId, job_id: jobIdText, message, error });
      throw error;
    }
    const monitor = await store.getMonitor(project, monitorId);
    if (!monitor || monitor.paused) {
      const reason = monitor ? "paused" : "deleted";
      this.emit({
        kind: "sweep_skipped",
        project,
        monitor_id: monitorId,
        monitor_name: monitor?.name ?? monitorId,
        job_id: jobIdText,
        reason,
        message: `monitor ${reason} since the sweep was scheduled`,
      });
      return { skipped: reason };
    }
    const base = { project, monitor_id: monitor.id, monitor_name: monitor.name, job_id: jobIdText };
    if (await this.earlierRunActive(job, parsed.data)) {
      this.emit({ kind: "sweep_skipped", ...base, reason: "still_running", message: "the sweep of an earlier interval is still running" });
      return { skipped: "still_running" };
    }
    this.running += 1;
    try {
      const resumed = (await store.unfinishedSweep(monitor.id)) !== undefined;
      this.emit({ kind: "sweep_started", ...base, resumed });
      const sweep = await sweeper.runSweep(project, monitor.id, {
        signal,
        onProgress: (progress) => this.emit({ kind: "progress", project, monitor_name: monitor.name, progress }),
      });
      this.emit({ kind: "sweep_finished", ...base, sweep });
      return { sweep_id: sweep.id, status: sweep.status };
    } catch (error) {
      if (!signal.aborted) {
        // Failed for good (attempts 1): the sweep stays open and the next scheduled run resumes it.
        this.emit({ kind: "sweep_failed", ...base, message: messageOf(error), error });
        throw error;
      }
      this.emit({ kind: "sweep_stopped", ...base });
      return this.requeue(job, token, error);
    } finally {
      this.running -= 1;
    }
  }

  /**
   * A job of the same monitor that became active before this one and still is: two sweeps of one monitor
   * at once would only contend for the same sessions. Ordered by when each became active (then by id), so
   * of two jobs that look at the same moment exactly one runs; a job whose process died counts until
   * BullMQ finds it stalled and hands it (alone) to a live process.
   */
  private async earlierRunActive(job: Job<SweepJobData>, data: SweepJobData): Promise<boolean> {
    const mine = [job.processedOn ?? Number.POSITIVE_INFINITY, job.id ?? ""] as const;
    for (const other of await this.queue.getActive()) {
      if (!other || other.id === job.id) continue;
      const theirs = SweepJobDataSchema.safeParse(other.data);
      if (!theirs.success || theirs.data.project !== data.project || theirs.data.monitorId !== data.monitorId) continue;
      const started = other.processedOn ?? Number.POSITIVE_INFINITY;
      if (started < mine[0] || (started === mine[0] && (other.id ?? "") < mine[1])) return true;
    }
    return false;
  }

  /** Puts a stopped sweep's job back in the queue, where a live process (or the next start) resumes it. */
  private async requeue(job: Job<SweepJobData>, token: string | undefined, cause?: unknown): Promise<never> {
    if (token) {
      try {
        await job.moveToWait(token);
        throw new WaitingError();
      } catch (error) {
        if (error instanceof WaitingError) throw error;
        // Redis gone while stopping: the job's lock lapses and BullMQ hands it on as a stalled job.
      }
    }
    throw cause ?? new SchedulerError("stopped", `sweep job ${job.id ?? "?"} was taken while this process was stopping`);
  }

  emit(event: QueuedSchedulerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure (a closed output stream) must not stop the sweeps.
    }
  }
}

/** The options of every sweep job a scheduler makes: one attempt, bounded retention, keys-only data. */
function templateOptions(): JobsOptions {
  return jobOptions({
    attempts: QUEUED_SCHEDULER_DEFAULTS.attempts,
    keepCompletedCount: QUEUED_SCHEDULER_DEFAULTS.keepCompletedCount,
    keepCompletedSeconds: QUEUED_SCHEDULER_DEFAULTS.keepCompletedSeconds,
  });
}

function sameData(stored: unknown, data: SweepJobData): boolean {
  const parsed = SweepJobDataSchema.safeParse(stored);
  return parsed.success && parsed.data.project === data.project && parsed.data.monitorId === data.monitorId;
}

function messageOf(error: unknown): string {
  if (error instanceof SessionSummariesError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
