import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MonitorDefinitionSchema, startingSweep, type Monitor, type SweepRecord } from "../../src/domain/monitor.ts";
import { openQueueConnection, type QueueConnection } from "../../src/queue/connection.ts";
import { createQueue } from "../../src/queue/jobs.ts";
import { queuePrefix, type SweepJobData } from "../../src/queue/names.ts";
import { deleteQueueKeys } from "../../src/queue/status.ts";
import { runQueuedScheduler, sweepSchedulerId, type QueuedSchedulerEvent, type QueuedSchedulerOptions } from "../../src/service/watch/queued-scheduler.ts";
import type { SweepOptions } from "../../src/service/watch/types.ts";
import { openWatchStoreAt } from "../../src/watch/store/open.ts";
import type { WatchStore } from "../../src/watch/store/types.ts";
import { TEST_REDIS_URL, requireRedis } from "./services.ts";
import { runWatch } from "../../src/cli/watch.ts";
import { CLI_PROJECT } from "../../src/cli/watch-context.ts";
import { readConfig } from "../../src/config/env.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PROJECT = "acme";
const PROJECT_OF_CLI = CLI_PROJECT;
const DATASET = path.join(ROOT, "examples/dataset");
/** Reconciling often, so a paused monitor's scheduler goes within a test's few seconds. */
const TICK_MS = 200;

let dir: string;
let producer: QueueConnection;
const connections: QueueConnection[] = [];
const prefixes: string[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  await requireRedis();
  dir = await mkdtemp(path.join(tmpdir(), "ss-queued-sweeps-"));
  producer = await openQueueConnection(TEST_REDIS_URL, { role: "producer" });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  for (const connection of connections.splice(0)) await connection.close();
  for (const prefix of prefixes.splice(0)) {
    await deleteQueueKeys(producer, prefix);
    expect((await producer.client.scan("0", "MATCH", `${prefix}:*`, "COUNT", 1000))[1]).toEqual([]);
  }
});

afterAll(async () => {
  await producer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface SweepCall {
  by: string;
  monitorId: string;
  resumed: boolean;
}

/**
 * A sweeper over the real watch store that does no work: it opens a sweep (or resumes the one left open,
 * like `WatchSweeper`), waits `durationMs` (stopped by the signal), and finishes it. Records every call and
 * the most sweeps of one monitor ever running at once.
 */
class RecordingSweeper {
  readonly calls: SweepCall[] = [];
  readonly mostAtOnce = new Map<string, number>();
  private readonly runningNow = new Map<string, number>();

  constructor(
    private readonly store: WatchStore,
    private readonly behaviour: { durationMs: (monitorId: string) => number; fails?: (monitorId: string, call: number) => boolean },
  ) {}

  callsOf(monitorId: string): SweepCall[] {
    return this.calls.filter((call) => call.monitorId === monitorId);
  }

  as(by: string) {
    return {
      runSweep: async (project: string, monitorId: string, options: SweepOptions = {}): Promise<SweepRecord> => {
        const open = await this.store.unfinishedSweep(monitorId);
        const sweep = open ?? startingSweep({ id: randomUUID(), monitor_id: monitorId, project, started_at: new Date().toISOString() });
        if (!open) await this.store.startSweep(sweep);
        this.calls.push({ by, monitorId, resumed: open !== undefined });
        const now = (this.runningNow.get(monitorId) ?? 0) + 1;
        this.runningNow.set(monitorId, now);
        this.mostAtOnce.set(monitorId, Math.max(now, this.mostAtOnce.get(monitorId) ?? 0));
        try {
          if (this.behaviour.fails?.(monitorId, this.callsOf(monitorId).length)) throw new Error(`scripted failure of a sweep of ${monitorId}`);
          await sleep(this.behaviour.durationMs(monitorId), undefined, { signal: options.signal });
          const finished_at = new Date().toISOString();
          await this.store.updateSweep(sweep.id, { status: "done", finished_at });
          return { ...sweep, status: "done", finished_at };
        } finally {
          this.runningNow.set(monitorId, (this.runningNow.get(monitorId) ?? 1) - 1);
        }
      },
    };
  }
}

async function freshWorld(name: string) {
  const prefix = queuePrefix(`t-${randomUUID().slice(0, 8)}`);
  prefixes.push(prefix);
  const storeFile = path.join(dir, `${name}-${randomUUID().slice(0, 8)}.sqlite`);
  const store = await openWatchStoreAt({ kind: "sqlite", file: storeFile });
  cleanups.push(() => store.close());
  const queue = createQueue<SweepJobData>(producer, "sweeps", prefix);
  cleanups.push(() => queue.close());
  const addMonitor = async (monitorName: string): Promise<Monitor> => store.createMonitor(PROJECT, MonitorDefinitionSchema.parse({ name: monitorName }), new Date());
  return { prefix, store, storeFile, queue, addMonitor };
}

interface RunningScheduler {
  events: QueuedSchedulerEvent[];
  stop(): Promise<void>;
}

/** One `watch` process's scheduler, in this process, on a connection of its own. */
async function startScheduler(label: string, options: Omit<QueuedSchedulerOptions, "connection" | "signal" | "onEvent" | "prefix"> & { prefix: string }): Promise<RunningScheduler> {
  const connection = await openQueueConnection(TEST_REDIS_URL, { role: "worker", connectionName: `test-${label}` });
  connections.push(connection);
  const controller = new AbortController();
  const events: QueuedSchedulerEvent[] = [];
  const done = runQueuedScheduler({ tickMs: TICK_MS, concurrency: 1, project: PROJECT, ...options, connection, signal: controller.signal, onEvent: (event) => events.push(event) });
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= (controller.abort(), done));
  cleanups.push(stop);
  return { events, stop };
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(50);
  }
}

