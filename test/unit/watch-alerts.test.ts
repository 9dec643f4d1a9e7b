import { describe, expect, it } from "vitest";
import { MonitorDefinitionSchema, type AlertKind, type AlertRecord, type IssueDay, type Monitor, type TrackedIssue } from "../../src/domain/monitor.ts";
import { HOUR_MS, ManualClock, MINUTE_MS } from "../../src/watch/clock.ts";
import { AlertRuleError, budgetAlert, countInWindow, decideAlerts, toAlertRecord, type DecideAlertsInput, type DecidedAlert } from "../../src/watch/alerts/rules.ts";
import type { IssueTransition } from "../../src/watch/issues.ts";

function monitorWith(alerts: Record<string, unknown>): Monitor {
  return { ...MonitorDefinitionSchema.parse({ name: "Checkout", alerts }), id: "m1", project: "p1", created_at: "2026-12-01T00:00:00.000Z", paused: false };
}

function issue(id: number, patch: Partial<TrackedIssue> = {}): TrackedIssue {
  return {
    id,
    project: "p1",
    monitor_id: "m1",
    fingerprint: `error | /checkout |  | e${id}`,
    kind: "error",
    title: `Issue ${id}`,
    description: "d",
    severity: "high",
    state: "ongoing",
    first_seen: "2026-12-01T08:00:00.000Z",
    last_seen: "2026-12-01T08:00:00.000Z",
    sweeps_unseen: 0,
    sessions_total: 4,
    users_total: 4,
    examples: [{ session_id: "s1", report_id: "r", pattern_id: 1, example_index: 0, timestamp: "2026-12-01T07:00:00.000Z", description: "Clicking <Place order> threw", verdict: "confirmed" }],
    ...patch,
  };
}

/** An alert log like the store's: records by dedupe key, answers lastAlertAt. */
class AlertLog {
  records: Array<Omit<AlertRecord, "id">> = [];
  record(alerts: DecidedAlert[], sweep: string, now: Date): number {
    let recorded = 0;
    for (const alert of alerts) {
      if (this.records.some((r) => r.dedupe_key === alert.dedupe_key)) continue;
      this.records.push(toAlertRecord(alert, { project: "p1", monitor_id: "m1", sweep_id: sweep, now }));
      recorded += 1;
    }
    return recorded;
  }
  lastAlertAt = (kind: AlertKind, issueId?: number): string | undefined =>
    this.records
      .filter((r) => r.kind === kind && r.issue_id === issueId)
      .map((r) => r.created_at)
      .sort()
      .at(-1);
}

function input(monitor: Monitor, log: AlertLog, now: Date, patch: Partial<DecideAlertsInput> = {}): DecideAlertsInput {
  return { monitor, sweep_id: "sw1", transitions: [], issues: [], days: [], now, lastAlertAt: log.lastAlertAt, ...patch };
}

