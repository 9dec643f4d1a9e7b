import { SessionSummariesError } from "../../domain/errors.ts";
import type { AlertKind, AlertRecord, AlertRule, IssueDay, Monitor, TrackedIssue } from "../../domain/monitor.ts";
import { severityRank } from "../../domain/report.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../clock.ts";
import type { IssueTransition } from "../issues.ts";

/**
 * Which alerts a sweep raises, from its issue transitions and the issues' daily counts. Plain code:
 * the caller records each decided alert (the store refuses a dedupe key it has seen, so a resumed
 * sweep that decides again alerts nobody twice) and delivers the recorded ones.
 *
 * Dedupe keys name the rule, the issue and the occasion: a new issue alerts once in its life; a
 * regression, a threshold crossing, a recovery or a yes-rate alert once per sweep that decided it
 * (the sweep id is the same when a stopped sweep resumes). Noise controls: `cooldown_minutes`
 * between two alerts of one rule for one issue, `min_sessions` in a window before a threshold or a
 * yes rate means anything. Snoozed and muted issues raise nothing (they are still counted).
 */

export class AlertRuleError extends SessionSummariesError {}

/** An alert decided, not yet recorded. */
export interface DecidedAlert {
  kind: AlertKind;
  issue_id?: number;
  dedupe_key: string;
  payload: AlertPayload;
}

export interface AlertPayload extends Record<string, unknown> {
  /** One line for people (Slack's text, a webhook's summary). */
  text: string;
  monitor: { id: string; name: string };
  issue?: {
    id: number;
    title: string;
    kind: string;
    severity: string;
    state: string;
    first_seen: string;
    last_seen: string;
    sessions_total: number;
    users_total: number;
    url?: string;
    examples: Array<{ session_id: string; url?: string; description: string; verdict?: string }>;
  };
  /** Threshold and yes-rate alerts: what was counted, over which window. */
  window?: { hours: number; sessions: number; users?: number; yes?: number; ratio?: number };
  rule?: AlertRule;
}

/** Yes answers to the monitor's question among the sessions answered in the last `windowHours`. */
export type YesRateLookup = (windowHours: number) => { yes: number; sessions: number } | Promise<{ yes: number; sessions: number }>;

/** When the newest alert of a kind was made for an issue (or for the monitor): the store's `lastAlertAt`. */
export type LastAlertLookup = (kind: AlertKind, issueId?: number) => string | undefined | Promise<string | undefined>;

export interface DecideAlertsInput {
  monitor: Pick<Monitor, "id" | "name" | "alerts">;
  /** The sweep deciding: part of the occasion in dedupe keys, so its resumption decides the same keys. */
  sweep_id: string;
  /** This sweep's transitions, with saved issue ids (`withIssueIds`). */
  transitions: readonly IssueTransition[];
  /** The issues threshold rules look at (the monitor's issues, saved). */
  issues: readonly TrackedIssue[];
  /** Their daily counts (at least those within the longest window). */
  days: readonly IssueDay[];
  yesRate?: YesRateLookup;
  now: Date;
  lastAlertAt: LastAlertLookup;
  /** Link to an issue's page, when the caller serves one. */
  issueUrl?: (issue: TrackedIssue) => string | undefined;
  /** Examples of an issue shown in an alert. */
  maxExamples?: number;
}

export const DECIDE_ALERTS_DEFAULTS = { maxExamples: 3 } as const;

/** States an issue raises alerts in. */
const ALERTING_STATES: ReadonlySet<string> = new Set(["new", "ongoing", "regressed"]);

function issuePayload(issue: TrackedIssue, input: DecideAlertsInput): NonNullable<AlertPayload["issue"]> {
  const url = input.issueUrl?.(issue);
  return {
    id: issue.id,
    title: issue.title,
    kind: issue.kind,
    severity: issue.severity,
    state: issue.state,
    first_seen: issue.first_seen,
    last_seen: issue.last_seen,
    sessions_total: issue.sessions_total,
    users_total: issue.users_total,
    ...(url ? { url } : {}),
    examples: issue.examples.slice(0, input.maxExamples ?? DECIDE_ALERTS_DEFAULTS.maxExamples).map((example) => ({
      session_id: example.session_id,
      ...(example.url ? { url: example.url } : {}),
      description: example.description,
      ...(example.verdict ? { verdict: example.verdict } : {}),
    })),
  };
}