/** The scheduled time of a job made by a job scheduler: its id is `repeat:<scheduler id>:<millis>`. */
function slotOf(jobId: string | undefined): number {
  const millis = Number(jobId?.split(":").at(-1));
  if (!Number.isFinite(millis)) throw new Error(`not a job scheduler's job id: ${jobId}`);
  return millis;
}

async function finishedJobsOf(queue: Queue<SweepJobData>, monitor: Monitor) {
  const jobs = await queue.getJobs(["completed", "failed"], 0, -1);
  return jobs.filter((job) => job.repeatJobKey === sweepSchedulerId(monitor.project, monitor.id));
}

function sweepEvents(events: QueuedSchedulerEvent[], kind: QueuedSchedulerEvent["kind"], monitorId: string) {
  return events.filter((event) => event.kind === kind && "monitor_id" in event && event.monitor_id === monitorId);
}

describe("monitor sweeps on BullMQ job schedulers", () => {
  it("two watch processes share the schedules: each interval of each monitor is swept exactly once", async () => {
    const every = 1_000;
    const { prefix, store, queue, addMonitor } = await freshWorld("shared");
    const checkout = await addMonitor("Checkout");
    const signup = await addMonitor("Signup");
    const sweeper = new RecordingSweeper(store, { durationMs: () => 150 });
    const options = { prefix, store, intervalMsOf: () => every };
    const a = await startScheduler("a", { ...options, sweeper: sweeper.as("a") });
    const b = await startScheduler("b", { ...options, sweeper: sweeper.as("b") });
    const finishedOf = (monitor: Monitor) => [...a.events, ...b.events].filter((event) => event.kind === "sweep_finished" && event.monitor_id === monitor.id);
    await until("each monitor was swept 4 times", () => finishedOf(checkout).length >= 4 && finishedOf(signup).length >= 4, 15_000);
    await Promise.all([a.stop(), b.stop()]);

    // The schedules outlive the processes: the next watch process goes on with them.
    expect((await queue.getJobSchedulers()).map((scheduler) => scheduler.key).sort()).toEqual([sweepSchedulerId(PROJECT, checkout.id), sweepSchedulerId(PROJECT, signup.id)].sort());
    for (const monitor of [checkout, signup]) {
      const calls = sweeper.callsOf(monitor.id);
      const jobs = await finishedJobsOf(queue, monitor);
      const slots = jobs.map((job) => slotOf(job.id)).sort((x, y) => x - y);
      // A sweep under way when both stopped went back to the queue (and stays open for the next start).
      const stopped = [...a.events, ...b.events].filter((event) => event.kind === "sweep_stopped" && event.monitor_id === monitor.id);
      // One sweep per scheduled run, and one scheduled run per interval: no run twice, no two in one interval.
      expect(calls.length).toBe(jobs.length + stopped.length);
      expect(await queue.getJobs(["failed"], 0, -1)).toEqual([]);
      expect(new Set(slots).size).toBe(slots.length);
      for (let i = 1; i < slots.length; i += 1) expect(slots[i]! - slots[i - 1]!).toBeGreaterThanOrEqual(every);
      expect(jobs.every((job) => job.attemptsMade <= 1)).toBe(true);
      expect(sweeper.mostAtOnce.get(monitor.id)).toBe(1);
      expect(finishedOf(monitor).length).toBe(jobs.length);
      const missed = (slots.at(-1)! - slots[0]!) / every + 1 - slots.length;
      console.log(
        `[queued sweeps] ${monitor.name}: ${calls.length} sweeps over ${slots.length} intervals (${missed} missed), by a: ${calls.filter((c) => c.by === "a").length}, by b: ${calls.filter((c) => c.by === "b").length}`,
      );
    }
  });

  it("removes a paused or deleted monitor's scheduler and follows a changed interval", async () => {
    const { prefix, store, queue, addMonitor } = await freshWorld("paused");
    const paused = await addMonitor("Paused later");
    const deleted = await addMonitor("Deleted later");
    const changed = await addMonitor("Interval changed");
    const intervals = new Map<string, number>([[changed.id, 1_000]]);
    const sweeper = new RecordingSweeper(store, { durationMs: () => 50 });
    const options = { prefix, store, intervalMsOf: (monitor: Monitor) => intervals.get(monitor.id) ?? 1_000 };
    const a = await startScheduler("a", { ...options, sweeper: sweeper.as("a") });
    const b = await startScheduler("b", { ...options, sweeper: sweeper.as("b") });
    await until("every monitor was swept twice", () => [paused, deleted, changed].every((monitor) => sweeper.callsOf(monitor.id).length >= 2), 15_000);

    await store.updateMonitor(PROJECT, paused.id, { paused: true });
    await store.deleteMonitor(PROJECT, deleted.id);
    intervals.set(changed.id, 60_000);
    const scheduler = (monitor: Monitor) => queue.getJobScheduler(sweepSchedulerId(PROJECT, monitor.id));
    await until("the paused and deleted monitors' schedulers are gone", async () => (await scheduler(paused)) === undefined && (await scheduler(deleted)) === undefined);
    await until("the changed interval is the scheduler's", async () => (await scheduler(changed))?.every === 60_000);
    const pausedCalls = sweeper.callsOf(paused.id).length;
    const deletedCalls = sweeper.callsOf(deleted.id).length;
    const changedCalls = sweeper.callsOf(changed.id).length;
    // Three of the old intervals: nothing more of the paused and deleted monitors, nor of the one now swept every minute.
    await sleep(3_000);
    await Promise.all([a.stop(), b.stop()]);
    expect(sweeper.callsOf(paused.id).length).toBe(pausedCalls);
    expect(sweeper.callsOf(deleted.id).length).toBe(deletedCalls);
    expect(sweeper.callsOf(changed.id).length).toBe(changedCalls);
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual([sweepSchedulerId(PROJECT, changed.id)]);
    const removals = [...a.events, ...b.events].filter((event) => event.kind === "schedules").reduce((sum, event) => sum + (event.kind === "schedules" ? event.removed : 0), 0);
    expect(removals).toBe(2);
  });

  it("stopping one process mid-sweep hands its sweep to the other, which resumes it and keeps sweeping", async () => {
    const every = 2_500;
    const { prefix, store, queue, addMonitor } = await freshWorld("stop");
    const monitor = await addMonitor("Checkout");
    const sweeper = new RecordingSweeper(store, { durationMs: () => 1_000 });
    const options = { prefix, store, intervalMsOf: () => every };
    // `a` alone first, so the first sweep is surely its own.
    const a = await startScheduler("a", { ...options, sweeper: sweeper.as("a") });
    await until("a is sweeping", () => sweeper.calls.length === 1);
    const b = await startScheduler("b", { ...options, sweeper: sweeper.as("b") });
    await sleep(300);
    await a.stop();
    expect(sweepEvents(a.events, "sweep_stopped", monitor.id)).toHaveLength(1);
    await until("b resumed the stopped sweep", () => sweeper.calls.length >= 2);
    expect(sweeper.calls[1]).toEqual({ by: "b", monitorId: monitor.id, resumed: true });
    const [started] = sweepEvents(b.events, "sweep_started", monitor.id);
    const [stopped] = sweepEvents(a.events, "sweep_stopped", monitor.id);
    // The same scheduled run, not a new one.
    expect(started && "job_id" in started && started.job_id).toBe(stopped && "job_id" in stopped && stopped.job_id);
    await until("b swept a later interval too", () => sweeper.calls.length >= 3, 10_000);
    await b.stop();
    expect(sweeper.calls.slice(1).every((call) => call.by === "b")).toBe(true);
    expect(sweeper.calls[2]?.resumed).toBe(false);
    expect(await queue.getJobScheduler(sweepSchedulerId(PROJECT, monitor.id))).toBeDefined();
    // The sweep `a` opened was finished by `b`; the one after it may have been stopped with `b`.
    const sweeps = await store.listSweeps(PROJECT, monitor.id);
    expect(sweeps).toHaveLength(2);
    expect(sweeps.at(-1)?.status).toBe("done");
  });

  it("a failing sweep is reported once and not retried before the next interval", async () => {
    const every = 1_500;
    const { prefix, store, queue, addMonitor } = await freshWorld("fails");
    const monitor = await addMonitor("Flaky");
    const sweeper = new RecordingSweeper(store, { durationMs: () => 50, fails: (_id, call) => call === 1 });
    const options = { prefix, store, intervalMsOf: () => every };
    const a = await startScheduler("a", { ...options, sweeper: sweeper.as("a") });
    const b = await startScheduler("b", { ...options, sweeper: sweeper.as("b") });
    await until("the monitor was swept again after its failure", () => sweeper.calls.length >= 2, 10_000);
    await Promise.all([a.stop(), b.stop()]);

    const failedEvents = [...a.events, ...b.events].filter((event) => event.kind === "sweep_failed");
    expect(failedEvents).toHaveLength(1);
    expect(failedEvents[0]).toMatchObject({ monitor_id: monitor.id, message: `scripted failure of a sweep of ${monitor.id}` });
    const failed = await queue.getJobs(["failed"], 0, -1);
    expect(failed.map((job) => [job.id, job.attemptsMade, job.failedReason])).toEqual([
      [failedEvents[0] && "job_id" in failedEvents[0] ? failedEvents[0].job_id : "?", 1, `scripted failure of a sweep of ${monitor.id}`],
    ]);
    const [second] = sweepEvents([...a.events, ...b.events], "sweep_started", monitor.id).slice(1);
    const secondJob = second && "job_id" in second ? second.job_id : undefined;
    // The next sweep is the next interval's run, which resumes the sweep the failure left open.
    expect(slotOf(secondJob) - slotOf(failed[0]?.id)).toBeGreaterThanOrEqual(every);
    expect(sweeper.calls[1]?.resumed).toBe(true);
  });

  it("a sweep longer than its interval is not run twice at once: the other process skips the intervals it covers", async () => {
    const every = 700;
    const { prefix, store, queue, addMonitor } = await freshWorld("long");
    const monitor = await addMonitor("Slow");
    const sweeper = new RecordingSweeper(store, { durationMs: () => 2_000 });
    const options = { prefix, store, intervalMsOf: () => every };
    const a = await startScheduler("a", { ...options, sweeper: sweeper.as("a") });
    const b = await startScheduler("b", { ...options, sweeper: sweeper.as("b") });
    const events = () => [...a.events, ...b.events];
    await until("two sweeps finished", () => sweepEvents(events(), "sweep_finished", monitor.id).length >= 2, 15_000);
    await Promise.all([a.stop(), b.stop()]);
    expect(sweeper.mostAtOnce.get(monitor.id)).toBe(1);
    const skipped = sweepEvents(events(), "sweep_skipped", monitor.id);
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((event) => event.kind === "sweep_skipped" && event.reason === "still_running")).toBe(true);
    expect(await queue.getJobs(["failed"], 0, -1)).toEqual([]);
    console.log(`[queued sweeps] 2 s sweeps every ${every} ms: ${sweeper.calls.length} sweeps, ${skipped.length} intervals skipped while one ran`);
  });

  it("`watch` with SESSION_SUMMARIES_QUEUE sweeps through the queue and says so, with the password masked", async () => {
    const prefix = queuePrefix(`t-${randomUUID().slice(0, 8)}`);
    prefixes.push(prefix);
    const dataDir = await mkdtemp(path.join(dir, "cli-"));
    const url = TEST_REDIS_URL.replace("redis://", "redis://:not-a-real-password@");
    // The test Redis has no password: AUTH with one fails, so only a URL without it can connect.
    const config = readConfig({ SESSION_SUMMARIES_DATA_DIR: dataDir, SESSION_SUMMARIES_QUEUE: TEST_REDIS_URL });
    const store = await openWatchStoreAt(config.watchStore);
    const monitor = await store.createMonitor(PROJECT_OF_CLI, MonitorDefinitionSchema.parse({ name: "Checkout" }), new Date());
    await store.close();
    const out: string[] = [];
    const err: string[] = [];
    const stop = new AbortController();
    const exit = runWatch({ config, dataset: DATASET, validation: "off", prefix, signal: stop.signal, tickMs: 200, io: { out: (line) => out.push(line), err: (line) => err.push(line) } });
    await until("the monitor's sweep finished", () => out.some((line) => line.includes("Checkout: sweep ")), 30_000);
    stop.abort();
    expect(await exit).toBe(0);
    expect(err.join("\n")).toContain(`Sweeps are scheduled on the queue's Redis at ${TEST_REDIS_URL} (prefix ${prefix}): any number of watch processes share them`);
    const queue = createQueue<SweepJobData>(producer, "sweeps", prefix);
    cleanups.push(() => queue.close());
    expect((await queue.getJobSchedulers()).map((scheduler) => [scheduler.key, scheduler.every])).toEqual([[sweepSchedulerId(PROJECT_OF_CLI, monitor.id), 15 * 60_000]]);
    // An unreachable Redis is said with the URL's password masked.
    const failing = runWatch({ config: { ...config, queue: { url: url.replace(/:\d+$/, ":1") } }, dataset: DATASET, prefix, io: { out: () => {}, err: () => {} } });
    await expect(failing).rejects.toThrow(/redis:\/\/:\*\*\*@127\.0\.0\.1:1.*unreachable/);
    await expect(failing).rejects.not.toThrow(/not-a-real-password/);
  });

  it("a sweep whose process is killed is taken over by another process once its lease lapses", async () => {
    const { prefix, store, storeFile, queue, addMonitor } = await freshWorld("killed");
    const monitor = await addMonitor("Checkout");
    const child = spawnDoomedWatch(storeFile, prefix);
    cleanups.push(async () => void child.kill("SIGKILL"));
    const startedJob = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString("utf8");
        // Killed only once the sweep is in the store: the event comes before the sweeper has written it.
        const match = /started (\S+)/.exec(out);
        if (match && out.includes("sweep opened")) resolve(match[1]!);
      });
      child.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
      child.on("exit", (code) => reject(new Error(`the doomed watch process exited (${code}) before it started a sweep: ${out}`)));
    });
    const killedAt = Date.now();
    child.kill("SIGKILL");
    const sweeper = new RecordingSweeper(store, { durationMs: () => 50 });
    // The survivor's interval is long: a sweep within the test can only be the dead process's.
    const b = await startScheduler("b", { store, sweeper: sweeper.as("b"), intervalMsOf: () => 60_000, prefix, stalledIntervalMs: 500 });
    await until("the survivor finished the dead process's sweep", () => sweepEvents(b.events, "sweep_finished", monitor.id).length === 1, 15_000);
    console.log(`[queued sweeps] a killed process's sweep was taken over ${Date.now() - killedAt} ms after the kill (lease 1500 ms)`);
    await b.stop();
    const [started] = sweepEvents(b.events, "sweep_started", monitor.id);
    expect(started).toMatchObject({ job_id: startedJob, resumed: true });
    expect(sweeper.calls).toEqual([{ by: "b", monitorId: monitor.id, resumed: true }]);
    expect((await store.listSweeps(PROJECT, monitor.id)).map((sweep) => sweep.status)).toEqual(["done"]);
    expect(await queue.getJobs(["failed"], 0, -1)).toEqual([]);
  });
});

