import { z } from "zod";
import { SessionSelectionFields } from "./selection.ts";
import { SeveritySchema } from "./report.ts";

/**
 * Watching: a monitor is a saved question over the sessions that keep arriving. Every sweep takes
 * the sessions that finished since the monitor's watermark, each once, summarizes them, and matches
 * the patterns it finds to long-lived issues; alert rules say when someone is told.
 */

/** What a monitor may ask of every session, and the typed answer it expects. */
export const MonitorQuestionSchema = z.discriminatedUnion("answer", [
  z.object({ text: z.string().min(3).max(500), answer: z.literal("yes_no") }),
  z.object({ text: z.string().min(3).max(500), answer: z.literal("tags"), tags: z.array(z.string().min(1).max(60)).min(1).max(20) }),
  z.object({ text: z.string().min(3).max(500), answer: z.literal("score") }),
]);
export type MonitorQuestion = z.infer<typeof MonitorQuestionSchema>;

/** When a monitor tells someone. Every rule is checked after each sweep. */
export const AlertRuleSchema = z.discriminatedUnion("kind", [
  /** An issue seen for the first time. */
  z.object({ kind: z.literal("new_issue"), min_severity: SeveritySchema.default("medium") }),
  /** An issue seen again after it was resolved. */
  z.object({ kind: z.literal("regression") }),
  /** An issue affecting at least `sessions` sessions (or `users` users) within the last `window_hours`; a recovery notice when it falls below. */
  z.object({
    kind: z.literal("threshold"),
    sessions: z.number().int().min(1).optional(),
    users: z.number().int().min(1).optional(),
    window_hours: z
      .number()
      .min(1)
      .max(24 * 30)
      .default(24),
  }),
  /** The share of sessions answering "yes" to the monitor's question within the window, at least `ratio` over at least `min_sessions` sessions. */
  z.object({
    kind: z.literal("yes_rate"),
    ratio: z.number().min(0).max(1),
    window_hours: z
      .number()
      .min(1)
      .max(24 * 30)
      .default(24),
  }),
]);
export type AlertRule = z.infer<typeof AlertRuleSchema>;

/** Where alerts go: a JSON webhook signed with HMAC-SHA256, or a Slack incoming webhook. */
export const AlertChannelSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("webhook"), url: z.url(), /** Name of the secret in the configuration (never the secret itself). */ secret_ref: z.string().min(1).max(100).optional() }),
  z.object({ kind: z.literal("slack"), url: z.url() }),
]);
export type AlertChannel = z.infer<typeof AlertChannelSchema>;

export const MonitorBudgetSchema = z.object({
  /** Work stops for the day (UTC) at this cost; the sweep's status and the alert channels say so. */
  daily_usd: z.number().min(0).optional(),
  /** ... or at this many model calls. */
  daily_model_calls: z.number().int().min(0).optional(),
});
export type MonitorBudget = z.infer<typeof MonitorBudgetSchema>;

/** A monitor as saved (the id, project and times are the store's). */
export const MonitorDefinitionSchema = z.object({
  name: z.string().min(1).max(120),
  /** Which sessions it watches: the one session selection of every surface, without ids or a time range (the watermark is its time). */
  filter: z.strictObject(SessionSelectionFields).omit({ ids: true, from: true, to: true }).default({}),
  focus_area: z.string().max(500).optional(),
  question: MonitorQuestionSchema.optional(),
  /** Minutes between sweeps. */
  interval_minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  budget: MonitorBudgetSchema.default({}),
  alerts: z
    .object({
      rules: z.array(AlertRuleSchema).default([{ kind: "new_issue", min_severity: "medium" }, { kind: "regression" }]),
      channels: z.array(AlertChannelSchema).default([]),
      /** No second alert of the same rule for the same issue within this many minutes. */
      cooldown_minutes: z.number().int().min(0).default(60),
      /** A threshold or yes-rate alert needs at least this many sessions in its window. */
      min_sessions: z.number().int().min(1).default(3),
    })
    .default({ rules: [{ kind: "new_issue", min_severity: "medium" }, { kind: "regression" }], channels: [], cooldown_minutes: 60, min_sessions: 3 }),
  /** An issue not seen for this many sweeps (and at least `resolve_after_hours`) is resolved. */
  resolve_after_sweeps: z.number().int().min(1).default(3),
  /**
   * Sessions a problem needs, counted across sweeps, before it is an issue (shown, alerted). A sweep
   * keeps problems seen once, so one that shows up once a sweep is not missed.
   */
  min_issue_sessions: z.number().int().min(1).max(100).default(2),
  resolve_after_hours: z.number().min(0).default(24),
});
export type MonitorDefinition = z.infer<typeof MonitorDefinitionSchema>;
export type MonitorDefinitionInput = z.input<typeof MonitorDefinitionSchema>;