/** Counts of an issue's days that overlap the last `hours` before `now` (days are the counts' grain). */
export function countInWindow(days: readonly IssueDay[], issueId: number, now: Date, hours: number): { sessions: number; users: number } {
  const from = now.getTime() - hours * HOUR_MS;
  let sessions = 0;
  let users = 0;
  for (const day of days) {
    if (day.issue_id !== issueId) continue;
    const start = Date.parse(`${day.day}T00:00:00.000Z`);
    if (start + DAY_MS <= from || start > now.getTime()) continue;
    sessions += day.sessions;
    users += day.users;
  }
  return { sessions, users };
}

async function coolingDown(input: DecideAlertsInput, kind: AlertKind, issueId?: number): Promise<boolean> {
  const last = await input.lastAlertAt(kind, issueId);
  return last !== undefined && input.now.getTime() - Date.parse(last) < input.monitor.alerts.cooldown_minutes * MINUTE_MS;
}

/** A threshold alert of this issue is standing: the newest threshold alert is newer than the newest recovery. */
async function thresholdStanding(input: DecideAlertsInput, issueId: number): Promise<boolean> {
  const raised = await input.lastAlertAt("threshold", issueId);
  if (raised === undefined) return false;
  const recovered = await input.lastAlertAt("recovery", issueId);
  return recovered === undefined || Date.parse(recovered) < Date.parse(raised);
}

