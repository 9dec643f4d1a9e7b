import { SessionSummariesError } from "../../domain/errors.ts";
import type { AlertRecord, Monitor, SweepRecord, TrackedIssue } from "../../domain/monitor.ts";
import { DAY_MS, MINUTE_MS, utcDay } from "../clock.ts";
import type { WatchStore } from "../store/types.ts";
import { safeHref } from "./security.ts";
import type { IssuesPageAlert, IssuesPageAnswers, IssuesPageData, IssuesPageIssue, IssuesPageMonitor, IssuesPageSweep, LoadIssuesPageOptions } from "./types.ts";

/**
 * A problem with what the issues page was asked for. Codes: `invalid_option` (a time or a number of
 * days that cannot be used), `monitor_not_found` (an id the project does not have).
 */
export class IssuesPageError extends SessionSummariesError {}

export const ISSUES_PAGE_DEFAULTS = {
  /** Days the trend charts cover: a month shows a problem's rise and fall without reading the store's whole history. */
  days: 30,
  /** The longest window a page accepts (the charts stay readable, the reads bounded). */
  maxDays: 366,
  /** Alerts listed per issue and per monitor: the latest few say what was told; the API lists them all. */
  alertsPerItem: 5,
  /** Answers read to summarize a tags or score question (a yes/no question is counted by the store). */
  maxAnswersSummarized: 5_000,
} as const;

/**
 * Reads what the issues page shows for a project (or one of its monitors) from the watch store:
 * the monitors with their newest sweeps and their question's answers, and every issue with its
 * daily counts over the trend days, its examples (with replay links where `replayLink` gives a safe
 * one) and its latest alerts.
 */
export async function loadIssuesPageData(store: WatchStore, project: string, options: LoadIssuesPageOptions): Promise<IssuesPageData> {
  const now = options.now;
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new IssuesPageError("invalid_option", "issues page: `now` is not a valid date");
  const dayCount = options.days ?? ISSUES_PAGE_DEFAULTS.days;
  if (!Number.isInteger(dayCount) || dayCount < 1 || dayCount > ISSUES_PAGE_DEFAULTS.maxDays) {
    throw new IssuesPageError("invalid_option", `issues page: days must be a whole number from 1 to ${ISSUES_PAGE_DEFAULTS.maxDays}, got ${String(options.days)}`);
  }
  const trendDays = trendDaysEndingOn(now, dayCount);
  const since = `${trendDays[0]!}T00:00:00.000Z`;

  let monitors: Monitor[];
  if (options.monitorId !== undefined) {
    const monitor = await store.getMonitor(project, options.monitorId);
    if (!monitor) throw new IssuesPageError("monitor_not_found", `issues page: project ${project} has no monitor ${JSON.stringify(options.monitorId)}`);
    monitors = [monitor];
  } else {
    monitors = await store.listMonitors(project);
  }
  const issues = await store.listIssues(project, options.monitorId === undefined ? {} : { monitor_id: options.monitorId });
  const alerts = await store.listAlerts(project, options.monitorId === undefined ? {} : { monitor_id: options.monitorId });
  const alertsByIssue = new Map<number, AlertRecord[]>();
  const alertsByMonitor = new Map<string, AlertRecord[]>();
  for (const alert of alerts) {
    if (alert.issue_id === undefined) pushTo(alertsByMonitor, alert.monitor_id, alert);
    else pushTo(alertsByIssue, alert.issue_id, alert);
  }

  const pageMonitors: IssuesPageMonitor[] = [];
  for (const monitor of monitors) {
    pageMonitors.push(await loadMonitor(store, monitor, now, since, alertsByMonitor.get(monitor.id) ?? []));
  }
  const pageIssues: IssuesPageIssue[] = [];
  const firstDay = trendDays[0]!;
  const lastDay = trendDays[trendDays.length - 1]!;
  for (const issue of issues) {
    const days = (await store.issueDays(issue.id)).filter((d) => d.day >= firstDay && d.day <= lastDay);
    const page = toPageIssue(issue, days, alertsByIssue.get(issue.id) ?? [], options.replayLink);
    // The tracker ticket made from it (`issues ticket`), once created.
    const ticket = await store.getTicket(project, issue.id);
    const ticketHref = safeHref(ticket?.url);
    if (ticket?.status === "created") page.ticket = { tracker: ticket.tracker, ...(ticket.key ? { key: ticket.key } : {}), ...(ticketHref ? { href: ticketHref } : {}) };
    pageIssues.push(page);
  }
  return {
    project,
    generated_at: now.toISOString(),
    trend_days: trendDays,
    ...(options.monitorId === undefined ? {} : { monitor_id: options.monitorId }),
    monitors: pageMonitors,
    issues: pageIssues,
  };
}

/** The `count` UTC days ending on `now`'s day, oldest first. */
export function trendDaysEndingOn(now: Date, count: number): string[] {
  const today = Date.parse(`${utcDay(now)}T00:00:00.000Z`);
  return Array.from({ length: count }, (_, i) => utcDay(new Date(today - (count - 1 - i) * DAY_MS)));
}