export interface Monitor extends MonitorDefinition {
  id: string;
  project: string;
  created_at: string;
  /** End time (ISO) of the newest session a sweep has taken; sessions that finished later are new. */
  watermark?: string;
  paused: boolean;
}

/**
 * `candidate`: seen in fewer sessions than the monitor's `min_issue_sessions` so far (across sweeps):
 * kept and counted, not shown as an issue and not alerted; it becomes `new` when enough sessions show it.
 */
export const ISSUE_STATES = ["candidate", "new", "ongoing", "resolved", "regressed", "snoozed", "muted"] as const;
/** The states people see as issues (lists, pages, chat): every state but `candidate`. */
export const VISIBLE_ISSUE_STATES = ["new", "ongoing", "resolved", "regressed", "snoozed", "muted"] as const;
export type IssueState = (typeof ISSUE_STATES)[number];

/** One example of an issue kept with it (the best few, with their replay check). */
export interface IssueExample {
  session_id: string;
  report_id: string;
  pattern_id: number;
  example_index: number;
  timestamp: string;
  url?: string;
  description: string;
  verdict?: "confirmed" | "not_confirmed" | "inconclusive";
}

/** A problem tracked across sweeps and reports: one per root problem, matched by its fingerprint. */
export interface TrackedIssue {
  id: number;
  project: string;
  monitor_id: string;
  fingerprint: string;
  /** kind of problem: error, slow, confusion, abandonment, dead_click, other. */
  kind: string;
  title: string;
  description: string;
  severity: z.infer<typeof SeveritySchema>;
  state: IssueState;
  snoozed_until?: string;
  first_seen: string;
  last_seen: string;
  /** Sweeps in a row that did not see it (reset when seen). */
  sweeps_unseen: number;
  sessions_total: number;
  users_total: number;
  examples: IssueExample[];
}

/** Per issue and UTC day. */
export interface IssueDay {
  issue_id: number;
  day: string;
  sessions: number;
  users: number;
}

export const SWEEP_STATUSES = ["running", "done", "failed", "budget_reached", "nothing_new"] as const;
export type SweepStatus = (typeof SWEEP_STATUSES)[number];

export interface SweepRecord {
  id: string;
  monitor_id: string;
  project: string;
  started_at: string;
  finished_at?: string;
  status: SweepStatus;
  /** Sessions taken by this sweep (each session once per monitor). */
  sessions: number;
  report_id?: string;
  model_calls: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  /** What the status means for people, e.g. "daily budget of $5.00 reached after 41 sessions". */
  message?: string;
}

/** A sweep as it starts: running, nothing counted yet. */
export function startingSweep(fields: Pick<SweepRecord, "id" | "monitor_id" | "project" | "started_at"> & Partial<Pick<SweepRecord, "report_id">>): SweepRecord {
  return { ...fields, status: "running", sessions: 0, model_calls: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 };
}

export type AlertKind = "new_issue" | "regression" | "threshold" | "recovery" | "yes_rate" | "budget_reached";

/** An alert decided after a sweep; delivered to every channel of the monitor. */
export interface AlertRecord {
  id: number;
  project: string;
  monitor_id: string;
  sweep_id: string;
  kind: AlertKind;
  issue_id?: number;
  /** One alert per key: rule, issue and occasion, so a resumed sweep does not alert twice. */
  dedupe_key: string;
  created_at: string;
  payload: Record<string, unknown>;
}

/** One attempt to deliver an alert to one channel. */
export interface DeliveryAttempt {
  alert_id: number;
  channel: string;
  attempt: number;
  at: string;
  ok: boolean;
  status?: number;
  error?: string;
}

/** The model's typed answer to a monitor's question about one session, with what supports it. */
export const QuestionAnswerSchema = z.object({
  /** yes/no: "yes", "no" or "unknown" (the session does not say); tags: the chosen tags; score: 1–5. */
  value: z.union([z.enum(["yes", "no", "unknown"]), z.array(z.string().min(1).max(60)).max(20), z.number().int().min(1).max(5)]),
  /** Events of the session that support the answer (ids the session has; quotes from its text). */
  evidence: z.array(z.object({ event_id: z.string().min(1).max(200), quote: z.string().max(500) })).max(10),
  explanation: z.string().max(1000),
});
export type QuestionAnswer = z.infer<typeof QuestionAnswerSchema>;

/** A monitor question's answer for one session, as stored (once per monitor and session). */
export interface SessionAnswer {
  project: string;
  monitor_id: string;
  session_id: string;
  sweep_id: string;
  answered_at: string;
  /** The question as it was asked (a monitor's question can change later). */
  question: string;
  answer: QuestionAnswer;
}
