import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runServe } from "../../src/cli/serve.ts";
import { startingSweep, type SweepRecord, type TrackedIssue } from "../../src/domain/monitor.ts";
import type { SweepEstimate, SweepOptions, Sweeper } from "../../src/service/watch/types.ts";
import { ManualClock } from "../../src/watch/clock.ts";
import { openWatchStoreAt } from "../../src/watch/store/open.ts";
import type { WatchStore } from "../../src/watch/store/types.ts";
import { DATASET, SAMPLE, startTestServer, tempDir, testConfig, type TestServer } from "./server-client.ts";

/**
 * The watch API over real HTTP and a real SQLite watch store: monitors, issues and their actions,
 * alerts with their delivery attempts, sweeps through a recording sweeper, and the issues page;
 * every route scoped to the key's project.
 */

const KEY_A = "watch-alpha-key-000001";
const KEY_B = "watch-beta-key-0000002";
const NOW = "2026-11-20T12:00:00.000Z";

/** Records every call; a sweep writes a real sweep record to the store and can be held open. */
class RecordingSweeper implements Sweeper {
  calls: Array<{ method: string; project: string; monitorId: string; since?: string; dryRun?: boolean; signal?: boolean }> = [];
  private sweeps = 0;
  private hold: Promise<void> | undefined;
  private release: (() => void) | undefined;
  private started: (() => void) | undefined;

  constructor(
    private readonly store: WatchStore,
    private readonly clock: ManualClock,
  ) {}

  /** Sweeps from now on wait until `releaseSweeps`; resolves once one is waiting. */
  holdSweeps(): Promise<void> {
    this.hold = new Promise((resolve) => (this.release = resolve));
    return new Promise((resolve) => (this.started = resolve));
  }

  releaseSweeps(): void {
    this.release?.();
    this.hold = undefined;
  }

  async runSweep(project: string, monitorId: string, options?: SweepOptions): Promise<SweepRecord> {
    this.calls.push({ method: "runSweep", project, monitorId, signal: options?.signal instanceof AbortSignal });
    return this.sweep(project, monitorId, "done", 4);
  }

  async estimateSweep(project: string, monitorId: string): Promise<SweepEstimate> {
    this.calls.push({ method: "estimateSweep", project, monitorId });
    return estimate(4);
  }

  async backfill(project: string, monitorId: string, options: SweepOptions & { since: string; dryRun?: boolean }) {
    this.calls.push({ method: "backfill", project, monitorId, since: options.since, ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}) });
    if (options.dryRun) return { estimate: estimate(9) };
    return { estimate: estimate(9), sweep: await this.sweep(project, monitorId, "done", 9) };
  }

  private async sweep(project: string, monitorId: string, status: SweepRecord["status"], sessions: number): Promise<SweepRecord> {
    const record: SweepRecord = startingSweep({ id: `sweep-${++this.sweeps}`, monitor_id: monitorId, project, started_at: this.clock.now().toISOString() });
    await this.store.startSweep(record);
    if (this.hold) {
      this.started?.();
      await this.hold;
    }
    const finished = { ...record, status, sessions, finished_at: this.clock.now().toISOString() };
    await this.store.updateSweep(record.id, { status, sessions, finished_at: finished.finished_at });
    return finished;
  }
}

function estimate(sessions: number): SweepEstimate {
  return { sessions, over_budget: 0, model_calls: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, note: "offline analyst: no model calls, $0.00" } as SweepEstimate;
}

let dir: { dir: string; remove(): Promise<void> };
let store: WatchStore;
let clock: ManualClock;
let sweeper: RecordingSweeper;
let server: TestServer;

beforeAll(async () => {
  dir = await tempDir("server-watch-");
  store = await openWatchStoreAt({ kind: "sqlite", file: path.join(dir.dir, "watch.sqlite") });
  clock = new ManualClock(NOW);
  sweeper = new RecordingSweeper(store, clock);
  server = await startTestServer({
    dataDir: dir.dir,
    apiKeys: `${KEY_A}=alpha,${KEY_B}=beta`,
    dataset: SAMPLE,
    server: { watch: { store, clock, sweeper: () => sweeper } },
  });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  await dir?.remove();
});

const checkout = {
  name: "Checkout errors",
  filter: { visited_url_contains: "/checkout" },
  focus_area: "payment failures",
  question: { text: "Did the user try to pay?", answer: "yes_no" },
  interval_minutes: 30,
  budget: { daily_usd: 2 },
};