/**
 * A `watch` process that opens a sweep and hangs in it, for the kill test: the queued scheduler with a short
 * lease (1.5 s) over the given SQLite store; prints `started <job id>` when it takes the job and `sweep opened`
 * once the sweep is in the store.
 */
function spawnDoomedWatch(storeFile: string, prefix: string): ChildProcess {
  const script = `
    import { register } from "tsx/esm/api";
    register();
    const { runQueuedScheduler } = await import("./src/service/watch/queued-scheduler.ts");
    const { openQueueConnection } = await import("./src/queue/connection.ts");
    const { openWatchStoreAt } = await import("./src/watch/store/open.ts");
    const { startingSweep } = await import("./src/domain/monitor.ts");
    const [storeFile, prefix, redisUrl] = process.argv.slice(1);
    const store = await openWatchStoreAt({ kind: "sqlite", file: storeFile });
    const connection = await openQueueConnection(redisUrl, { role: "worker" });
    const sweeper = {
      async runSweep(project, monitorId) {
        await store.startSweep(startingSweep({ id: "doomed-" + process.pid, monitor_id: monitorId, project, started_at: new Date().toISOString() }));
        process.stdout.write("sweep opened\\n");
        return new Promise(() => {});
      },
    };
    await runQueuedScheduler({
      store, sweeper, connection, prefix, project: ${JSON.stringify(PROJECT)}, tickMs: 200, concurrency: 1, lockDurationMs: 1500, stalledIntervalMs: 500,
      intervalMsOf: () => 60000, signal: new AbortController().signal,
      onEvent: (event) => { if (event.kind === "sweep_started") process.stdout.write("started " + event.job_id + "\\n"); },
    });
  `;
  return spawn(process.execPath, ["--input-type=module", "-e", script, storeFile, prefix, TEST_REDIS_URL], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
}
