import type { AlertRecord, DeliveryAttempt, IssueDay, Monitor, MonitorDefinition, SessionAnswer, SweepRecord, TrackedIssue } from "../../domain/monitor.ts";

/**
 * Where monitors, sweeps, issues and alerts live: SQLite by default (a file under the data dir),
 * Postgres when configured. Every read and write is scoped by project; ids of another project are
 * simply not found.
 */
export interface WatchStore {
  /** Brings the schema up to date (migrations in order, each once); called by `openWatchStore`. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * Runs `work` in one transaction: all its writes land or none. Inside, use only the store it is
   * given (SQLite has one connection: the outer store would wait for the transaction to end).
   */
  transaction<T>(work: (store: WatchStore) => Promise<T>): Promise<T>;

  createMonitor(project: string, definition: MonitorDefinition, now: Date): Promise<Monitor>;
  getMonitor(project: string, id: string): Promise<Monitor | undefined>;
  /** A project's monitors, or every project's (the scheduler) when `project` is undefined; oldest first. */
  listMonitors(project?: string): Promise<Monitor[]>;
  updateMonitor(project: string, id: string, patch: Partial<Pick<Monitor, "watermark" | "paused">>): Promise<void>;
  deleteMonitor(project: string, id: string): Promise<boolean>;

  /**
   * Claims sessions for a sweep, each at most once per monitor: returns the ids newly claimed by
   * this sweep, plus those this same sweep had claimed before (a resumed sweep gets its own back).
   */
  claimSessions(monitorId: string, sweepId: string, sessionIds: readonly string[]): Promise<string[]>;
  sessionsOfSweep(sweepId: string): Promise<string[]>;
  /** Those of `sessionIds` no sweep of the monitor has claimed yet, in the order given. */
  unclaimed(monitorId: string, sessionIds: readonly string[]): Promise<string[]>;

  startSweep(sweep: SweepRecord): Promise<void>;
  /**
   * The first write of a sweep's final transaction: true when the sweep was still running or failed.
   * False when another process finished it meanwhile (the row lock makes the second wait, then see it).
   */
  beginFinish(sweepId: string, at: string): Promise<boolean>;
  updateSweep(id: string, patch: Partial<Omit<SweepRecord, "id" | "monitor_id" | "project">>): Promise<void>;
  getSweep(project: string, id: string): Promise<SweepRecord | undefined>;
  /** Newest first. */
  listSweeps(project: string, monitorId: string, limit?: number): Promise<SweepRecord[]>;
  /** The monitor's sweep still marked running (it was stopped mid-way) or failed (its sessions are still its own), if any: the next run finishes it. */
  unfinishedSweep(monitorId: string): Promise<SweepRecord | undefined>;
  /** Cost and model calls of the monitor's sweeps that started on this UTC day (YYYY-MM-DD). */
  spentOn(monitorId: string, day: string): Promise<{ cost_usd: number; model_calls: number }>;

  /** Issues in these states; without `states`, those people see (`VISIBLE_ISSUE_STATES`: not candidates). */
  listIssues(project: string, filter?: { monitor_id?: string; states?: readonly string[] }): Promise<TrackedIssue[]>;
  /** A visible issue (a candidate is not found). */
  getIssue(project: string, id: number): Promise<TrackedIssue | undefined>;
  /** People's actions: only the state columns, so a sweep's counts written meanwhile are kept; undefined when not found (or a candidate). */
  updateIssueState(project: string, id: number, change: Pick<TrackedIssue, "state" | "sweeps_unseen"> & { snoozed_until?: string }): Promise<TrackedIssue | undefined>;
  findIssue(monitorId: string, fingerprint: string): Promise<TrackedIssue | undefined>;
  /** Inserts (no id yet: `id` 0) or updates an issue; returns it with its id. */
  saveIssue(issue: TrackedIssue): Promise<TrackedIssue>;
  /** Adds to the issue's counts of that UTC day. */
  addIssueDay(day: IssueDay): Promise<void>;
  issueDays(issueId: number): Promise<IssueDay[]>;

  /** Records an alert; undefined when one with the same dedupe key exists (it was decided already). */
  recordAlert(alert: Omit<AlertRecord, "id">): Promise<AlertRecord | undefined>;
  /** Oldest first; `since` (ISO) keeps the newer ones, `limit` the newest that many. */
  listAlerts(project: string, filter?: { monitor_id?: string; issue_id?: number; since?: string; limit?: number }): Promise<AlertRecord[]>;
  /** When the newest alert of this kind for this issue (or monitor) was made: cooldowns. */
  lastAlertAt(monitorId: string, kind: string, issueId?: number): Promise<string | undefined>;
  recordAttempt(attempt: DeliveryAttempt): Promise<void>;
  attempts(alertId: number): Promise<DeliveryAttempt[]>;

  /** Saves the answer of a monitor's question for a session (again: replaced). */
  saveAnswer(answer: SessionAnswer): Promise<void>;
  /** A monitor's answers, newest first; `since` (ISO) keeps those answered at or after it. */
  listAnswers(project: string, monitorId: string, filter?: { since?: string; limit?: number }): Promise<SessionAnswer[]>;
  /** Yes/no answers since (ISO): how many said yes among those that said yes or no. */
  yesRate(monitorId: string, since: string): Promise<{ yes: number; sessions: number }>;

  /**
   * Claims the right to create the issue's ticket: true for exactly one caller however many race
   * (the issue's row is the primary key); a claim older than `staleBefore` (ISO) whose creator
   * never finished is taken over. Otherwise the link as it stands (`creating` while the other works).
   */
  claimTicket(project: string, issueId: number, tracker: TicketTracker, at: string, staleBefore: string): Promise<{ claimed: true } | { claimed: false; link: TicketLink }>;
  /** Records the created ticket on the claimed row; the link. */
  completeTicket(project: string, issueId: number, created: Pick<TicketLink, "external_id" | "key" | "url">, at: string): Promise<TicketLink>;
  /** Drops a claim whose creation failed, so a later request may try again. */
  releaseTicket(project: string, issueId: number): Promise<void>;
  getTicket(project: string, issueId: number): Promise<TicketLink | undefined>;
  /** Within a sweep's transaction: the issue regressed on this occasion (its sweep); no-op without a created ticket or when already noted. */
  markTicketRegression(issueId: number, occasion: string): Promise<void>;
  /** Created tickets of the project with a regression not yet told to the tracker. */
  pendingTicketRegressions(project: string): Promise<TicketLink[]>;
  /** Takes a pending regression for telling: true for one caller only; `undo` puts it back after a failure. */
  takeTicketRegression(issueId: number, occasion: string, at: string, undo?: boolean): Promise<boolean>;
}

export const TICKET_TRACKERS = ["github", "linear", "webhook"] as const;
export type TicketTracker = (typeof TICKET_TRACKERS)[number];

/** An issue's ticket in a tracker, kept on the issue (one per issue). */
export interface TicketLink {
  issue_id: number;
  project: string;
  tracker: TicketTracker;
  status: "creating" | "created";
  claimed_at: string;
  /** GitHub: the issue number; Linear: the issue's id; webhook: the receiver's id, else the delivery key. */
  external_id?: string;
  /** What people call it: `#12` on GitHub, `ENG-12` on Linear. */
  key?: string;
  url?: string;
  created_at?: string;
  /** The regression (its sweep) waiting to be told to the tracker. */
  regression_pending?: string;
  /** The last regression told to the tracker. */
  last_regression?: string;
  regressions_noted: number;
}