async function createMonitor(body: unknown = checkout, key = KEY_A): Promise<string> {
  const created = await server.json("POST", "/api/monitors", { key, body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.monitor.id as string;
}

async function seedIssue(monitorId: string, patch: Partial<TrackedIssue> = {}): Promise<TrackedIssue> {
  return store.saveIssue({
    id: 0,
    project: "alpha",
    monitor_id: monitorId,
    fingerprint: `error|/checkout|pay-button|${Math.random()}`,
    kind: "error",
    title: "Payment fails with a 500",
    description: "Users pressing Pay see an error; one wrote to jane.doe@example.com about it.",
    severity: "high",
    state: "new",
    first_seen: "2026-11-18T09:00:00.000Z",
    last_seen: "2026-11-20T10:00:00.000Z",
    sweeps_unseen: 0,
    sessions_total: 7,
    users_total: 5,
    examples: [{ session_id: "s-1", report_id: "report-sweep-1", pattern_id: 2, example_index: 0, timestamp: "2026-11-19T10:00:00.000Z", description: "Clicked Pay, saw an error" }],
    ...patch,
  });
}

describe("monitors", () => {
  it("never shows a channel's URL (a Slack webhook URL is a secret): origin and label only", async () => {
    const secretPath = "/services/T000/B000/XXXXsecretXXXX";
    const body = {
      name: "Masked",
      alerts: {
        channels: [
          { kind: "slack", url: `https://hooks.slack.com${secretPath}` },
          { kind: "webhook", url: "https://example.test/hook?token=abc123" },
        ],
      },
    };
    const created = await server.json("POST", "/api/monitors", { key: KEY_A, body });
    expect(created.status).toBe(201);
    const id = created.body.monitor.id as string;
    for (const response of [created, await server.json("GET", `/api/monitors/${id}`, { key: KEY_A }), await server.json("GET", "/api/monitors", { key: KEY_A })]) {
      const text = JSON.stringify(response.body);
      expect(text).not.toContain("secret");
      expect(text).not.toContain("abc123");
      expect(text).toContain("https://hooks.slack.com/***");
    }
    expect(created.body.monitor.alerts.channels[0].label).toMatch(/^slack hooks\.slack\.com#[0-9a-f]{8}$/);
    // The store keeps the real URL: deliveries need it.
    expect((await store.getMonitor(created.body.monitor.project, id))!.alerts.channels[0]!.url).toBe(`https://hooks.slack.com${secretPath}`);
    expect((await server.request("DELETE", `/api/monitors/${id}`, { key: KEY_A })).status).toBe(204);
  });

  it("creates a monitor with its defaults, lists and shows it, and names every field a bad body gets wrong", async () => {
    const bad = [
      [{ ...checkout, name: undefined }, "missing_field", "name"],
      [{ ...checkout, budget: { daily_usdd: 3 } }, "invalid_field", "budget.daily_usdd"],
      [{ ...checkout, question: { text: "Did they pay?", answer: "maybe" } }, "invalid_field", "question.answer"],
      [{ ...checkout, interval_minutes: 0 }, "invalid_field", "interval_minutes"],
      [{ ...checkout, filter: { from: "2026-11-01" } }, "invalid_field", "filter"],
      [{ ...checkout, alerts: { channels: [{ kind: "webhook", url: "not a url" }] } }, "invalid_field", "alerts.channels.0.url"],
      [{ ...checkout, colour: "red" }, "invalid_field", "colour"],
    ] as const;
    for (const [body, code, field] of bad) {
      const response = await server.json("POST", "/api/monitors", { key: KEY_A, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code, JSON.stringify(response.body)).toBe(code);
      expect(response.body.error.message).toContain(field);
    }
    expect((await server.json("GET", "/api/monitors", { key: KEY_A })).body.monitors).toEqual([]);

    const created = await server.json("POST", "/api/monitors", { key: KEY_A, body: checkout });
    expect(created.status).toBe(201);
    const monitor = created.body.monitor;
    expect(monitor).toMatchObject({ project: "alpha", name: "Checkout errors", interval_minutes: 30, paused: false, created_at: NOW, budget: { daily_usd: 2 }, resolve_after_sweeps: 3 });
    expect(monitor.alerts.rules).toEqual([{ kind: "new_issue", min_severity: "medium" }, { kind: "regression" }]);
    // Monitors are listed oldest first.
    clock.advance(60_000);
    const location = (await server.request("POST", "/api/monitors", { key: KEY_A, body: { name: "Second" } })).headers.get("location");
    expect(location).toMatch(/^\/api\/monitors\/mon_/);

    const list = await server.json("GET", "/api/monitors", { key: KEY_A });
    expect(list.body.monitors.map((m: { name: string }) => m.name)).toEqual(["Checkout errors", "Second"]);
    const shown = await server.json("GET", `/api/monitors/${monitor.id}`, { key: KEY_A });
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({ monitor, sweeping: false });
  });

  it("pauses and resumes a monitor; its definition cannot be patched", async () => {
    const id = await createMonitor({ name: "Pausable" });
    const paused = await server.json("PATCH", `/api/monitors/${id}`, { key: KEY_A, body: { paused: true } });
    expect(paused.status).toBe(200);
    expect(paused.body.monitor.paused).toBe(true);
    expect((await store.getMonitor("alpha", id))?.paused).toBe(true);

    const renamed = await server.json("PATCH", `/api/monitors/${id}`, { key: KEY_A, body: { paused: false, name: "Other" } });
    expect(renamed.status).toBe(400);
    expect(renamed.body.error.message).toMatch(/name: only "paused" can be changed/);
    const notBoolean = await server.json("PATCH", `/api/monitors/${id}`, { key: KEY_A, body: { paused: "no" } });
    expect(notBoolean.status).toBe(400);
    expect(notBoolean.body.error.message).toContain("paused");
    expect((await store.getMonitor("alpha", id))?.paused).toBe(true);

    expect((await server.json("PATCH", `/api/monitors/${id}`, { key: KEY_A, body: { paused: false } })).body.monitor.paused).toBe(false);
  });

  it("deletes a monitor with its issues", async () => {
    const id = await createMonitor({ name: "Doomed" });
    const issue = await seedIssue(id);
    expect((await server.request("DELETE", `/api/monitors/${id}`, { key: KEY_A })).status).toBe(204);
    expect((await server.json("GET", `/api/monitors/${id}`, { key: KEY_A })).status).toBe(404);
    expect((await server.json("GET", `/api/issues/${issue.id}`, { key: KEY_A })).status).toBe(404);
    expect((await server.json("DELETE", `/api/monitors/${id}`, { key: KEY_A })).status).toBe(404);
  });
});

describe("issues", () => {
  let monitorId: string;
  let otherMonitorId: string;
  let issue: TrackedIssue;

  beforeAll(async () => {
    monitorId = await createMonitor({ name: "Issues monitor" });
    otherMonitorId = await createMonitor({ name: "Other monitor" });
    issue = await seedIssue(monitorId);
    await seedIssue(otherMonitorId, { title: "Search is slow", kind: "slow", state: "ongoing" });
    await store.addIssueDay({ issue_id: issue.id, day: "2026-11-19", sessions: 3, users: 2 });
    await store.addIssueDay({ issue_id: issue.id, day: "2026-11-20", sessions: 4, users: 3 });
  });

  it("lists the project's issues, by monitor and by state; a bad state or an unknown monitor is told", async () => {
    const all = await server.json("GET", "/api/issues", { key: KEY_A });
    expect(all.status).toBe(200);
    expect(all.body.issues.map((i: TrackedIssue) => i.title).sort()).toEqual(["Payment fails with a 500", "Search is slow"]);
    const one = await server.json("GET", `/api/issues?monitor_id=${monitorId}`, { key: KEY_A });
    expect(one.body.issues.map((i: TrackedIssue) => i.id)).toEqual([issue.id]);
    expect((await server.json("GET", "/api/issues?state=ongoing", { key: KEY_A })).body.issues.map((i: TrackedIssue) => i.title)).toEqual(["Search is slow"]);
    expect((await server.json("GET", "/api/issues?state=new,ongoing", { key: KEY_A })).body.issues).toHaveLength(2);

    const badState = await server.json("GET", "/api/issues?state=open", { key: KEY_A });
    expect(badState.status).toBe(400);
    expect(badState.body.error).toMatchObject({ code: "invalid_query" });
    expect(badState.body.error.message).toContain('"open" is not an issue state');
    const unknownMonitor = await server.json("GET", "/api/issues?monitor_id=mon_nope", { key: KEY_A });
    expect(unknownMonitor.status).toBe(404);
  });

  it("shows an issue with its days and its alerts' attempts, its text redacted", async () => {
    const sweepId = "sweep-issue-alerts";
    const alert = await store.recordAlert({
      project: "alpha",
      monitor_id: monitorId,
      sweep_id: sweepId,
      kind: "new_issue",
      issue_id: issue.id,
      dedupe_key: `new:${issue.id}`,
      created_at: NOW,
      payload: { title: issue.title },
    });
    await store.recordAttempt({ alert_id: alert!.id, channel: "webhook https://hooks.example/a", attempt: 1, at: NOW, ok: false, status: 500, error: "HTTP 500" });
    await store.recordAttempt({ alert_id: alert!.id, channel: "webhook https://hooks.example/a", attempt: 2, at: "2026-11-20T12:00:02.000Z", ok: true, status: 200 });

    const shown = await server.json("GET", `/api/issues/${issue.id}`, { key: KEY_A });
    expect(shown.status).toBe(200);
    expect(shown.body.issue).toMatchObject({ id: issue.id, monitor_id: monitorId, state: "new", sessions_total: 7 });
    expect(shown.body.issue.description).not.toContain("jane.doe@example.com");
    expect(shown.body.days).toEqual([
      { issue_id: issue.id, day: "2026-11-19", sessions: 3, users: 2 },
      { issue_id: issue.id, day: "2026-11-20", sessions: 4, users: 3 },
    ]);
    expect(shown.body.alerts).toHaveLength(1);
    expect(shown.body.alerts[0]).toMatchObject({ id: alert!.id, kind: "new_issue", issue_id: issue.id });
    expect(shown.body.alerts[0].attempts.map((a: { attempt: number; ok: boolean; status: number }) => [a.attempt, a.ok, a.status])).toEqual([
      [1, false, 500],
      [2, true, 200],
    ]);

    for (const id of ["abc", "0", "1.5", "99999999", "-1"]) {
      const missing = await server.json("GET", `/api/issues/${id}`, { key: KEY_A });
      expect(missing.status, id).toBe(404);
      expect(missing.body.error.code).toBe("not_found");
    }
  });

  it("snoozes (only into the future), mutes, resolves and reopens an issue", async () => {
    const action = (body: unknown) => server.json("POST", `/api/issues/${issue.id}/actions`, { key: KEY_A, body });
    const past = await action({ action: "snooze", until: "2026-11-19T00:00:00Z" });
    expect(past.status).toBe(400);
    expect(past.body.error.code).toBe("invalid_until");
    expect(past.body.error.message).toContain("must be in the future");
    const noUntil = await action({ action: "snooze" });
    expect(noUntil.status).toBe(400);
    expect(noUntil.body.error.code).toBe("invalid_until");
    const notADate = await action({ action: "snooze", until: "next week" });
    expect(notADate.status).toBe(400);
    const unknownAction = await action({ action: "explode" });
    expect(unknownAction.status).toBe(400);
    expect(unknownAction.body.error.message).toContain("action");
    expect((await store.getIssue("alpha", issue.id))?.state).toBe("new");

    const snoozed = await action({ action: "snooze", until: "2026-11-27" });
    expect(snoozed.status).toBe(200);
    expect(snoozed.body.issue).toMatchObject({ state: "snoozed", snoozed_until: "2026-11-27T00:00:00.000Z" });
    expect((await server.json("GET", `/api/issues/${issue.id}`, { key: KEY_A })).body.issue.state).toBe("snoozed");
    expect((await server.json("GET", "/api/issues?state=snoozed", { key: KEY_A })).body.issues.map((i: TrackedIssue) => i.id)).toEqual([issue.id]);

    for (const [name, state] of [
      ["mute", "muted"],
      ["resolve", "resolved"],
      ["reopen", "ongoing"],
    ] as const) {
      const answer = await action({ action: name });
      expect(answer.status, name).toBe(200);
      expect(answer.body.issue.state).toBe(state);
      expect(answer.body.issue.snoozed_until).toBeUndefined();
      expect((await store.getIssue("alpha", issue.id))?.state).toBe(state);
    }
  });
});

describe("alerts", () => {
  it("lists alerts with every delivery attempt, by monitor and by issue", async () => {
    const monitorId = await createMonitor({ name: "Alerting" });
    const issue = await seedIssue(monitorId);
    const forIssue = await store.recordAlert({
      project: "alpha",
      monitor_id: monitorId,
      sweep_id: "s1",
      kind: "regression",
      issue_id: issue.id,
      dedupe_key: `reg:${issue.id}`,
      created_at: NOW,
      payload: {},
    });
    const budget = await store.recordAlert({
      project: "alpha",
      monitor_id: monitorId,
      sweep_id: "s1",
      kind: "budget_reached",
      dedupe_key: "budget:2026-11-20",
      created_at: NOW,
      payload: { message: "daily budget reached" },
    });
    await store.recordAttempt({ alert_id: forIssue!.id, channel: "slack", attempt: 1, at: NOW, ok: false, error: "connection refused" });
    await store.recordAttempt({ alert_id: forIssue!.id, channel: "slack", attempt: 2, at: NOW, ok: false, error: "connection refused" });
    await store.recordAttempt({ alert_id: forIssue!.id, channel: "slack", attempt: 3, at: NOW, ok: true, status: 200 });

    const byMonitor = await server.json("GET", `/api/alerts?monitor_id=${monitorId}`, { key: KEY_A });
    expect(byMonitor.status).toBe(200);
    const byId = new Map(byMonitor.body.alerts.map((a: { id: number }) => [a.id, a]));
    expect([...byId.keys()].sort()).toEqual([forIssue!.id, budget!.id].sort());
    expect((byId.get(forIssue!.id) as { attempts: unknown[] }).attempts).toHaveLength(3);
    expect((byId.get(budget!.id) as { attempts: unknown[] }).attempts).toEqual([]);

    const byIssue = await server.json("GET", `/api/alerts?issue_id=${issue.id}`, { key: KEY_A });
    expect(byIssue.body.alerts.map((a: { id: number }) => a.id)).toEqual([forIssue!.id]);
    expect(byIssue.body.alerts[0].attempts.map((a: { ok: boolean }) => a.ok)).toEqual([false, false, true]);
    expect((await server.json("GET", "/api/alerts", { key: KEY_A })).body.alerts.length).toBeGreaterThanOrEqual(2);
    expect((await server.json("GET", "/api/alerts?issue_id=nope", { key: KEY_A })).status).toBe(404);
  });
});

describe("sweeps, estimates, backfills and answers", () => {
  let monitorId: string;

  beforeAll(async () => {
    monitorId = await createMonitor();
  });

  it("runs one sweep through the sweeper and lists it", async () => {
    sweeper.calls = [];
    const ran = await server.json("POST", `/api/monitors/${monitorId}/sweeps`, { key: KEY_A });
    expect(ran.status).toBe(201);
    expect(ran.body.sweep).toMatchObject({ monitor_id: monitorId, project: "alpha", status: "done", sessions: 4 });
    expect(sweeper.calls).toEqual([{ method: "runSweep", project: "alpha", monitorId, signal: true }]);
    const sweeps = await server.json("GET", `/api/monitors/${monitorId}/sweeps`, { key: KEY_A });
    expect(sweeps.body.sweeps.map((s: SweepRecord) => [s.id, s.status])).toEqual([[ran.body.sweep.id, "done"]]);
    expect((await server.json("GET", `/api/monitors/${monitorId}`, { key: KEY_A })).body.last_sweep.id).toBe(ran.body.sweep.id);
    expect((await server.json("POST", `/api/monitors/${monitorId}/sweeps`, { key: KEY_A, body: { now: true } })).status).toBe(400);
    expect((await server.json("GET", `/api/monitors/${monitorId}/sweeps?limit=0`, { key: KEY_A })).status).toBe(400);
  });

  it("refuses a second sweep of the same monitor while one runs (409), and a delete", async () => {
    const waiting = sweeper.holdSweeps();
    const first = server.json("POST", `/api/monitors/${monitorId}/sweeps`, { key: KEY_A });
    await waiting;
    const second = await server.json("POST", `/api/monitors/${monitorId}/sweeps`, { key: KEY_A });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("sweep_running");
    expect((await server.json("GET", `/api/monitors/${monitorId}`, { key: KEY_A })).body.sweeping).toBe(true);
    expect((await server.json("DELETE", `/api/monitors/${monitorId}`, { key: KEY_A })).status).toBe(409);
    sweeper.releaseSweeps();
    expect((await first).status).toBe(201);
    expect((await server.json("GET", `/api/monitors/${monitorId}`, { key: KEY_A })).body.sweeping).toBe(false);
  });

  it("estimates the next sweep, and backfills only when dry_run is false", async () => {
    sweeper.calls = [];
    const estimated = await server.json("GET", `/api/monitors/${monitorId}/estimate`, { key: KEY_A });
    expect(estimated.status).toBe(200);
    expect(estimated.body.estimate).toMatchObject({ sessions: 4, note: expect.stringContaining("offline analyst") });

    const dry = await server.json("POST", `/api/monitors/${monitorId}/backfill`, { key: KEY_A, body: { since: "2026-11-01" } });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dry_run: true, estimate: { sessions: 9 } });
    expect(dry.body.sweep).toBeUndefined();
    const real = await server.json("POST", `/api/monitors/${monitorId}/backfill`, { key: KEY_A, body: { since: "2026-11-01", dry_run: false } });
    expect(real.status).toBe(201);
    expect(real.body.sweep).toMatchObject({ sessions: 9, status: "done" });
    expect(sweeper.calls.map((c) => [c.method, c.dryRun])).toEqual([
      ["estimateSweep", undefined],
      ["backfill", true],
      ["backfill", false],
    ]);

    const badSince = await server.json("POST", `/api/monitors/${monitorId}/backfill`, { key: KEY_A, body: { since: "last month" } });
    expect(badSince.status).toBe(400);
    expect(badSince.body.error.message).toContain("since");
    const missing = await server.json("POST", `/api/monitors/${monitorId}/backfill`, { key: KEY_A, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe("missing_field");
    expect(sweeper.calls).toHaveLength(3);
  });

  it("lists the answers to the monitor's question since a time", async () => {
    const answer = (session_id: string, answered_at: string, value: "yes" | "no") =>
      store.saveAnswer({
        project: "alpha",
        monitor_id: monitorId,
        session_id,
        sweep_id: "sweep-answers",
        answered_at,
        question: "Did the user try to pay?",
        answer: { value, evidence: [{ event_id: "e1", quote: "clicked Pay" }], explanation: "they clicked Pay" },
      });
    await answer("s-old", "2026-11-10T08:00:00.000Z", "no");
    await answer("s-new", "2026-11-20T08:00:00.000Z", "yes");
    const all = await server.json("GET", `/api/monitors/${monitorId}/answers`, { key: KEY_A });
    expect(all.body.answers.map((a: { session_id: string }) => a.session_id)).toEqual(["s-new", "s-old"]);
    const recent = await server.json("GET", `/api/monitors/${monitorId}/answers?since=2026-11-15`, { key: KEY_A });
    expect(recent.body.answers.map((a: { session_id: string; answer: { value: string } }) => [a.session_id, a.answer.value])).toEqual([["s-new", "yes"]]);
    const bad = await server.json("GET", `/api/monitors/${monitorId}/answers?since=monday`, { key: KEY_A });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "invalid_query" });
  });
});

describe("the issues page", () => {
  it("is served with the key in the query, linking examples to their report page", async () => {
    const monitorId = await createMonitor({ name: "Paged monitor" });
    const issue = await seedIssue(monitorId, { title: "Coupon field rejects valid codes" });
    const response = await server.request("GET", `/issues?key=${KEY_A}&monitor_id=${monitorId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await response.text();
    expect(html).toContain("Coupon field rejects valid codes");
    expect(html).toContain(`id="issue-${issue.id}"`);
    expect(html).toContain(`/reports/report-sweep-1?key=${KEY_A}#example-2-0`);
    expect(html).not.toContain("jane.doe@example.com");
    expect(html).not.toContain("Search is slow");

    const byHeader = await server.request("GET", "/issues", { key: KEY_A });
    expect(byHeader.status).toBe(200);
    const all = await byHeader.text();
    expect(all).toContain("Search is slow");
    expect(all).toContain('href="/reports/report-sweep-1#example-2-0"');
    expect((await server.request("GET", "/issues")).status).toBe(401);
    expect((await server.request("GET", `/issues?key=wrong-key-00000000&monitor_id=${monitorId}`)).status).toBe(401);
    expect((await server.request("GET", `/issues?key=${KEY_A}&monitor_id=mon_nope`)).status).toBe(404);
  });
});

describe("project isolation", () => {
  let monitorId: string;
  let issue: TrackedIssue;
  let alertId: number;

  beforeAll(async () => {
    monitorId = await createMonitor({ name: "Alpha's secret monitor" });
    issue = await seedIssue(monitorId, { title: "Alpha's secret issue" });
    alertId = (await store.recordAlert({
      project: "alpha",
      monitor_id: monitorId,
      sweep_id: "s-iso",
      kind: "new_issue",
      issue_id: issue.id,
      dedupe_key: `iso:${issue.id}`,
      created_at: NOW,
      payload: {},
    }))!.id;
    await store.recordAttempt({ alert_id: alertId, channel: "webhook", attempt: 1, at: NOW, ok: true, status: 200 });
  });

  it("B's lists are empty: no monitor, issue, alert or sweep of A", async () => {
    expect((await server.json("GET", "/api/monitors", { key: KEY_B })).body).toEqual({ monitors: [] });
    expect((await server.json("GET", "/api/issues", { key: KEY_B })).body).toEqual({ issues: [] });
    expect((await server.json("GET", "/api/alerts", { key: KEY_B })).body).toEqual({ alerts: [] });
    const page = await server.request("GET", `/issues?key=${KEY_B}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toContain("Alpha's secret");
    expect(html).not.toContain(monitorId);
  });

  it("every route answers B 404 for A's ids, the same as for ids that do not exist, and changes nothing", async () => {
    sweeper.calls = [];
    const routes: Array<[string, string, unknown?]> = [
      ["GET", `/api/monitors/${monitorId}`],
      ["PATCH", `/api/monitors/${monitorId}`, { paused: true }],
      ["DELETE", `/api/monitors/${monitorId}`],
      ["GET", `/api/monitors/${monitorId}/sweeps`],
      ["POST", `/api/monitors/${monitorId}/sweeps`],
      ["GET", `/api/monitors/${monitorId}/estimate`],
      ["POST", `/api/monitors/${monitorId}/backfill`, { since: "2026-11-01", dry_run: false }],
      ["GET", `/api/monitors/${monitorId}/answers`],
      ["GET", `/api/issues?monitor_id=${monitorId}`],
      ["GET", `/api/issues/${issue.id}`],
      ["POST", `/api/issues/${issue.id}/actions`, { action: "mute" }],
      ["GET", `/api/alerts?monitor_id=${monitorId}`],
      ["GET", `/api/alerts?issue_id=${issue.id}`],
      ["GET", `/issues?key=${KEY_B}&monitor_id=${monitorId}`],
    ];
    for (const [method, route, body] of routes) {
      const other = await server.json(method, route, { key: KEY_B, body });
      expect(other.status, `${method} ${route}`).toBe(404);
      expect(other.body.error.code, `${method} ${route}`).toBe("not_found");
      expect(JSON.stringify(other.body)).not.toContain("alpha");
      const unknownRoute = route.replace(monitorId, "mon_00000000000000000000").replace(`/api/issues/${issue.id}`, "/api/issues/987654").replace(`issue_id=${issue.id}`, "issue_id=987654");
      expect((await server.json(method, unknownRoute, { key: KEY_B, body })).status, `${method} ${unknownRoute}`).toBe(404);
    }
    expect(sweeper.calls).toEqual([]);
    const monitor = await store.getMonitor("alpha", monitorId);
    expect(monitor?.paused).toBe(false);
    expect((await store.getIssue("alpha", issue.id))?.state).toBe("new");
    expect((await store.attempts(alertId)).length).toBe(1);
    // A still sees all of it.
    expect((await server.json("GET", `/api/monitors/${monitorId}`, { key: KEY_A })).status).toBe(200);
    expect((await server.json("GET", `/api/issues/${issue.id}`, { key: KEY_A })).body.alerts.map((a: { id: number }) => a.id)).toEqual([alertId]);
  });

  it("B's own monitor is its own: A gets 404 for it", async () => {
    const own = await createMonitor({ name: "Beta's monitor" }, KEY_B);
    expect((await server.json("GET", "/api/monitors", { key: KEY_B })).body.monitors.map((m: { id: string }) => m.id)).toEqual([own]);
    expect((await server.json("GET", `/api/monitors/${own}`, { key: KEY_A })).status).toBe(404);
    expect((await server.json("GET", "/api/monitors", { key: KEY_A })).body.monitors.map((m: { id: string }) => m.id)).not.toContain(own);
  });

  it("no key or a wrong key is 401 on every watch route", async () => {
    for (const [method, route] of [
      ["GET", "/api/monitors"],
      ["POST", "/api/monitors"],
      ["GET", `/api/monitors/${monitorId}`],
      ["POST", `/api/monitors/${monitorId}/sweeps`],
      ["GET", "/api/issues"],
      ["POST", `/api/issues/${issue.id}/actions`],
      ["GET", "/api/alerts"],
      ["GET", "/issues"],
    ] as const) {
      expect((await server.json(method, route)).status, `${method} ${route}`).toBe(401);
      expect((await server.json(method, route, { key: "wrong-key-0000000000" })).status, `${method} ${route}`).toBe(401);
    }
  });
});

describe("the chat", () => {
  it("works on the server's watch store, within the key's project", async () => {
    const monitorId = await createMonitor({ name: "Chatty monitor" });
    const issue = await seedIssue(monitorId, { title: "Chat-muted issue" });
    const threadB = (await server.json("POST", "/api/threads", { key: KEY_B })).body.thread_id as string;
    const fromB = await server.chat(threadB, `mute issue ${issue.id}`, KEY_B);
    expect(fromB.events.at(-1)?.event).toBe("final");
    expect((await store.getIssue("alpha", issue.id))?.state).toBe("new");

    const threadA = (await server.json("POST", "/api/threads", { key: KEY_A })).body.thread_id as string;
    const fromA = await server.chat(threadA, `mute issue ${issue.id}`, KEY_A);
    expect(fromA.events.map((event) => event.event)).toContain("tool_call");
    expect(fromA.events.at(-1)?.event).toBe("final");
    expect((await server.json("GET", `/api/issues/${issue.id}`, { key: KEY_A })).body.issue.state).toBe("muted");
  }, 60_000);
});

describe("a server without a sweeper, and one without a watch store", () => {
  it("answers 503 for sweeps without a sweeper, and for every watch route without a store", async () => {
    const noSweeper = await startTestServer({ dataDir: dir.dir, apiKeys: `${KEY_A}=alpha`, dataset: SAMPLE, server: { watch: { store, clock } } });
    const noStore = await startTestServer({ dataDir: dir.dir, apiKeys: `${KEY_A}=alpha`, dataset: SAMPLE });
    try {
      const [monitor] = (await noSweeper.json("GET", "/api/monitors", { key: KEY_A })).body.monitors as Array<{ id: string }>;
      expect(monitor).toBeDefined();
      for (const [method, route, body] of [
        ["POST", `/api/monitors/${monitor!.id}/sweeps`, undefined],
        ["GET", `/api/monitors/${monitor!.id}/estimate`, undefined],
        ["POST", `/api/monitors/${monitor!.id}/backfill`, { since: "2026-11-01" }],
      ] as const) {
        const answer = await noSweeper.json(method, route, { key: KEY_A, body });
        expect(answer.status, route).toBe(503);
        expect(answer.body.error.code).toBe("sweeps_unavailable");
      }
      for (const route of ["/api/monitors", "/api/issues", "/api/alerts", "/issues"]) {
        const answer = await noStore.json("GET", route, { key: KEY_A });
        expect(answer.status, route).toBe(503);
        expect(answer.body.error.code).toBe("watch_unavailable");
      }
    } finally {
      await noSweeper.close();
      await noStore.close();
    }
  });
});

describe("shutdown", () => {
  it("stops a sweep under way (its signal aborts) and answers its request 503, rather than waiting for it", async () => {
    let aborted = false;
    let sweeping: () => void = () => {};
    const started = new Promise<void>((resolve) => (sweeping = resolve));
    const stopping = await startTestServer({
      dataDir: dir.dir,
      apiKeys: `${KEY_A}=alpha`,
      dataset: SAMPLE,
      server: {
        watch: {
          store,
          clock,
          sweeper: {
            runSweep: (_project, _monitorId, options) =>
              new Promise<SweepRecord>((_resolve, reject) => {
                sweeping();
                options?.signal?.addEventListener("abort", () => {
                  aborted = true;
                  reject(options.signal?.reason);
                });
              }),
            estimateSweep: async () => estimate(0),
            backfill: async () => ({ estimate: estimate(0) }),
          },
        },
      },
    });
    const [monitor] = (await stopping.json("GET", "/api/monitors", { key: KEY_A })).body.monitors as Array<{ id: string }>;
    const request = stopping.json("POST", `/api/monitors/${monitor!.id}/sweeps`, { key: KEY_A });
    await started;
    await stopping.close();
    const answer = await request;
    expect(aborted).toBe(true);
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe("shutting_down");
  });
});

/** `runServe` on a temp data dir, keyless on loopback; resolves once it listens (or fails with its output). */
async function serveInTemp(dataset: string, sweeper?: Parameters<typeof runServe>[0]["sweeper"]) {
  const served = await tempDir("serve-watch-");
  const output: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (output.push(chunk.toString()), done()) });
  const stop = new AbortController();
  let url = "";
  let listened: () => void = () => {};
  const listening = new Promise<void>((resolve) => (listened = resolve));
  const exited = runServe({
    appConfig: testConfig({ dataDir: served.dir }),
    dataset,
    host: "127.0.0.1",
    port: 0,
    signal: stop.signal,
    stdout: sink,
    stderr: sink,
    onListening: (running) => {
      url = running.url;
      listened();
    },
    ...(sweeper ? { sweeper } : {}),
  });
  await Promise.race([listening, exited.then((code) => Promise.reject(new Error(`serve exited with ${code}: ${output.join("")}`)))]);
  return { url, output, served, exited, stop: () => stop.abort() };
}

describe("session-summaries serve", () => {
  it("opens the configured watch store, runs sweeps through the sweeper it is given, and closes the store on shutdown", async () => {
    const calls: string[] = [];
    const { url, output, served, exited, stop } = await serveInTemp(SAMPLE, (context) => ({
      runSweep: async (project, monitorId) => {
        calls.push(`runSweep ${project} ${monitorId} ${typeof context.pipelineFor}`);
        return { id: "sweep-serve", monitor_id: monitorId, project, started_at: NOW, status: "nothing_new", sessions: 0, model_calls: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 };
      },
      estimateSweep: async () => estimate(0),
      backfill: async () => ({ estimate: estimate(0) }),
    }));
    try {
      // Keyless and on loopback: the one local project, no key needed.
      const created = await fetch(`${url}/api/monitors`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Served" }) });
      expect(created.status).toBe(201);
      const { monitor } = (await created.json()) as { monitor: { id: string; project: string } };
      const swept = await fetch(`${url}/api/monitors/${monitor.id}/sweeps`, { method: "POST" });
      expect(swept.status).toBe(201);
      expect(calls).toEqual([`runSweep ${monitor.project} ${monitor.id} function`]);
      expect(output.join("")).toContain(`monitors: sqlite ${path.join(served.dir, "watch.sqlite")}`);
    } finally {
      stop();
    }
    expect(await exited).toBe(0);
    // The monitor is in the configured file, and the server let go of it.
    const reopened = await openWatchStoreAt({ kind: "sqlite", file: path.join(served.dir, "watch.sqlite") });
    try {
      expect((await reopened.listMonitors()).map((m) => m.name)).toEqual(["Served"]);
    } finally {
      await reopened.close();
      await served.remove();
    }
  });

  it("without a sweeper given, sweeps with the real one: a backfill over the dataset makes a report the server serves and issues the API lists", async () => {
    const { url, served, exited, stop } = await serveInTemp(DATASET);
    try {
      const post = (route: string, body: unknown) => fetch(`${url}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const { monitor } = (await (await post("/api/monitors", { name: "Sample", alerts: { rules: [{ kind: "new_issue", min_severity: "low" }] } })).json()) as { monitor: { id: string } };
      // A new monitor takes only sessions that finish from now on: the committed ones are older.
      const next = (await (await fetch(`${url}/api/monitors/${monitor.id}/estimate`)).json()) as { estimate: { sessions: number; note: string } };
      expect(next.estimate.sessions).toBe(0);
      const dry = (await (await post(`/api/monitors/${monitor.id}/backfill`, { since: "2020-01-01" })).json()) as { estimate: { sessions: number; note: string }; sweep?: unknown };
      expect(dry.sweep, JSON.stringify(dry)).toBeUndefined();
      expect(dry.estimate.sessions, JSON.stringify(dry)).toBeGreaterThan(0);
      expect(dry.estimate.sessions).toBeGreaterThan(0);
      expect(dry.estimate.note).toMatch(/no model calls, \$0\.00/);
      const done = (await (await post(`/api/monitors/${monitor.id}/backfill`, { since: "2020-01-01", dry_run: false })).json()) as { sweep: { status: string; sessions: number; report_id: string } };
      expect(done.sweep).toMatchObject({ status: "done", sessions: dry.estimate.sessions });
      const page = await fetch(`${url}/reports/${done.sweep.report_id}`);
      expect(page.status).toBe(200);
      const { issues } = (await (await fetch(`${url}/api/issues?monitor_id=${monitor.id}`)).json()) as { issues: Array<{ state: string }> };
      expect(issues.length).toBeGreaterThan(0);
      expect(issues.every((issue) => issue.state === "new")).toBe(true);
      const alerts = (await (await fetch(`${url}/api/alerts?monitor_id=${monitor.id}`)).json()) as { alerts: Array<{ kind: string }> };
      expect(alerts.alerts.map((a) => a.kind)).toEqual(issues.map(() => "new_issue"));
    } finally {
      stop();
    }
    expect(await exited).toBe(0);
    await served.remove();
  });
});