async function loadMonitor(store: WatchStore, monitor: Monitor, now: Date, since: string, alerts: readonly AlertRecord[]): Promise<IssuesPageMonitor> {
  const [newest] = await store.listSweeps(monitor.project, monitor.id, 1);
  let lastFinished: SweepRecord | undefined;
  if (newest?.status === "running") {
    // A sweep under way says little about how the monitor is doing: the one before it says what happened last.
    lastFinished = (await store.listSweeps(monitor.project, monitor.id, 2))[1];
  }
  const answers = monitor.question ? await loadAnswers(store, monitor, since) : undefined;
  return {
    id: monitor.id,
    name: monitor.name,
    paused: monitor.paused,
    interval_minutes: monitor.interval_minutes,
    created_at: monitor.created_at,
    ...(monitor.question ? { question: monitor.question } : {}),
    ...(answers ? { answers } : {}),
    ...(newest ? { last_sweep: toPageSweep(newest) } : {}),
    ...(lastFinished ? { last_finished_sweep: toPageSweep(lastFinished) } : {}),
    ...(monitor.paused ? {} : { next_sweep_at: nextSweepAt(monitor, newest, now) }),
    recent_alerts: latestAlerts(alerts),
  };
}

/** As the scheduler decides: due when never swept or when its newest sweep started an interval ago. */
function nextSweepAt(monitor: Monitor, newest: SweepRecord | undefined, now: Date): string {
  const started = newest ? Date.parse(newest.started_at) : Number.NaN;
  if (!Number.isFinite(started)) return now.toISOString();
  return new Date(Math.max(now.getTime(), started + monitor.interval_minutes * MINUTE_MS)).toISOString();
}

async function loadAnswers(store: WatchStore, monitor: Monitor, since: string): Promise<IssuesPageAnswers | undefined> {
  const question = monitor.question;
  if (!question) return undefined;
  if (question.answer === "yes_no") {
    const rate = await store.yesRate(monitor.id, since);
    return { answer: "yes_no", since, yes: rate.yes, sessions: rate.sessions };
  }
  const limit = ISSUES_PAGE_DEFAULTS.maxAnswersSummarized;
  const answers = await store.listAnswers(monitor.project, monitor.id, { since, limit });
  const capped = answers.length >= limit;
  if (question.answer === "tags") {
    const counts = new Map<string, number>();
    for (const { answer } of answers) {
      if (Array.isArray(answer.value)) for (const tag of new Set(answer.value)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    }
    const tags = [...counts].map(([tag, sessions]) => ({ tag, sessions })).sort((a, b) => b.sessions - a.sessions || a.tag.localeCompare(b.tag));
    return { answer: "tags", since, sessions: answers.length, tags, capped };
  }
  const scores = answers.map((a) => a.answer.value).filter((v): v is number => typeof v === "number");
  return {
    answer: "score",
    since,
    sessions: scores.length,
    ...(scores.length ? { mean: scores.reduce((sum, v) => sum + v, 0) / scores.length } : {}),
    capped,
  };
}

function toPageSweep(sweep: SweepRecord): IssuesPageSweep {
  return {
    id: sweep.id,
    status: sweep.status,
    started_at: sweep.started_at,
    ...(sweep.finished_at ? { finished_at: sweep.finished_at } : {}),
    sessions: sweep.sessions,
    model_calls: sweep.model_calls,
    cost_usd: sweep.cost_usd,
    ...(sweep.message ? { message: sweep.message } : {}),
  };
}

function toPageIssue(issue: TrackedIssue, days: IssuesPageIssue["days"], alerts: readonly AlertRecord[], replayLink: LoadIssuesPageOptions["replayLink"]): IssuesPageIssue {
  return {
    id: issue.id,
    monitor_id: issue.monitor_id,
    kind: issue.kind,
    title: issue.title,
    description: issue.description,
    severity: issue.severity,
    state: issue.state,
    ...(issue.snoozed_until ? { snoozed_until: issue.snoozed_until } : {}),
    first_seen: issue.first_seen,
    last_seen: issue.last_seen,
    sessions_total: issue.sessions_total,
    users_total: issue.users_total,
    days,
    examples: issue.examples.map((example) => {
      const href = safeHref(replayLink?.(example));
      return href === undefined ? { ...example } : { ...example, replay_href: href };
    }),
    recent_alerts: latestAlerts(alerts),
  };
}

/** The newest few, newest first (the store lists them oldest first). */
function latestAlerts(alerts: readonly AlertRecord[]): IssuesPageAlert[] {
  return [...alerts]
    .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id)
    .slice(0, ISSUES_PAGE_DEFAULTS.alertsPerItem)
    .map((a) => ({ id: a.id, kind: a.kind, created_at: a.created_at }));
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
