import type { AlertKind, IssueDay, IssueExample, IssueState, MonitorQuestion, SweepStatus } from "../../domain/monitor.ts";
import type { Severity } from "../../domain/report.ts";

/**
 * What the issues page shows: plain data read from the watch store once (`loadIssuesPageData`), so
 * rendering is a pure function and the page can be written to a file or served alike. Every text in
 * it (titles, descriptions, names, messages) was written by a model, the analysed site or a user:
 * the renderer escapes all of it.
 */
export interface IssuesPageData {
  project: string;
  /** ISO time the data was read; the trend charts end on its UTC day. */
  generated_at: string;
  /** The UTC days (YYYY-MM-DD) every trend chart covers, oldest first; a day without counts is a zero bar. */
  trend_days: string[];
  /** Set when the page was asked for one monitor only. */
  monitor_id?: string;
  monitors: IssuesPageMonitor[];
  issues: IssuesPageIssue[];
}

export interface IssuesPageMonitor {
  id: string;
  name: string;
  paused: boolean;
  interval_minutes: number;
  created_at: string;
  question?: MonitorQuestion;
  /** The question's answers over the trend days: the yes rate for a yes/no question, a count otherwise. */
  answers?: IssuesPageAnswers;
  /** The newest sweep, whatever its status (a running one included). */
  last_sweep?: IssuesPageSweep;
  /** The newest sweep that ended (done, failed, budget reached, nothing new) when the newest is still running. */
  last_finished_sweep?: IssuesPageSweep;
  /**
   * When the scheduler next takes it (ISO): the newest sweep's start plus the interval, or the page's
   * time when it is due now (never swept, or overdue). Absent for a paused monitor.
   */
  next_sweep_at?: string;
  /** The monitor's own alerts (no issue: budget reached, yes rate), newest first. */
  recent_alerts: IssuesPageAlert[];
}

export type IssuesPageAnswers =
  | { answer: "yes_no"; since: string; yes: number; sessions: number }
  | { answer: "tags"; since: string; sessions: number; tags: Array<{ tag: string; sessions: number }>; capped: boolean }
  | { answer: "score"; since: string; sessions: number; mean?: number; capped: boolean };

export interface IssuesPageSweep {
  id: string;
  status: SweepStatus;
  started_at: string;
  finished_at?: string;
  sessions: number;
  model_calls: number;
  cost_usd: number;
  /** What the status means for people, e.g. "daily budget of $5.00 reached after 41 sessions". */
  message?: string;
}

export interface IssuesPageAlert {
  id: number;
  kind: AlertKind;
  created_at: string;
}

export interface IssuesPageIssue {
  id: number;
  monitor_id: string;
  kind: string;
  title: string;
  description: string;
  severity: Severity;
  state: IssueState;
  snoozed_until?: string;
  first_seen: string;
  last_seen: string;
  sessions_total: number;
  users_total: number;
  /** Its counts on the trend days (days without counts are absent), oldest first. */
  days: IssueDay[];
  examples: IssuesPageExample[];
  /** Alerts about it, newest first, at most `ISSUES_PAGE_DEFAULTS.alertsPerIssue`. */
  recent_alerts: IssuesPageAlert[];
  /** Its ticket in the team's tracker (`issues ticket`), once made. */
  ticket?: { tracker: string; key?: string; href?: string };
}

export interface IssuesPageExample extends IssueExample {
  /** Where its replay is: http(s) or relative only (see `safeHref`); absent when there is no link. */
  replay_href?: string;
}

export interface LoadIssuesPageOptions {
  /** Only this monitor's issues (an id the project does not have is an `IssuesPageError` `monitor_not_found`). */
  monitorId?: string;
  now: Date;
  /** Where an example's replay is, e.g. the served report page's example; a link that is not http(s) or relative is dropped. */
  replayLink?: (example: IssueExample) => string | undefined;
  /** Days the trend charts cover, ending today (UTC); default `ISSUES_PAGE_DEFAULTS.days`. */
  days?: number;
}

export interface RenderIssuesPageOptions {
  /** The nonce of the page's own style and script (default: random per render). */
  nonce?: string;
}
