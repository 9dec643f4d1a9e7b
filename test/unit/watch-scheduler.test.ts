import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MonitorDefinitionSchema, startingSweep, type Monitor, type SweepRecord } from "../../src/domain/monitor.ts";
import { runScheduler, SchedulerError, SweepScheduler, type SchedulerEvent } from "../../src/service/watch/scheduler.ts";
import type { SweepOptions, Sweeper } from "../../src/service/watch/types.ts";
import { ManualClock, MINUTE_MS } from "../../src/watch/clock.ts";
import { openWatchStoreAt } from "../../src/watch/store/open.ts";
import type { KyselyWatchStore } from "../../src/watch/store/kysely-store.ts";

const dir = mkdtempSync(path.join(tmpdir(), "watch-scheduler-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const START = "2026-11-02T09:00:00.000Z";
let store: KyselyWatchStore;
let clock: ManualClock;
let fileNo = 0;

beforeEach(async () => {
  store = await openWatchStoreAt({ kind: "sqlite", file: path.join(dir, `watch-${++fileNo}.sqlite`) });
  clock = new ManualClock(START);
});
afterEach(async () => {
  await store.close();
});

interface Gate {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Gate {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface Call {
  project: string;
  monitorId: string;
  at: string;
}

/**
 * A sweeper that records its calls and writes sweeps to the real store as the real one does (a
 * `running` record, then `done`); `hold` keeps a monitor's sweep open until released, `fail` makes
 * it throw (after recording the sweep as failed, or before any record with `early`).
 */
class RecordingSweeper implements Pick<Sweeper, "runSweep"> {
  readonly calls: Call[] = [];
  readonly holds = new Map<string, Gate>();
  readonly failures = new Map<string, { early: boolean }>();
  running = 0;
  maxRunning = 0;
  private count = 0;

  hold(monitorId: string): Gate {
    const gate = deferred();
    this.holds.set(monitorId, gate);
    return gate;
  }

  async runSweep(project: string, monitorId: string, options: SweepOptions = {}): Promise<SweepRecord> {
    this.calls.push({ project, monitorId, at: clock.now().toISOString() });
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      const failure = this.failures.get(monitorId);
      if (failure?.early) throw new Error(`no pipeline for ${monitorId}`);
      const resumed = await store.unfinishedSweep(monitorId);
      const sweep: SweepRecord = resumed ?? startingSweep({ id: `sweep-${++this.count}`, monitor_id: monitorId, project, started_at: clock.now().toISOString() });
      if (!resumed) await store.startSweep(sweep);
      options.onProgress?.({ monitor_id: monitorId, sweep_id: sweep.id, message: "summarizing" });
      const gate = this.holds.get(monitorId);
      if (gate) {
        const stopped = new Promise<never>((_, reject) => {
          if (options.signal?.aborted) reject(options.signal.reason);
          options.signal?.addEventListener("abort", () => reject(options.signal!.reason), { once: true });
        });
        await Promise.race([gate.promise, stopped]);
      }
      if (failure) {
        await store.updateSweep(sweep.id, { status: "failed", finished_at: clock.now().toISOString(), message: "boom" });
        throw new Error(`sweep of ${monitorId} failed: boom`);
      }
      const done = { ...sweep, status: "done" as const, finished_at: clock.now().toISOString(), sessions: 2 };
      await store.updateSweep(sweep.id, { status: "done", finished_at: done.finished_at, sessions: 2 });
      return done;
    } finally {
      this.running -= 1;
    }
  }

  monitorsCalled(): string[] {
    return this.calls.map((call) => call.monitorId);
  }
}

async function addMonitor(project: string, name: string, extra: { interval_minutes?: number; paused?: boolean } = {}): Promise<Monitor> {
  const monitor = await store.createMonitor(project, MonitorDefinitionSchema.parse({ name, interval_minutes: extra.interval_minutes ?? 15 }), clock.now());
  if (extra.paused) await store.updateMonitor(project, monitor.id, { paused: true });
  return monitor;
}

function schedulerWith(sweeper: RecordingSweeper, options: { concurrency?: number; signal?: AbortSignal; events?: SchedulerEvent[] } = {}): SweepScheduler {
  return new SweepScheduler({
    store,
    sweeper,
    clock,
    concurrency: options.concurrency ?? 2,
    signal: options.signal ?? new AbortController().signal,
    onEvent: (event) => options.events?.push(event),
  });
}

describe("SweepScheduler", () => {
  it("sweeps a monitor without sweeps at once, then again only when its interval has passed since its newest sweep started", async () => {
    const monitor = await addMonitor("acme", "Checkout", { interval_minutes: 15 });
    const sweeper = new RecordingSweeper();
    const scheduler = schedulerWith(sweeper);

    expect(await scheduler.tick()).toEqual([monitor.id]);
    await scheduler.settled();
    expect(sweeper.calls).toEqual([{ project: "acme", monitorId: monitor.id, at: START }]);

    clock.advance(14 * MINUTE_MS + 59_000);
    expect(await scheduler.tick()).toEqual([]);
    await scheduler.settled();
    expect(sweeper.calls).toHaveLength(1);

    clock.advance(1_000);
    expect(await scheduler.tick()).toEqual([monitor.id]);
    await scheduler.settled();
    expect(sweeper.calls.map((call) => call.at)).toEqual([START, "2026-11-02T09:15:00.000Z"]);
  });

  it("counts the interval from sweeps other processes recorded (run-once, the API), not from its own start", async () => {
    const monitor = await addMonitor("acme", "Checkout", { interval_minutes: 30 });
    await store.startSweep({
      id: "by-hand",
      monitor_id: monitor.id,
      project: "acme",
      started_at: clock.now().toISOString(),
      status: "done",
      sessions: 1,
      model_calls: 0,
      input_tokens: 0,
      output_tokens: 0,
      cost_usd: 0,
    });
    clock.advance(10 * MINUTE_MS);
    const sweeper = new RecordingSweeper();
    const scheduler = schedulerWith(sweeper);
    expect(await scheduler.tick()).toEqual([]);
    clock.advance(20 * MINUTE_MS);
    expect(await scheduler.tick()).toEqual([monitor.id]);
    await scheduler.settled();
  });

  it("never sweeps a paused monitor, and sweeps monitors of every project", async () => {
    const paused = await addMonitor("acme", "Paused", { paused: true });
    const a = await addMonitor("acme", "A");
    const b = await addMonitor("globex", "B");
    const sweeper = new RecordingSweeper();
    const scheduler = schedulerWith(sweeper);
    await scheduler.tick();
    await scheduler.settled();
    expect(sweeper.calls.map((call) => [call.project, call.monitorId]).sort()).toEqual(
      [
        ["acme", a.id],
        ["globex", b.id],
      ].sort(),
    );
    expect(sweeper.monitorsCalled()).not.toContain(paused.id);
  });

  it("resumes a sweep a stopped process left running before starting any new sweep", async () => {
    const fresh = await addMonitor("acme", "Fresh");
    const stopped = await addMonitor("acme", "Stopped");
    await store.startSweep(startingSweep({ id: "left-running", monitor_id: stopped.id, project: "acme", started_at: clock.now().toISOString() }));
    // Its newest sweep started just now: only the unfinished sweep makes it due.
    const sweeper = new RecordingSweeper();
    const events: SchedulerEvent[] = [];
    const scheduler = schedulerWith(sweeper, { concurrency: 1, events });
    await scheduler.tick();
    await scheduler.settled();
    expect(sweeper.monitorsCalled()).toEqual([stopped.id, fresh.id]);
    expect(events.filter((event) => event.kind === "sweep_started").map((event) => [event.monitor_id, event.kind === "sweep_started" && event.resumed])).toEqual([
      [stopped.id, true],
      [fresh.id, false],
    ]);
    expect((await store.getSweep("acme", "left-running"))?.status).toBe("done");
  });

  it("never runs two sweeps of one monitor at once, even when a sweep outlasts its interval", async () => {
    const monitor = await addMonitor("acme", "Slow", { interval_minutes: 1 });
    const sweeper = new RecordingSweeper();
    const gate = sweeper.hold(monitor.id);
    const scheduler = schedulerWith(sweeper, { concurrency: 4 });
    await scheduler.tick();
    await vi.waitFor(() => expect(sweeper.running).toBe(1), { timeout: 10_000, interval: 5 });
    for (let i = 0; i < 3; i += 1) {
      clock.advance(5 * MINUTE_MS);
      expect(await scheduler.tick()).toEqual([]);
    }
    expect(sweeper.calls).toHaveLength(1);
    gate.resolve();
    await scheduler.settled();
    expect(sweeper.maxRunning).toBe(1);
    clock.advance(MINUTE_MS);
    expect(await scheduler.tick()).toEqual([monitor.id]);
    await scheduler.settled();
    expect(sweeper.calls).toHaveLength(2);
  });

  it("runs at most `concurrency` sweeps at once", async () => {
    const monitors = await Promise.all(["A", "B", "C", "D"].map((name) => addMonitor("acme", name)));
    const sweeper = new RecordingSweeper();
    const gates = monitors.map((monitor) => sweeper.hold(monitor.id));
    const scheduler = schedulerWith(sweeper, { concurrency: 2 });
    expect(await scheduler.tick()).toHaveLength(4);
    await vi.waitFor(() => expect(sweeper.running).toBe(2), { timeout: 10_000, interval: 5 });
    // Given time, a third does not start while two hold their slots.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sweeper.running).toBe(2);
    expect(scheduler.running).toBe(4);
    for (const gate of gates) gate.resolve();
    await scheduler.settled();
    expect(sweeper.calls).toHaveLength(4);
    expect(sweeper.maxRunning).toBe(2);
    expect(scheduler.running).toBe(0);
  });

  it("reports a failing sweep and goes on with the others; the failed monitor is tried again after its interval, not every tick", async () => {
    const failing = await addMonitor("acme", "Failing", { interval_minutes: 10 });
    const early = await addMonitor("acme", "Fails before recording", { interval_minutes: 10 });
    const fine = await addMonitor("acme", "Fine", { interval_minutes: 10 });
    const sweeper = new RecordingSweeper();
    sweeper.failures.set(failing.id, { early: false });
    sweeper.failures.set(early.id, { early: true });
    const events: SchedulerEvent[] = [];
    const scheduler = schedulerWith(sweeper, { events });
    await scheduler.tick();
    await scheduler.settled();
    const outcome = (kind: SchedulerEvent["kind"]) => events.filter((event) => event.kind === kind).map((event) => ("monitor_id" in event ? event.monitor_id : undefined));
    expect(outcome("sweep_failed").sort()).toEqual([failing.id, early.id].sort());
    expect(outcome("sweep_finished")).toEqual([fine.id]);
    const failed = events.find((event) => event.kind === "sweep_failed" && event.monitor_id === early.id);
    expect(failed).toMatchObject({ message: `no pipeline for ${early.id}`, monitor_name: "Fails before recording" });

    clock.advance(MINUTE_MS);
    expect(await scheduler.tick()).toEqual([]);
    clock.advance(9 * MINUTE_MS);
    sweeper.failures.clear();
    expect((await scheduler.tick()).sort()).toEqual([failing.id, early.id, fine.id].sort());
    await scheduler.settled();
    expect(sweeper.calls).toHaveLength(6);
  });

  it("reports a store that cannot be read as a failed tick and carries on at the next", async () => {
    const monitor = await addMonitor("acme", "A");
    const sweeper = new RecordingSweeper();
    const events: SchedulerEvent[] = [];
    let broken = true;
    const flaky = {
      listMonitors: async () => {
        if (broken) throw new Error("database is locked");
        return store.listMonitors();
      },
      listSweeps: store.listSweeps.bind(store),
      unfinishedSweep: store.unfinishedSweep.bind(store),
    };
    const scheduler = new SweepScheduler({ store: flaky, sweeper, clock, signal: new AbortController().signal, onEvent: (event) => events.push(event) });
    expect(await scheduler.tick()).toEqual([]);
    expect(events).toEqual([expect.objectContaining({ kind: "tick_failed", message: "looking for due monitors failed: database is locked" })]);
    broken = false;
    expect(await scheduler.tick()).toEqual([monitor.id]);
    await scheduler.settled();
  });

  it("refuses a concurrency that is not a positive whole number", () => {
    expect(() => new SweepScheduler({ store, sweeper: new RecordingSweeper(), signal: new AbortController().signal, concurrency: 0 })).toThrow(SchedulerError);
  });
});

describe("runScheduler", () => {
  it("with once: one tick, returns when its sweeps have settled", async () => {
    const a = await addMonitor("acme", "A");
    const b = await addMonitor("acme", "B");
    const sweeper = new RecordingSweeper();
    const events: SchedulerEvent[] = [];
    await runScheduler({ store, sweeper, clock, tickMs: 60_000, signal: new AbortController().signal, once: true, onEvent: (event) => events.push(event) });
    expect(sweeper.monitorsCalled().sort()).toEqual([a.id, b.id].sort());
    expect(sweeper.running).toBe(0);
    expect(events.map((event) => event.kind)).toEqual(expect.arrayContaining(["tick", "sweep_started", "progress", "sweep_finished"]));
    expect(events.filter((event) => event.kind === "sweep_finished")).toHaveLength(2);
  });

  it("ticks until stopped; stopping starts no queued sweep and returns once the running one has settled, left running for the next scheduler", async () => {
    const slow = await addMonitor("acme", "Slow", { interval_minutes: 1 });
    // Created later, so listed (and queued) after the slow one.
    clock.advance(1_000);
    const queued = await addMonitor("acme", "Queued", { interval_minutes: 1 });
    const sweeper = new RecordingSweeper();
    sweeper.hold(slow.id);
    const stop = new AbortController();
    const events: SchedulerEvent[] = [];
    let returned = false;
    const running = runScheduler({ store, sweeper, clock, tickMs: 5, concurrency: 1, signal: stop.signal, onEvent: (event) => events.push(event) }).then(() => {
      returned = true;
    });
    // It keeps ticking while the slow sweep runs (and the queued one waits for the slot).
    await vi.waitFor(() => expect(events.filter((event) => event.kind === "tick").length).toBeGreaterThan(3), { timeout: 10_000, interval: 10 });
    expect(sweeper.monitorsCalled()).toEqual([slow.id]);
    expect(returned).toBe(false);

    stop.abort();
    await running;
    expect(sweeper.running).toBe(0);
    expect(sweeper.monitorsCalled()).toEqual([slow.id]);
    expect(sweeper.monitorsCalled()).not.toContain(queued.id);
    expect(events).toContainEqual({ kind: "stopping", running: 2 });
    expect(events).toContainEqual(expect.objectContaining({ kind: "sweep_stopped", monitor_id: slow.id }));
    expect(events.some((event) => event.kind === "sweep_failed")).toBe(false);
    // Left running: the next scheduler resumes it first.
    expect((await store.unfinishedSweep(slow.id))?.status).toBe("running");
    const next = new RecordingSweeper();
    await runScheduler({ store, sweeper: next, clock, signal: new AbortController().signal, once: true, concurrency: 1 });
    expect(next.monitorsCalled()).toEqual([slow.id, queued.id]);
  });

  it("refuses a tick that is not a positive number", async () => {
    await expect(runScheduler({ store, sweeper: new RecordingSweeper(), signal: new AbortController().signal, tickMs: 0 })).rejects.toThrow(/scheduler tick must be a positive number/);
  });
});
