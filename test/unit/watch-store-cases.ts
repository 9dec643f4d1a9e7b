import { describe, expect, it } from "vitest";
import { MonitorDefinitionSchema, startingSweep, type SweepRecord, type TrackedIssue } from "../../src/domain/monitor.ts";
import { WatchStoreError } from "../../src/watch/store/errors.ts";
import type { KyselyWatchStore } from "../../src/watch/store/kysely-store.ts";
import { MIGRATION_NAMES } from "../../src/watch/store/migrations/index.ts";

/**
 * The behaviour of the watch store, run against a SQLite file (test/unit/watch-store.test.ts) and
 * the real Postgres (test/services/watch-store-postgres.test.ts). `open` opens a store on the SAME
 * database every call (a second connection, as a second process would), migrated unless
 * `migrate: false`. Tests share the database: each works in projects of its own.
 */
export interface WatchStoreFactory {
  open(options?: { migrate?: boolean }): Promise<KyselyWatchStore>;
}

export async function expectWatchStoreError(promise: Promise<unknown>, code: string): Promise<WatchStoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected WatchStoreError(${code})`).toBeInstanceOf(WatchStoreError);
  expect((error as WatchStoreError).code).toBe(code);
  return error as WatchStoreError;
}

let projects = 0;
/** A project name no other test uses (the database is shared across tests and, for SQLite, files). */
function freshProject(): string {
  projects += 1;
  return `p${projects}_${Math.random().toString(36).slice(2, 8)}`;
}

const NOW = new Date("2026-03-02T10:00:00.000Z");
const CONCURRENT_CLAIM_ROUNDS = 8;
const definition = (name: string) => MonitorDefinitionSchema.parse({ name, focus_area: "checkout", question: { text: "Did the user pay?", answer: "yes_no" } });

function sweep(monitorId: string, project: string, id: string, startedAt: string, patch: Partial<SweepRecord> = {}): SweepRecord {
  return { ...startingSweep({ id, monitor_id: monitorId, project, started_at: startedAt }), ...patch };
}

function issue(monitorId: string, project: string, fingerprint: string, patch: Partial<TrackedIssue> = {}): TrackedIssue {
  return {
    id: 0,
    project,
    monitor_id: monitorId,
    fingerprint,
    kind: "error",
    title: `Checkout fails (${fingerprint})`,
    description: "Place order throws",
    severity: "high",
    state: "new",
    first_seen: "2026-03-02T09:00:00.000Z",
    last_seen: "2026-03-02T09:30:00.000Z",
    sweeps_unseen: 0,
    sessions_total: 2,
    users_total: 1,
    examples: [{ session_id: "s1", report_id: "r1", pattern_id: 1, example_index: 0, timestamp: "2026-03-02T09:00:01.000Z", description: "TypeError", verdict: "confirmed" }],
    ...patch,
  };
}

export function describeWatchStoreCases(label: string, factory: WatchStoreFactory): void {
  /** A migrated store and a project with one monitor, closed after `body`. */
  async function withMonitor(body: (store: KyselyWatchStore, project: string, monitorId: string) => Promise<void>): Promise<void> {
    const store = await factory.open();
    try {
      const project = freshProject();
      const monitor = await store.createMonitor(project, definition("Checkout"), NOW);
      await body(store, project, monitor.id);
    } finally {
      await store.close();
    }
  }

  describe(`WatchStore on ${label}`, () => {
    describe("migrations", () => {
      it("run each migration once: migrating again (same or another connection) is a no-op that keeps the data", async () => {
        const first = await factory.open({ migrate: false });
        const second = await factory.open({ migrate: false });
        try {
          await first.migrate();
          await first.migrate();
          await second.migrate();
          const project = freshProject();
          const monitor = await first.createMonitor(project, definition("Kept"), NOW);
          await second.migrate();
          expect(await first.appliedMigrations()).toEqual([...MIGRATION_NAMES]);
          expect(await second.appliedMigrations()).toEqual([...MIGRATION_NAMES]);
          expect(MIGRATION_NAMES[0]).toBe("001-initial");
          expect((await second.getMonitor(project, monitor.id))?.name).toBe("Kept");
        } finally {
          await first.close();
          await second.close();
        }
      });
    });

    describe("monitors", () => {
      it("creates, reads, lists oldest first, updates and deletes a project's monitors", async () => {
        const store = await factory.open();
        try {
          const project = freshProject();
          const a = await store.createMonitor(project, definition("A"), NOW);
          const b = await store.createMonitor(project, definition("B"), new Date(NOW.getTime() + 1_000));
          expect(a.id).toMatch(/^mon_[0-9a-f]+$/);
          expect(a).toEqual({ ...definition("A"), id: a.id, project, created_at: NOW.toISOString(), paused: false });
          expect(a.interval_minutes).toBe(15);
          expect(await store.getMonitor(project, a.id)).toEqual(a);
          expect((await store.listMonitors(project)).map((m) => m.name)).toEqual(["A", "B"]);

          await store.updateMonitor(project, a.id, { watermark: "2026-03-02T09:59:00.000Z", paused: true });
          expect(await store.getMonitor(project, a.id)).toMatchObject({ watermark: "2026-03-02T09:59:00.000Z", paused: true });
          await store.updateMonitor(project, a.id, { paused: false });
          expect(await store.getMonitor(project, a.id)).toMatchObject({ watermark: "2026-03-02T09:59:00.000Z", paused: false });

          expect(await store.deleteMonitor(project, b.id)).toBe(true);
          expect(await store.deleteMonitor(project, b.id)).toBe(false);
          expect((await store.listMonitors(project)).map((m) => m.id)).toEqual([a.id]);
        } finally {
          await store.close();
        }
      });

      it("keeps projects apart: another project's monitor is not found, not updated, not deleted; the scheduler lists all", async () => {
        const store = await factory.open();
        try {
          const mine = freshProject();
          const theirs = freshProject();
          const monitor = await store.createMonitor(mine, definition("Mine"), NOW);
          const other = await store.createMonitor(theirs, definition("Theirs"), NOW);
          expect(await store.getMonitor(theirs, monitor.id)).toBeUndefined();
          await expectWatchStoreError(store.updateMonitor(theirs, monitor.id, { paused: true }), "watch_store_not_found");
          expect(await store.deleteMonitor(theirs, monitor.id)).toBe(false);
          expect((await store.getMonitor(mine, monitor.id))?.paused).toBe(false);
          expect((await store.listMonitors(mine)).map((m) => m.id)).toEqual([monitor.id]);
          const all = (await store.listMonitors()).map((m) => m.id);
          expect(all).toEqual(expect.arrayContaining([monitor.id, other.id]));
        } finally {
          await store.close();
        }
      });

      it("deleting a monitor deletes its claims, sweeps, issues, days, alerts and attempts", async () => {
        await withMonitor(async (store, project, monitorId) => {
          await store.startSweep(sweep(monitorId, project, `${monitorId}-s1`, NOW.toISOString()));
          await store.claimSessions(monitorId, `${monitorId}-s1`, ["a", "b"]);
          const saved = await store.saveIssue(issue(monitorId, project, "fp"));
          await store.addIssueDay({ issue_id: saved.id, day: "2026-03-02", sessions: 1, users: 1 });
          const alert = await store.recordAlert({
            project,
            monitor_id: monitorId,
            sweep_id: `${monitorId}-s1`,
            kind: "new_issue",
            issue_id: saved.id,
            dedupe_key: "k",
            created_at: NOW.toISOString(),
            payload: {},
          });
          await store.recordAttempt({ alert_id: alert!.id, channel: "webhook", attempt: 1, at: NOW.toISOString(), ok: true, status: 200 });

          expect(await store.deleteMonitor(project, monitorId)).toBe(true);
          expect(await store.sessionsOfSweep(`${monitorId}-s1`)).toEqual([]);
          expect(await store.getSweep(project, `${monitorId}-s1`)).toBeUndefined();
          expect(await store.getIssue(project, saved.id)).toBeUndefined();
          expect(await store.issueDays(saved.id)).toEqual([]);
          expect(await store.listAlerts(project)).toEqual([]);
          expect(await store.attempts(alert!.id)).toEqual([]);
        });
      });
    });

    describe("claimSessions", () => {
      it("claims each session once per monitor; a resumed sweep gets its own claims back", async () => {
        await withMonitor(async (store, project, monitorId) => {
          expect(await store.claimSessions(monitorId, "sweep-1", ["s1", "s2", "s2", "s3"])).toEqual(["s1", "s2", "s3"]);
          // The next sweep sees s2 and s3 again (their end times are past the watermark too): it takes only s4.
          expect(await store.claimSessions(monitorId, "sweep-2", ["s2", "s3", "s4"])).toEqual(["s4"]);
          // sweep-1 stopped mid-way and resumes: it gets back exactly what it had.
          expect(await store.claimSessions(monitorId, "sweep-1", ["s1", "s2", "s3", "s4", "s5"])).toEqual(["s1", "s2", "s3", "s5"]);
          expect(await store.sessionsOfSweep("sweep-1")).toEqual(["s1", "s2", "s3", "s5"]);
          expect(await store.sessionsOfSweep("sweep-2")).toEqual(["s4"]);
          expect(await store.claimSessions(monitorId, "sweep-3", [])).toEqual([]);
          // Another monitor watches the same sessions independently.
          const other = await store.createMonitor(project, definition("Other"), NOW);
          expect(await store.claimSessions(other.id, "sweep-x", ["s1", "s4"])).toEqual(["s1", "s4"]);
        });
      });

      it("claims many sessions at once (more than one INSERT batch)", async () => {
        await withMonitor(async (store, _project, monitorId) => {
          const ids = Array.from({ length: 1_234 }, (_, i) => `session-${i}`);
          expect(await store.claimSessions(monitorId, "big-1", ids)).toEqual(ids);
          expect(await store.claimSessions(monitorId, "big-2", ids)).toEqual([]);
          expect((await store.sessionsOfSweep("big-1")).length).toBe(ids.length);
        });
      });

      it("gives each session to exactly one sweep when sweeps on two connections claim overlapping ids at once", async () => {
        await withMonitor(async (store, _project, monitorId) => {
          const second = await factory.open();
          try {
            // Several rounds: a lost or doubled claim (or a deadlock between the two connections) shows up in one of them.
            for (let round = 0; round < CONCURRENT_CLAIM_ROUNDS; round += 1) {
              const monitor = `${monitorId}-round${round}`;
              const ids = Array.from({ length: 400 }, (_, i) => `s${i}`);
              // Each sweep sees an overlapping window, in its own order.
              const claims: Array<[KyselyWatchStore, string, string[]]> = [
                [store, "a", ids.slice(0, 300)],
                [second, "b", ids.slice(100).reverse()],
                [store, "c", [...ids].reverse()],
                [second, "d", ids.slice(50, 350)],
              ];
              const results = await Promise.all(claims.map(([on, sweepId, window]) => on.claimSessions(monitor, `${monitor}-${sweepId}`, window)));
              const claimed = results.flat();
              expect(claimed.length).toBe(ids.length);
              expect(new Set(claimed).size).toBe(ids.length);
              // Every sweep's own record agrees with what it was told.
              for (const [index, [, sweepId]] of claims.entries()) {
                expect((await store.sessionsOfSweep(`${monitor}-${sweepId}`)).sort()).toEqual([...results[index]!].sort());
              }
            }
          } finally {
            await second.close();
          }
        });
      });
    });

    describe("sweeps", () => {
      it("starts, updates, lists newest first, finds the unfinished one, and keeps projects apart", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const first = sweep(monitorId, project, `${monitorId}-1`, "2026-03-02T08:00:00.000Z");
          const second = sweep(monitorId, project, `${monitorId}-2`, "2026-03-02T08:15:00.000Z");
          await store.startSweep(first);
          await store.startSweep(second);
          expect(await store.getSweep(project, first.id)).toEqual(first);
          expect((await store.unfinishedSweep(monitorId))?.id).toBe(second.id);

          await store.updateSweep(second.id, {
            status: "done",
            finished_at: "2026-03-02T08:16:00.000Z",
            sessions: 7,
            report_id: "rep-1",
            model_calls: 3,
            input_tokens: 900,
            output_tokens: 120,
            cost_usd: 0.0125,
            message: "7 sessions",
          });
          expect(await store.getSweep(project, second.id)).toEqual({
            ...second,
            status: "done",
            finished_at: "2026-03-02T08:16:00.000Z",
            sessions: 7,
            report_id: "rep-1",
            model_calls: 3,
            input_tokens: 900,
            output_tokens: 120,
            cost_usd: 0.0125,
            message: "7 sessions",
          });
          expect((await store.unfinishedSweep(monitorId))?.id).toBe(first.id);
          // A failed sweep still owns its sessions: the next run finishes it.
          await store.updateSweep(first.id, { status: "failed" });
          expect((await store.unfinishedSweep(monitorId))?.id).toBe(first.id);
          // Only one process finishes a sweep: the second is told it is finished already.
          expect(await store.beginFinish(first.id, "2026-03-02T10:09:00.000Z")).toBe(true);
          await store.updateSweep(first.id, { status: "done" });
          expect(await store.beginFinish(first.id, "2026-03-02T10:10:00.000Z")).toBe(false);
          expect(await store.unfinishedSweep(monitorId)).toBeUndefined();

          expect((await store.listSweeps(project, monitorId)).map((s) => s.id)).toEqual([second.id, first.id]);
          expect((await store.listSweeps(project, monitorId, 1)).map((s) => s.id)).toEqual([second.id]);

          const stranger = freshProject();
          expect(await store.getSweep(stranger, first.id)).toBeUndefined();
          expect(await store.listSweeps(stranger, monitorId)).toEqual([]);
          await expectWatchStoreError(store.updateSweep("no-such-sweep", { status: "done" }), "watch_store_not_found");
        });
      });

      it("spentOn sums cost and model calls of the sweeps that started on that UTC day", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const at = (id: string, startedAt: string, cost: number, calls: number) =>
            store.startSweep(sweep(monitorId, project, `${monitorId}-${id}`, startedAt, { cost_usd: cost, model_calls: calls, status: "done" }));
          await at("a", "2026-03-01T23:59:59.999Z", 1, 10);
          await at("b", "2026-03-02T00:00:00.000Z", 0.25, 2);
          // 01:30 at +02:00 is 23:30 UTC the day before.
          await at("c", "2026-03-02T01:30:00+02:00", 0.5, 3);
          await at("d", "2026-03-02T23:59:00.000Z", 0.125, 4);
          await at("e", "2026-03-03T00:00:00.000Z", 8, 100);
          await store.updateSweep(`${monitorId}-d`, { cost_usd: 0.375, model_calls: 5 });

          expect(await store.spentOn(monitorId, "2026-03-01")).toEqual({ cost_usd: 1.5, model_calls: 13 });
          expect(await store.spentOn(monitorId, "2026-03-02")).toEqual({ cost_usd: 0.625, model_calls: 7 });
          expect(await store.spentOn(monitorId, "2026-02-28")).toEqual({ cost_usd: 0, model_calls: 0 });
          expect(await store.getSweep(project, `${monitorId}-c`)).toMatchObject({ started_at: "2026-03-01T23:30:00.000Z" });
          await expectWatchStoreError(store.spentOn(monitorId, "2026-02-30"), "watch_store_invalid_value");
          await expectWatchStoreError(store.spentOn(monitorId, "yesterday"), "watch_store_invalid_value");
        });
      });
    });

    describe("issues", () => {
      it("inserts with a new id, updates, finds by fingerprint, filters, and keeps projects apart", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const checkout = await store.saveIssue(issue(monitorId, project, "error|/checkout|place-order"));
          const search = await store.saveIssue(issue(monitorId, project, "error|/search", { state: "resolved", severity: "low", examples: [] }));
          expect(checkout.id).toBeGreaterThan(0);
          expect(search.id).not.toBe(checkout.id);
          expect(checkout).toEqual({ ...issue(monitorId, project, "error|/checkout|place-order"), id: checkout.id });
          expect(await store.getIssue(project, checkout.id)).toEqual(checkout);
          expect(await store.findIssue(monitorId, "error|/checkout|place-order")).toEqual(checkout);
          expect(await store.findIssue(monitorId, "nope")).toBeUndefined();

          const updated = await store.saveIssue({ ...checkout, state: "snoozed", snoozed_until: "2026-03-09T00:00:00.000Z", sessions_total: 5, sweeps_unseen: 2 });
          expect(updated).toEqual({ ...checkout, state: "snoozed", snoozed_until: "2026-03-09T00:00:00.000Z", sessions_total: 5, sweeps_unseen: 2 });
          expect(await store.getIssue(project, checkout.id)).toEqual(updated);

          expect((await store.listIssues(project)).map((i) => i.id)).toEqual([checkout.id, search.id]);
          expect((await store.listIssues(project, { states: ["resolved"] })).map((i) => i.id)).toEqual([search.id]);
          expect(await store.listIssues(project, { states: [] })).toEqual([]);
          const other = await store.createMonitor(project, definition("Other"), NOW);
          const elsewhere = await store.saveIssue(issue(other.id, project, "error|/checkout|place-order"));
          expect((await store.listIssues(project, { monitor_id: monitorId })).map((i) => i.id)).toEqual([checkout.id, search.id]);
          expect((await store.listIssues(project, { monitor_id: other.id })).map((i) => i.id)).toEqual([elsewhere.id]);

          const stranger = freshProject();
          expect(await store.getIssue(stranger, checkout.id)).toBeUndefined();
          expect(await store.listIssues(stranger)).toEqual([]);
          await expectWatchStoreError(store.saveIssue({ ...checkout, project: stranger, title: "taken over" }), "watch_store_not_found");
          expect((await store.getIssue(project, checkout.id))?.title).toBe(checkout.title);
          expect(await store.getIssue(project, Number.NaN)).toBeUndefined();
        });
      });

      it("hides candidates from getIssue and lists; updateIssueState changes only the state columns", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const candidate = await store.saveIssue(issue(monitorId, project, "fp-candidate", { state: "candidate", sessions_total: 1 }));
          expect(await store.getIssue(project, candidate.id)).toBeUndefined();
          expect(await store.listIssues(project, { monitor_id: monitorId })).toEqual([]);
          expect((await store.listIssues(project, { monitor_id: monitorId, states: ["candidate"] })).map((i) => i.id)).toEqual([candidate.id]);
          expect(await store.updateIssueState(project, candidate.id, { state: "ongoing", sweeps_unseen: 0 })).toBeUndefined();

          const visible = await store.saveIssue(issue(monitorId, project, "fp-visible", { sessions_total: 2 }));
          // A sweep counts meanwhile: the action must not write back the old counts.
          await store.saveIssue({ ...visible, sessions_total: 9, last_seen: "2026-03-02T11:00:00.000Z" });
          const muted = await store.updateIssueState(project, visible.id, { state: "snoozed", sweeps_unseen: 0, snoozed_until: "2026-03-09T00:00:00.000Z" });
          expect(muted).toMatchObject({ state: "snoozed", snoozed_until: "2026-03-09T00:00:00.000Z", sessions_total: 9, last_seen: "2026-03-02T11:00:00.000Z" });
          expect(await store.updateIssueState("another-project", visible.id, { state: "muted", sweeps_unseen: 0 })).toBeUndefined();
          await expectWatchStoreError(store.updateIssueState(project, visible.id, { state: "candidate", sweeps_unseen: 0 }), "watch_store_invalid_value");
        });
      });

      it("refuses a second issue with the same monitor and fingerprint", async () => {
        await withMonitor(async (store, project, monitorId) => {
          await store.saveIssue(issue(monitorId, project, "same"));
          const error = await expectWatchStoreError(store.saveIssue(issue(monitorId, project, "same")), "watch_store_conflict");
          expect(error.message).toMatch(/watch store/);
          expect(await store.listIssues(project)).toHaveLength(1);
        });
      });

      it("addIssueDay adds to the day's counts; issueDays lists them by day", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const saved = await store.saveIssue(issue(monitorId, project, "days"));
          await store.addIssueDay({ issue_id: saved.id, day: "2026-03-02", sessions: 2, users: 1 });
          await store.addIssueDay({ issue_id: saved.id, day: "2026-03-01", sessions: 1, users: 1 });
          await store.addIssueDay({ issue_id: saved.id, day: "2026-03-02", sessions: 3, users: 2 });
          expect(await store.issueDays(saved.id)).toEqual([
            { issue_id: saved.id, day: "2026-03-01", sessions: 1, users: 1 },
            { issue_id: saved.id, day: "2026-03-02", sessions: 5, users: 3 },
          ]);
          await expectWatchStoreError(store.addIssueDay({ issue_id: saved.id, day: "March 2", sessions: 1, users: 1 }), "watch_store_invalid_value");
        });
      });
    });

    describe("alerts", () => {
      it("records an alert once per dedupe key, also when two connections record it at once", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const saved = await store.saveIssue(issue(monitorId, project, "alerted"));
          const alert = {
            project,
            monitor_id: monitorId,
            sweep_id: "sw1",
            kind: "new_issue" as const,
            issue_id: saved.id,
            dedupe_key: `new_issue:${saved.id}`,
            created_at: NOW.toISOString(),
            payload: { title: "Checkout fails", sessions: 2 },
          };
          const recorded = await store.recordAlert(alert);
          expect(recorded).toEqual({ ...alert, id: recorded!.id });
          expect(await store.recordAlert({ ...alert, sweep_id: "sw1-resumed" })).toBeUndefined();

          const second = await factory.open();
          try {
            const racing = { ...alert, dedupe_key: "regression:race" };
            const results = await Promise.all([store.recordAlert(racing), second.recordAlert(racing), store.recordAlert(racing), second.recordAlert(racing)]);
            expect(results.filter((r) => r !== undefined)).toHaveLength(1);
          } finally {
            await second.close();
          }
          // The same key under another monitor is another alert.
          const other = await store.createMonitor(project, definition("Other"), NOW);
          expect(await store.recordAlert({ ...alert, monitor_id: other.id })).toBeDefined();
          expect(await store.listAlerts(project, { monitor_id: monitorId })).toHaveLength(2);
        });
      });

      it("lists alerts by monitor and issue, oldest first, never another project's", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const a = await store.saveIssue(issue(monitorId, project, "a"));
          const record = (key: string, issueId?: number) =>
            store.recordAlert({
              project,
              monitor_id: monitorId,
              sweep_id: "sw",
              kind: issueId ? "threshold" : "budget_reached",
              ...(issueId ? { issue_id: issueId } : {}),
              dedupe_key: key,
              created_at: NOW.toISOString(),
              payload: { key },
            });
          const first = await record("k1", a.id);
          const budget = await record("k2");
          expect((await store.listAlerts(project)).map((x) => x.id)).toEqual([first!.id, budget!.id]);
          expect((await store.listAlerts(project, { issue_id: a.id })).map((x) => x.id)).toEqual([first!.id]);
          expect(budget).not.toHaveProperty("issue_id");
          expect(await store.listAlerts(freshProject())).toEqual([]);
        });
      });

      it("lastAlertAt gives the newest alert of a kind for an issue, or for the monitor itself", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const a = await store.saveIssue(issue(monitorId, project, "a"));
          const b = await store.saveIssue(issue(monitorId, project, "b"));
          const base = { project, monitor_id: monitorId, sweep_id: "sw", payload: {} };
          await store.recordAlert({ ...base, kind: "threshold", issue_id: a.id, dedupe_key: "t1", created_at: "2026-03-02T08:00:00.000Z" });
          await store.recordAlert({ ...base, kind: "threshold", issue_id: a.id, dedupe_key: "t2", created_at: "2026-03-02T09:00:00.000Z" });
          await store.recordAlert({ ...base, kind: "recovery", issue_id: a.id, dedupe_key: "r1", created_at: "2026-03-02T10:00:00.000Z" });
          await store.recordAlert({ ...base, kind: "budget_reached", dedupe_key: "b1", created_at: "2026-03-02T07:00:00.000Z" });
          expect(await store.lastAlertAt(monitorId, "threshold", a.id)).toBe("2026-03-02T09:00:00.000Z");
          expect(await store.lastAlertAt(monitorId, "threshold", b.id)).toBeUndefined();
          expect(await store.lastAlertAt(monitorId, "budget_reached")).toBe("2026-03-02T07:00:00.000Z");
          expect(await store.lastAlertAt(monitorId, "threshold")).toBeUndefined();
        });
      });

      it("records every delivery attempt, in order; the same attempt recorded again keeps its latest outcome", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const alert = await store.recordAlert({ project, monitor_id: monitorId, sweep_id: "sw", kind: "regression", dedupe_key: "r", created_at: NOW.toISOString(), payload: {} });
          const id = alert!.id;
          await store.recordAttempt({ alert_id: id, channel: "webhook https://hooks.example/a", attempt: 1, at: "2026-03-02T10:00:00.000Z", ok: false, status: 503, error: "Service Unavailable" });
          await store.recordAttempt({ alert_id: id, channel: "slack", attempt: 1, at: "2026-03-02T10:00:00.500Z", ok: true, status: 200 });
          await store.recordAttempt({ alert_id: id, channel: "webhook https://hooks.example/a", attempt: 2, at: "2026-03-02T10:00:02.000Z", ok: false, error: "ECONNREFUSED" });
          await store.recordAttempt({ alert_id: id, channel: "webhook https://hooks.example/a", attempt: 2, at: "2026-03-02T10:00:02.000Z", ok: true, status: 204 });
          expect(await store.attempts(id)).toEqual([
            { alert_id: id, channel: "webhook https://hooks.example/a", attempt: 1, at: "2026-03-02T10:00:00.000Z", ok: false, status: 503, error: "Service Unavailable" },
            { alert_id: id, channel: "slack", attempt: 1, at: "2026-03-02T10:00:00.500Z", ok: true, status: 200 },
            { alert_id: id, channel: "webhook https://hooks.example/a", attempt: 2, at: "2026-03-02T10:00:02.000Z", ok: true, status: 204 },
          ]);
          expect(await store.attempts(id + 1_000_000)).toEqual([]);
        });
      });
    });

    describe("unclaimed, answers and transactions", () => {
      it("unclaimed leaves out the sessions any sweep of the monitor took, in the order given", async () => {
        await withMonitor(async (store, _project, monitorId) => {
          await store.claimSessions(monitorId, "sw1", ["b", "d"]);
          expect(await store.unclaimed(monitorId, ["d", "a", "b", "c", "a"])).toEqual(["a", "c"]);
          expect(await store.unclaimed("another-monitor", ["b"])).toEqual(["b"]);
        });
      });

      it("saves one answer per session (again: replaced), lists newest first, and counts the yes rate among yes/no answers", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const at = (minute: number) => new Date(NOW.getTime() + minute * 60_000).toISOString();
          const answer = (session_id: string, value: "yes" | "no" | "unknown", minute: number) => ({
            project,
            monitor_id: monitorId,
            session_id,
            sweep_id: "sw1",
            answered_at: at(minute),
            question: "Did the user pay?",
            answer: { value, evidence: [{ event_id: "e1", quote: "Payment failed" }], explanation: "the page said so" },
          });
          await store.saveAnswer(answer("s1", "no", 1));
          await store.saveAnswer(answer("s1", "yes", 2));
          await store.saveAnswer(answer("s2", "no", 3));
          await store.saveAnswer(answer("s3", "unknown", 4));
          await store.saveAnswer(answer("s4", "yes", -120));
          expect((await store.listAnswers(project, monitorId)).map((a) => [a.session_id, a.answer.value])).toEqual([
            ["s3", "unknown"],
            ["s2", "no"],
            ["s1", "yes"],
            ["s4", "yes"],
          ]);
          expect(await store.yesRate(monitorId, at(0))).toEqual({ yes: 1, sessions: 2 });
          expect(await store.yesRate(monitorId, at(-180))).toEqual({ yes: 2, sessions: 3 });
          expect(await store.listAnswers("another-project", monitorId)).toEqual([]);
          await expectWatchStoreError(store.saveAnswer({ ...answer("s5", "yes", 5), answer: { value: 9, evidence: [], explanation: "" } }), "watch_store_invalid_value");
        });
      });

      it("a transaction's writes land together, or none when it throws", async () => {
        await withMonitor(async (store, project, monitorId) => {
          await store.transaction(async (tx) => {
            await tx.startSweep(sweep(monitorId, project, "tx-ok", "2026-03-02T10:00:00.000Z"));
            await tx.claimSessions(monitorId, "tx-ok", ["s1"]);
          });
          await expect(
            store.transaction(async (tx) => {
              await tx.startSweep(sweep(monitorId, project, "tx-bad", "2026-03-02T11:00:00.000Z"));
              await tx.claimSessions(monitorId, "tx-bad", ["s2"]);
              throw new Error("stopped half-way");
            }),
          ).rejects.toThrow(/stopped half-way/);
          expect((await store.listSweeps(project, monitorId)).map((s) => s.id)).toEqual(["tx-ok"]);
          expect(await store.unclaimed(monitorId, ["s1", "s2"])).toEqual(["s2"]);
        });
      });
    });

    describe("issue tickets", () => {
      it("one claim wins however many race (a second connection too); the link is kept; a released claim can be taken again", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const other = await factory.open();
          try {
            const saved = await store.saveIssue(issue(monitorId, project, "ticket|race"));
            const at = NOW.toISOString();
            const stale = new Date(NOW.getTime() - 60_000).toISOString();
            const claims = await Promise.all(Array.from({ length: 6 }, (_, n) => (n % 2 === 0 ? store : other).claimTicket(project, saved.id, "github", at, stale)));
            expect(claims.filter((claim) => claim.claimed)).toHaveLength(1);
            expect(claims.filter((claim) => !claim.claimed).map((claim) => !claim.claimed && claim.link.status)).toEqual(["creating", "creating", "creating", "creating", "creating"]);
            // Another project never sees it, nor claims it.
            expect(await store.getTicket(freshProject(), saved.id)).toBeUndefined();
            await expectWatchStoreError(store.claimTicket(freshProject(), saved.id, "github", at, stale), "watch_store_conflict");

            await store.releaseTicket(project, saved.id);
            expect(await store.getTicket(project, saved.id)).toBeUndefined();
            expect((await other.claimTicket(project, saved.id, "linear", at, stale)).claimed).toBe(true);
            const link = await other.completeTicket(project, saved.id, { external_id: "lin-1", key: "ENG-1", url: "https://linear.app/x/ENG-1" }, at);
            expect(link).toMatchObject({ issue_id: saved.id, project, tracker: "linear", status: "created", key: "ENG-1", regressions_noted: 0 });
            expect(await store.getTicket(project, saved.id)).toEqual(link);
            // A created link is never taken over, however old.
            const later = await store.claimTicket(project, saved.id, "github", "2030-01-01T00:00:00.000Z", "2029-12-31T00:00:00.000Z");
            expect(later).toEqual({ claimed: false, link });
          } finally {
            await other.close();
          }
        });
      });

      it("takes over a claim whose creator stopped, once", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const saved = await store.saveIssue(issue(monitorId, project, "ticket|stale"));
          expect((await store.claimTicket(project, saved.id, "github", "2026-03-02T10:00:00.000Z", "2026-03-02T09:58:00.000Z")).claimed).toBe(true);
          const fresh = await store.claimTicket(project, saved.id, "github", "2026-03-02T10:01:00.000Z", "2026-03-02T09:59:00.000Z");
          expect(fresh.claimed).toBe(false);
          const takeovers = await Promise.all([0, 1, 2].map(() => store.claimTicket(project, saved.id, "github", "2026-03-02T10:05:00.000Z", "2026-03-02T10:03:00.000Z")));
          expect(takeovers.filter((claim) => claim.claimed)).toHaveLength(1);
        });
      });

      it("notes a regression once per occasion; only one caller takes it; a failed telling goes back pending", async () => {
        await withMonitor(async (store, project, monitorId) => {
          const saved = await store.saveIssue(issue(monitorId, project, "ticket|regress"));
          const without = await store.saveIssue(issue(monitorId, project, "ticket|none"));
          await store.markTicketRegression(saved.id, "sweep-1");
          // No created ticket yet: nothing to tell.
          expect(await store.pendingTicketRegressions(project)).toEqual([]);
          await store.claimTicket(project, saved.id, "github", NOW.toISOString(), NOW.toISOString());
          await store.completeTicket(project, saved.id, { external_id: "7", key: "#7" }, NOW.toISOString());
          await store.transaction(async (tx) => {
            await tx.markTicketRegression(saved.id, "sweep-2");
            await tx.markTicketRegression(without.id, "sweep-2");
          });
          expect((await store.pendingTicketRegressions(project)).map((link) => [link.issue_id, link.regression_pending])).toEqual([[saved.id, "sweep-2"]]);
          const takes = await Promise.all([0, 1, 2].map(() => store.takeTicketRegression(saved.id, "sweep-2", NOW.toISOString())));
          expect(takes.filter(Boolean)).toHaveLength(1);
          expect(await store.getTicket(project, saved.id)).toMatchObject({ last_regression: "sweep-2", regressions_noted: 1 });
          expect(await store.pendingTicketRegressions(project)).toEqual([]);
          // The same sweep finished again (or resumed) marks nothing new.
          await store.markTicketRegression(saved.id, "sweep-2");
          expect(await store.pendingTicketRegressions(project)).toEqual([]);
          // A later regression is pending; its telling fails and is undone, so the next sweep tries again.
          await store.markTicketRegression(saved.id, "sweep-5");
          expect(await store.takeTicketRegression(saved.id, "sweep-5", NOW.toISOString())).toBe(true);
          expect(await store.takeTicketRegression(saved.id, "sweep-5", NOW.toISOString(), true)).toBe(true);
          expect(await store.getTicket(project, saved.id)).toMatchObject({ regression_pending: "sweep-5", regressions_noted: 1 });
          // Deleting the monitor deletes its issues' tickets.
          expect(await store.deleteMonitor(project, monitorId)).toBe(true);
          expect(await store.getTicket(project, saved.id)).toBeUndefined();
        });
      });
    });

    describe("errors", () => {
      it("refuses work after close with watch_store_closed naming the database", async () => {
        const store = await factory.open();
        await store.close();
        await store.close();
        const error = await expectWatchStoreError(store.listMonitors(), "watch_store_closed");
        expect(error.message).toContain(store.description);
      });

      it("refuses times that are not times with watch_store_invalid_value", async () => {
        await withMonitor(async (store, project, monitorId) => {
          await expectWatchStoreError(store.updateMonitor(project, monitorId, { watermark: "not a time" }), "watch_store_invalid_value");
          await expectWatchStoreError(store.startSweep(sweep(monitorId, project, "bad", "soon")), "watch_store_invalid_value");
        });
      });
    });
  });
}
