import type { Generated } from "kysely";
import type { TrackedIssue } from "../../domain/monitor.ts";

/**
 * The watch store's tables as Kysely sees them, the same on SQLite and Postgres: times are ISO-8601
 * UTC text (they sort as text), JSON is text, booleans are 0/1 integers (portable).
 */
export interface WatchDatabase {
  monitors: MonitorsTable;
  monitor_sessions: MonitorSessionsTable;
  sweeps: SweepsTable;
  issues: IssuesTable;
  issue_days: IssueDaysTable;
  alerts: AlertsTable;
  delivery_attempts: DeliveryAttemptsTable;
  answers: AnswersTable;
  issue_tickets: IssueTicketsTable;
}

export interface MonitorsTable {
  id: string;
  project: string;
  name: string;
  /** `MonitorDefinition` as JSON. */
  definition: string;
  created_at: string;
  watermark: string | null;
  paused: number;
}

/** One row per session a monitor has taken: the primary key makes each session once per monitor. */
export interface MonitorSessionsTable {
  monitor_id: string;
  session_id: string;
  sweep_id: string;
}

export interface SweepsTable {
  id: string;
  monitor_id: string;
  project: string;
  started_at: string;
  finished_at: string | null;
  status: string;
  sessions: number;
  report_id: string | null;
  model_calls: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  message: string | null;
}

/** An issue's row: the domain fields as they are, but the id generated, enums as text, examples as JSON. */
export interface IssuesTable extends Omit<TrackedIssue, "id" | "severity" | "state" | "snoozed_until" | "examples"> {
  id: Generated<number>;
  severity: string;
  state: string;
  snoozed_until: string | null;
  /** `IssueExample[]` as JSON. */
  examples: string;
}

export interface IssueDaysTable {
  issue_id: number;
  /** YYYY-MM-DD (UTC). */
  day: string;
  sessions: number;
  users: number;
}

export interface AlertsTable {
  id: Generated<number>;
  project: string;
  monitor_id: string;
  sweep_id: string;
  kind: string;
  issue_id: number | null;
  dedupe_key: string;
  created_at: string;
  /** The alert's payload as JSON. */
  payload: string;
}

export interface DeliveryAttemptsTable {
  alert_id: number;
  channel: string;
  attempt: number;
  at: string;
  ok: number;
  status: number | null;
  error: string | null;
}

export type WatchDialect = "sqlite" | "postgres";

/** One monitor question's answer per monitor and session. */
export interface AnswersTable {
  monitor_id: string;
  session_id: string;
  project: string;
  sweep_id: string;
  answered_at: string;
  question: string;
  /** 1 yes, 0 no, null otherwise (tags, scores, unknown). */
  yes: number | null;
  /** `QuestionAnswer` as JSON. */
  answer: string;
}

/** The tracker ticket of an issue (migration 003): one per issue. */
export interface IssueTicketsTable {
  issue_id: number;
  project: string;
  tracker: string;
  /** `creating` (claimed, the tracker is being asked) or `created`. */
  status: string;
  claimed_at: string;
  external_id: string | null;
  key: string | null;
  url: string | null;
  created_at: string | null;
  regression_pending: string | null;
  last_regression: string | null;
  regressions_noted: Generated<number>;
}