describe("decideAlerts", () => {
  it("alerts a new issue at or above the minimum severity, once in its life", async () => {
    const monitor = monitorWith({ rules: [{ kind: "new_issue", min_severity: "high" }] });
    const log = new AlertLog();
    const now = new Date("2026-12-01T08:00:00Z");
    const transitions: IssueTransition[] = [
      { issue: issue(1, { state: "new" }), from: null, to: "new" },
      { issue: issue(2, { state: "new", severity: "medium" }), from: null, to: "new" },
    ];
    const alerts = await decideAlerts(input(monitor, log, now, { transitions, issueUrl: (i) => `https://app.test/issues/${i.id}` }));
    expect(alerts.map((a) => [a.kind, a.issue_id, a.dedupe_key])).toEqual([["new_issue", 1, "new_issue:1"]]);
    expect(alerts[0]!.payload.issue?.url).toBe("https://app.test/issues/1");
    expect(alerts[0]!.payload.text).toContain("Issue 1");
    // The same sweep resumed decides the same key: the log refuses it.
    expect(log.record(alerts, "sw1", now)).toBe(1);
    expect(log.record(await decideAlerts(input(monitor, log, now, { transitions })), "sw1", now)).toBe(0);
  });

  it("alerts a regression per sweep, except within the cooldown", async () => {
    const monitor = monitorWith({ rules: [{ kind: "regression" }], cooldown_minutes: 120 });
    const log = new AlertLog();
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const regressed = [{ issue: issue(1, { state: "regressed" }), from: "resolved" as const, to: "regressed" as const }];
    let alerts = await decideAlerts(input(monitor, log, clock.now(), { transitions: regressed }));
    expect(alerts.map((a) => a.dedupe_key)).toEqual(["regression:1:sw1"]);
    log.record(alerts, "sw1", clock.now());
    clock.advance(60 * MINUTE_MS);
    alerts = await decideAlerts(input(monitor, log, clock.now(), { transitions: regressed, sweep_id: "sw2" }));
    expect(alerts).toEqual([]);
    clock.advance(61 * MINUTE_MS);
    alerts = await decideAlerts(input(monitor, log, clock.now(), { transitions: regressed, sweep_id: "sw3" }));
    expect(alerts.map((a) => a.dedupe_key)).toEqual(["regression:1:sw3"]);
  });

  it("raises a threshold alert once while it holds, and a recovery when it clears", async () => {
    const monitor = monitorWith({ rules: [{ kind: "threshold", sessions: 5, window_hours: 24 }], min_sessions: 3, cooldown_minutes: 0 });
    const log = new AlertLog();
    const clock = new ManualClock("2026-12-02T08:00:00Z");
    const issues = [issue(1), issue(2)];
    const days: IssueDay[] = [
      { issue_id: 1, day: "2026-12-01", sessions: 3, users: 3 },
      { issue_id: 1, day: "2026-12-02", sessions: 3, users: 2 },
      { issue_id: 2, day: "2026-12-02", sessions: 4, users: 4 },
    ];
    const decide = (sweep: string) => decideAlerts(input(monitor, log, clock.now(), { issues, days, sweep_id: sweep }));
    let alerts = await decide("sw1");
    expect(alerts.map((a) => [a.kind, a.issue_id, a.dedupe_key])).toEqual([["threshold", 1, "threshold:1:sw1"]]);
    expect(alerts[0]!.payload.window).toEqual({ hours: 24, sessions: 6, users: 5 });
    log.record(alerts, "sw1", clock.now());
    clock.advance(HOUR_MS);
    expect(await decide("sw2")).toEqual([]);
    // Two days later the window holds nothing: recovery, once.
    clock.set("2026-12-04T09:00:00Z");
    alerts = await decide("sw3");
    expect(alerts.map((a) => [a.kind, a.issue_id])).toEqual([["recovery", 1]]);
    log.record(alerts, "sw3", clock.now());
    clock.advance(HOUR_MS);
    expect(await decide("sw4")).toEqual([]);
  });

  it("needs min_sessions in the window for a users threshold, and raises nothing for muted or snoozed issues", async () => {
    const monitor = monitorWith({ rules: [{ kind: "threshold", users: 2, window_hours: 24 }], min_sessions: 3 });
    const log = new AlertLog();
    const now = new Date("2026-12-01T12:00:00Z");
    const days: IssueDay[] = [1, 2, 3].map((id) => ({ issue_id: id, day: "2026-12-01", sessions: id === 1 ? 2 : 5, users: 2 }));
    const issues = [issue(1), issue(2, { state: "muted" }), issue(3, { state: "snoozed", snoozed_until: "2026-12-09T00:00:00Z" })];
    expect(await decideAlerts(input(monitor, log, now, { issues, days }))).toEqual([]);
  });

  it("alerts a yes rate at or above the ratio over at least min_sessions, with cooldown", async () => {
    const monitor = monitorWith({ rules: [{ kind: "yes_rate", ratio: 0.3, window_hours: 12 }], min_sessions: 10, cooldown_minutes: 60 });
    const log = new AlertLog();
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const windows: number[] = [];
    let answers = { yes: 4, sessions: 8 };
    const yesRate = (hours: number) => {
      windows.push(hours);
      return answers;
    };
    expect(await decideAlerts(input(monitor, log, clock.now(), { yesRate }))).toEqual([]);
    answers = { yes: 4, sessions: 12 };
    const alerts = await decideAlerts(input(monitor, log, clock.now(), { yesRate }));
    expect(alerts.map((a) => [a.kind, a.dedupe_key, a.payload.window])).toEqual([["yes_rate", "yes_rate:0:sw1", { hours: 12, sessions: 12, yes: 4, ratio: 0.33 }]]);
    expect(windows).toEqual([12, 12]);
    log.record(alerts, "sw1", clock.now());
    clock.advance(30 * MINUTE_MS);
    expect(await decideAlerts(input(monitor, log, clock.now(), { yesRate, sweep_id: "sw2" }))).toEqual([]);
  });

  it("refuses unsaved issues and threshold rules without a limit", async () => {
    const log = new AlertLog();
    const now = new Date("2026-12-01T08:00:00Z");
    const monitor = monitorWith({ rules: [{ kind: "new_issue" }] });
    await expect(decideAlerts(input(monitor, log, now, { transitions: [{ issue: issue(0), from: null, to: "new" }] }))).rejects.toThrow(AlertRuleError);
    await expect(decideAlerts(input(monitorWith({ rules: [{ kind: "threshold" }] }), log, now))).rejects.toThrow(/sessions` or `users/);
  });

  it("counts the days that overlap the window, and keys a budget alert once per monitor and day", () => {
    const days: IssueDay[] = [
      { issue_id: 1, day: "2026-11-29", sessions: 10, users: 1 },
      { issue_id: 1, day: "2026-11-30", sessions: 1, users: 1 },
      { issue_id: 1, day: "2026-12-01", sessions: 2, users: 2 },
      { issue_id: 2, day: "2026-12-01", sessions: 7, users: 7 },
    ];
    expect(countInWindow(days, 1, new Date("2026-12-01T06:00:00Z"), 12)).toEqual({ sessions: 3, users: 3 });
    expect(countInWindow(days, 1, new Date("2026-12-01T06:00:00Z"), 1)).toEqual({ sessions: 2, users: 2 });
    const alert = budgetAlert({ id: "m1", name: "Checkout" }, "2026-12-01", "daily budget of $5.00 reached after 41 sessions");
    expect(alert.dedupe_key).toBe("budget_reached:m1:2026-12-01");
    expect(alert.payload.text).toBe("Checkout: daily budget of $5.00 reached after 41 sessions");
  });
});