function checkInput(input: DecideAlertsInput): void {
  if (Number.isNaN(input.now.getTime())) throw new AlertRuleError("invalid_time", "now is not a valid date");
  if (!input.sweep_id) throw new AlertRuleError("missing_sweep", "sweep_id is required: it keeps dedupe keys stable when a sweep resumes");
  for (const { issue } of input.transitions) {
    if (issue.id <= 0) throw new AlertRuleError("issue_not_saved", `issue ${JSON.stringify(issue.title)} has no id yet: save issues before deciding alerts`);
  }
  for (const rule of input.monitor.alerts.rules) {
    if (rule.kind === "threshold" && rule.sessions === undefined && rule.users === undefined) {
      throw new AlertRuleError("invalid_rule", "a threshold rule needs `sessions` or `users`");
    }
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The alerts of one sweep, in rule order, each with a stable dedupe key. */
export async function decideAlerts(input: DecideAlertsInput): Promise<DecidedAlert[]> {
  checkInput(input);
  const { monitor } = input;
  const base = { monitor: { id: monitor.id, name: monitor.name } };
  const alerts: DecidedAlert[] = [];
  const thresholdRules = monitor.alerts.rules.filter((rule): rule is Extract<AlertRule, { kind: "threshold" }> => rule.kind === "threshold");

  for (const rule of monitor.alerts.rules) {
    if (rule.kind === "new_issue") {
      for (const { issue, to } of input.transitions) {
        if (to !== "new" || severityRank(issue.severity) < severityRank(rule.min_severity)) continue;
        alerts.push({
          kind: "new_issue",
          issue_id: issue.id,
          dedupe_key: `new_issue:${issue.id}`,
          payload: { ...base, text: `New issue (${issue.severity}): ${issue.title}`, issue: issuePayload(issue, input), rule },
        });
      }
    } else if (rule.kind === "regression") {
      for (const { issue, to } of input.transitions) {
        if (to !== "regressed" || (await coolingDown(input, "regression", issue.id))) continue;
        alerts.push({
          kind: "regression",
          issue_id: issue.id,
          dedupe_key: `regression:${issue.id}:${input.sweep_id}`,
          payload: { ...base, text: `Regressed: ${issue.title} is back after it was resolved`, issue: issuePayload(issue, input), rule },
        });
      }
    } else if (rule.kind === "yes_rate") {
      if (!input.yesRate) continue;
      const index = monitor.alerts.rules.indexOf(rule);
      const { yes, sessions } = await input.yesRate(rule.window_hours);
      if (sessions < monitor.alerts.min_sessions) continue;
      const ratio = yes / sessions;
      if (ratio < rule.ratio || (await coolingDown(input, "yes_rate"))) continue;
      alerts.push({
        kind: "yes_rate",
        dedupe_key: `yes_rate:${index}:${input.sweep_id}`,
        payload: {
          ...base,
          text: `${Math.round(ratio * 100)}% of sessions answered yes (${yes} of ${sessions} in ${rule.window_hours} h) to the monitor's question`,
          window: { hours: rule.window_hours, sessions, yes, ratio: Math.round(ratio * 100) / 100 },
          rule,
        },
      });
    }
  }

  // Threshold rules together: one standing alert per issue (crossing any rule), one recovery when none holds.
  if (thresholdRules.length > 0) {
    for (const issue of [...input.issues].sort((a, b) => a.id - b.id)) {
      if (!ALERTING_STATES.has(issue.state) && issue.state !== "resolved") continue;
      const crossed = thresholdRules
        .map((rule) => ({ rule, ...countInWindow(input.days, issue.id, input.now, rule.window_hours) }))
        .find(
          ({ rule, sessions, users }) => sessions >= monitor.alerts.min_sessions && ((rule.sessions !== undefined && sessions >= rule.sessions) || (rule.users !== undefined && users >= rule.users)),
        );
      const standing = await thresholdStanding(input, issue.id);
      if (crossed && !standing && ALERTING_STATES.has(issue.state) && !(await coolingDown(input, "threshold", issue.id))) {
        alerts.push({
          kind: "threshold",
          issue_id: issue.id,
          dedupe_key: `threshold:${issue.id}:${input.sweep_id}`,
          payload: {
            ...base,
            text: `${issue.title}: ${plural(crossed.sessions, "session")} (${plural(crossed.users, "user")}) in the last ${crossed.rule.window_hours} h`,
            issue: issuePayload(issue, input),
            window: { hours: crossed.rule.window_hours, sessions: crossed.sessions, users: crossed.users },
            rule: crossed.rule,
          },
        });
      } else if (!crossed && standing) {
        const window = Math.max(...thresholdRules.map((rule) => rule.window_hours));
        const counts = countInWindow(input.days, issue.id, input.now, window);
        alerts.push({
          kind: "recovery",
          issue_id: issue.id,
          dedupe_key: `recovery:${issue.id}:${input.sweep_id}`,
          payload: {
            ...base,
            text: `Recovered: ${issue.title} is below its alert threshold (${plural(counts.sessions, "session")} in the last ${window} h)`,
            issue: issuePayload(issue, input),
            window: { hours: window, sessions: counts.sessions, users: counts.users },
          },
        });
      }
    }
  }
  return alerts;
}

/** The alert that says a monitor stopped for the day at its budget: once per monitor and UTC day. */
export function budgetAlert(monitor: Pick<Monitor, "id" | "name">, day: string, message: string): DecidedAlert {
  return { kind: "budget_reached", dedupe_key: `budget_reached:${monitor.id}:${day}`, payload: { text: `${monitor.name}: ${message}`, monitor: { id: monitor.id, name: monitor.name } } };
}

/** A decided alert as the store records it. */
export function toAlertRecord(alert: DecidedAlert, context: { project: string; monitor_id: string; sweep_id: string; now: Date }): Omit<AlertRecord, "id"> {
  return {
    project: context.project,
    monitor_id: context.monitor_id,
    sweep_id: context.sweep_id,
    kind: alert.kind,
    ...(alert.issue_id !== undefined ? { issue_id: alert.issue_id } : {}),
    dedupe_key: alert.dedupe_key,
    created_at: context.now.toISOString(),
    payload: alert.payload,
  };
}
