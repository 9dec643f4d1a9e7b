import { randomBytes } from "node:crypto";
import { Migrator, sql, type Kysely, type Selectable } from "kysely";
import {
  ISSUE_STATES,
  VISIBLE_ISSUE_STATES,
  MonitorDefinitionSchema,
  SWEEP_STATUSES,
  type AlertKind,
  type AlertRecord,
  type DeliveryAttempt,
  type IssueDay,
  type IssueExample,
  type IssueState,
  type Monitor,
  type MonitorDefinition,
  QuestionAnswerSchema,
  type SessionAnswer,
  type SweepRecord,
  type SweepStatus,
  type TrackedIssue,
} from "../../domain/monitor.ts";
import { SeveritySchema } from "../../domain/report.ts";
import { describeIssues } from "../../domain/errors.ts";
import { WatchStoreError, watchStoreError, type WatchStoreTarget } from "./errors.ts";
import { WatchMigrations } from "./migrations/index.ts";
import type { AlertsTable, IssuesTable, IssueTicketsTable, SweepsTable, WatchDatabase, WatchDialect, MonitorsTable } from "./schema.ts";
import { TICKET_TRACKERS, type TicketLink, type TicketTracker, type WatchStore } from "./types.ts";

/** Names of the migration bookkeeping tables (Kysely's defaults would say nothing about whose they are). */
export const MIGRATION_TABLE = "watch_migration";
export const MIGRATION_LOCK_TABLE = "watch_migration_lock";
/**
 * Sessions claimed per INSERT: 3 parameters a row stays under SQLite's oldest limit of 999 bound
 * parameters (and Postgres' 65,535).
 */
const CLAIM_BATCH_ROWS = 300;
/** Random bytes of a monitor id (`mon_` + hex): 64 bits, no collision in practice. */
const MONITOR_ID_BYTES = 8;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MS_PER_DAY = 24 * 60 * 60 * 1000;

export interface KyselyWatchStoreOptions {
  db: Kysely<WatchDatabase>;
  dialect: WatchDialect;
  target: WatchStoreTarget;
  /** Postgres: the schema the tables live in (connections use it as their search_path). */
  schema?: string;
  /** Releases what the store opened besides Kysely's pool (nothing for either dialect today). */
  onClose?: () => Promise<void>;
  /**
   * Runs the migrations so that no other connection migrates at the same time. Postgres needs none
   * (Kysely takes an advisory lock); SQLite's migrator locks nothing, so the opener provides one.
   */
  exclusive?: <T>(work: () => Promise<T>) => Promise<T>;
}

/** Carries Kysely's migration outcome out of `exclusive`, so a failed migration is rolled back. */
class MigrationFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly migrationName: string | undefined,
  ) {
    super("migration failed");
  }
}

/**
 * The one `WatchStore`, for SQLite and Postgres alike: every query is Kysely's, the dialect decides
 * only the auto-numbered ids of the first migration. Errors are `WatchStoreError`s naming the
 * database (`watch_store_unavailable`, `watch_store_conflict`, ...), never a password.
 */
export class KyselyWatchStore implements WatchStore {
  readonly description: string;
  private closed = false;

  constructor(private readonly options: KyselyWatchStoreOptions) {
    this.description = options.target.label;
  }

  private get db(): Kysely<WatchDatabase> {
    return this.options.db;
  }

  /** Runs one operation: refused after close; every error a `WatchStoreError` naming the database. */
  private async run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new WatchStoreError("watch_store_closed", `${this.options.target.label}: ${operation} after the store was closed`);
    try {
      return await work();
    } catch (error) {
      throw watchStoreError(error, this.options.target, operation);
    }
  }

  private migrator(): Migrator {
    return new Migrator({
      db: this.db,
      provider: new WatchMigrations(this.options.dialect),
      migrationTableName: MIGRATION_TABLE,
      migrationLockTableName: MIGRATION_LOCK_TABLE,
      ...(this.options.schema ? { migrationTableSchema: this.options.schema } : {}),
    });
  }

  /** Names of the migrations this database has run, in order (for status output and tests). */
  async appliedMigrations(): Promise<string[]> {
    const migrations = await this.run("appliedMigrations", () => this.migrator().getMigrations());
    return migrations.filter((migration) => migration.executedAt !== undefined).map((migration) => migration.name);
  }

  async migrate(): Promise<void> {
    if (this.closed) throw new WatchStoreError("watch_store_closed", `${this.options.target.label}: migrate after the store was closed`);
    const migrator = this.migrator();
    const exclusive = this.options.exclusive ?? (<T>(work: () => Promise<T>) => work());
    try {
      await exclusive(async () => {
        const { error, results } = await migrator.migrateToLatest();
        if (error !== undefined) throw new MigrationFailure(error, results?.find((result) => result.status === "Error")?.migrationName);
      });
    } catch (caught) {
      const error = caught instanceof MigrationFailure ? caught.error : caught;
      const failed = caught instanceof MigrationFailure ? caught.migrationName : undefined;
      const mapped = watchStoreError(error, this.options.target, failed ? `migration ${failed}` : "migrate");
      if (mapped.code !== "watch_store_failed") throw mapped;
      throw new WatchStoreError("watch_store_migration_failed", mapped.message, { cause: error });
    }
  }

  async transaction<T>(work: (store: WatchStore) => Promise<T>): Promise<T> {
    return this.run("transaction", () => this.db.transaction().execute((trx) => work(new KyselyWatchStore({ ...this.options, db: trx, onClose: undefined }))));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
    await this.options.onClose?.();
  }

  // ---- monitors

  async createMonitor(project: string, definition: MonitorDefinition, now: Date): Promise<Monitor> {
    const parsed = MonitorDefinitionSchema.safeParse(definition);
    if (!parsed.success) {
      throw new WatchStoreError("watch_store_invalid_value", `${this.options.target.label}: invalid monitor: ${describeIssues(parsed.error.issues)}`);
    }
    const row: MonitorsTable = {
      id: `mon_${randomBytes(MONITOR_ID_BYTES).toString("hex")}`,
      project,
      name: parsed.data.name,
      definition: JSON.stringify(parsed.data),
      created_at: isoTime(now, "created_at"),
      watermark: null,
      paused: 0,
    };
    await this.run("createMonitor", () => this.db.insertInto("monitors").values(row).execute());
    return this.toMonitor(row);
  }

  async getMonitor(project: string, id: string): Promise<Monitor | undefined> {
    const row = await this.run("getMonitor", () => this.db.selectFrom("monitors").selectAll().where("project", "=", project).where("id", "=", id).executeTakeFirst());
    return row && this.toMonitor(row);
  }

  async listMonitors(project?: string): Promise<Monitor[]> {
    const rows = await this.run("listMonitors", () => {
      let query = this.db.selectFrom("monitors").selectAll();
      if (project !== undefined) query = query.where("project", "=", project);
      return query.orderBy("created_at").orderBy("id").execute();
    });
    return rows.map((row) => this.toMonitor(row));
  }

  async updateMonitor(project: string, id: string, patch: Partial<Pick<Monitor, "watermark" | "paused">>): Promise<void> {
    const values: Partial<Pick<MonitorsTable, "watermark" | "paused">> = {};
    if (patch.watermark !== undefined) values.watermark = isoTime(patch.watermark, "watermark");
    if (patch.paused !== undefined) values.paused = patch.paused ? 1 : 0;
    const updated = await this.run("updateMonitor", async () => {
      if (Object.keys(values).length === 0) {
        return (await this.db.selectFrom("monitors").select("id").where("project", "=", project).where("id", "=", id).executeTakeFirst()) ? 1 : 0;
      }
      const result = await this.db.updateTable("monitors").set(values).where("project", "=", project).where("id", "=", id).executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
    if (updated === 0) throw this.notFound("monitor", id, project);
  }

  /** Deletes the monitor with everything it made: its claims, sweeps, issues and their days, alerts and their attempts. */
  async deleteMonitor(project: string, id: string): Promise<boolean> {
    return this.run("deleteMonitor", () =>
      this.db.transaction().execute(async (trx) => {
        const found = await trx.selectFrom("monitors").select("id").where("project", "=", project).where("id", "=", id).executeTakeFirst();
        if (!found) return false;
        const alertIds = trx.selectFrom("alerts").select("id").where("monitor_id", "=", id);
        const issueIds = trx.selectFrom("issues").select("id").where("monitor_id", "=", id);
        await trx.deleteFrom("delivery_attempts").where("alert_id", "in", alertIds).execute();
        await trx.deleteFrom("alerts").where("monitor_id", "=", id).execute();
        await trx.deleteFrom("issue_days").where("issue_id", "in", issueIds).execute();
        await trx.deleteFrom("issue_tickets").where("issue_id", "in", issueIds).execute();
        await trx.deleteFrom("issues").where("monitor_id", "=", id).execute();
        await trx.deleteFrom("sweeps").where("monitor_id", "=", id).execute();
        await trx.deleteFrom("monitor_sessions").where("monitor_id", "=", id).execute();
        await trx.deleteFrom("monitors").where("id", "=", id).execute();
        return true;
      }),
    );
  }

  // ---- claims

  /**
   * INSERT … ON CONFLICT DO NOTHING, then reads back which of `sessionIds` belong to this sweep: the
   * primary key (monitor, session) lets exactly one sweep win each session, however many race.
   * Returns them in the order given (each once).
   */
  async claimSessions(monitorId: string, sweepId: string, sessionIds: readonly string[]): Promise<string[]> {
    const unique = [...new Set(sessionIds)];
    if (unique.length === 0) return [];
    // Every sweep inserts in the same (sorted) order: Postgres makes a concurrent insert of the same
    // key wait for the other's statement, and two statements waiting on each other deadlock.
    const ordered = [...unique].sort();
    return this.run("claimSessions", async () => {
      const mine = new Set<string>();
      for (let start = 0; start < ordered.length; start += CLAIM_BATCH_ROWS) {
        const batch = ordered.slice(start, start + CLAIM_BATCH_ROWS);
        await this.db
          .insertInto("monitor_sessions")
          .values(batch.map((session_id) => ({ monitor_id: monitorId, session_id, sweep_id: sweepId })))
          .onConflict((conflict) => conflict.columns(["monitor_id", "session_id"]).doNothing())
          .execute();
        const rows = await this.db.selectFrom("monitor_sessions").select("session_id").where("monitor_id", "=", monitorId).where("sweep_id", "=", sweepId).where("session_id", "in", batch).execute();
        for (const row of rows) mine.add(row.session_id);
      }
      return unique.filter((id) => mine.has(id));
    });
  }

  async sessionsOfSweep(sweepId: string): Promise<string[]> {
    const rows = await this.run("sessionsOfSweep", () => this.db.selectFrom("monitor_sessions").select("session_id").where("sweep_id", "=", sweepId).orderBy("session_id").execute());
    return rows.map((row) => row.session_id);
  }

  async unclaimed(monitorId: string, sessionIds: readonly string[]): Promise<string[]> {
    const unique = [...new Set(sessionIds)];
    return this.run("unclaimed", async () => {
      const taken = new Set<string>();
      for (let start = 0; start < unique.length; start += CLAIM_BATCH_ROWS) {
        const batch = unique.slice(start, start + CLAIM_BATCH_ROWS);
        const rows = await this.db.selectFrom("monitor_sessions").select("session_id").where("monitor_id", "=", monitorId).where("session_id", "in", batch).execute();
        for (const row of rows) taken.add(row.session_id);
      }
      return unique.filter((id) => !taken.has(id));
    });
  }

  // ---- sweeps

  async beginFinish(sweepId: string, at: string): Promise<boolean> {
    const updated = await this.run("beginFinish", async () => {
      const result = await this.db
        .updateTable("sweeps")
        .set({ finished_at: isoTime(at, "finished_at") })
        .where("id", "=", sweepId)
        .where("status", "in", ["running", "failed"] satisfies SweepStatus[])
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
    return updated > 0;
  }

  async startSweep(sweep: SweepRecord): Promise<void> {
    const row: SweepsTable = {
      id: sweep.id,
      monitor_id: sweep.monitor_id,
      project: sweep.project,
      started_at: isoTime(sweep.started_at, "started_at"),
      finished_at: sweep.finished_at === undefined ? null : isoTime(sweep.finished_at, "finished_at"),
      status: sweep.status,
      sessions: sweep.sessions,
      report_id: sweep.report_id ?? null,
      model_calls: sweep.model_calls,
      input_tokens: sweep.input_tokens,
      output_tokens: sweep.output_tokens,
      cost_usd: sweep.cost_usd,
      message: sweep.message ?? null,
    };
    await this.run("startSweep", () => this.db.insertInto("sweeps").values(row).execute());
  }

  async updateSweep(id: string, patch: Partial<Omit<SweepRecord, "id" | "monitor_id" | "project">>): Promise<void> {
    const values: Partial<SweepsTable> = {};
    if (patch.started_at !== undefined) values.started_at = isoTime(patch.started_at, "started_at");
    if (patch.finished_at !== undefined) values.finished_at = isoTime(patch.finished_at, "finished_at");
    if (patch.status !== undefined) values.status = patch.status;
    if (patch.sessions !== undefined) values.sessions = patch.sessions;
    if (patch.report_id !== undefined) values.report_id = patch.report_id;
    if (patch.model_calls !== undefined) values.model_calls = patch.model_calls;
    if (patch.input_tokens !== undefined) values.input_tokens = patch.input_tokens;
    if (patch.output_tokens !== undefined) values.output_tokens = patch.output_tokens;
    if (patch.cost_usd !== undefined) values.cost_usd = patch.cost_usd;
    if (patch.message !== undefined) values.message = patch.message;
    const updated = await this.run("updateSweep", async () => {
      if (Object.keys(values).length === 0) {
        return (await this.db.selectFrom("sweeps").select("id").where("id", "=", id).executeTakeFirst()) ? 1 : 0;
      }
      return Number((await this.db.updateTable("sweeps").set(values).where("id", "=", id).executeTakeFirst()).numUpdatedRows);
    });
    if (updated === 0) throw this.notFound("sweep", id);
  }

  async getSweep(project: string, id: string): Promise<SweepRecord | undefined> {
    const row = await this.run("getSweep", () => this.db.selectFrom("sweeps").selectAll().where("project", "=", project).where("id", "=", id).executeTakeFirst());
    return row && this.toSweep(row);
  }

  async listSweeps(project: string, monitorId: string, limit?: number): Promise<SweepRecord[]> {
    const rows = await this.run("listSweeps", () => {
      let query = this.db.selectFrom("sweeps").selectAll().where("project", "=", project).where("monitor_id", "=", monitorId).orderBy("started_at", "desc").orderBy("id", "desc");
      if (limit !== undefined) query = query.limit(limit);
      return query.execute();
    });
    return rows.map((row) => this.toSweep(row));
  }

  async unfinishedSweep(monitorId: string): Promise<SweepRecord | undefined> {
    const row = await this.run("unfinishedSweep", () =>
      this.db
        .selectFrom("sweeps")
        .selectAll()
        .where("monitor_id", "=", monitorId)
        .where("status", "in", ["running", "failed"] satisfies SweepStatus[])
        .orderBy("started_at", "desc")
        .orderBy("id", "desc")
        .executeTakeFirst(),
    );
    return row && this.toSweep(row);
  }

  async spentOn(monitorId: string, day: string): Promise<{ cost_usd: number; model_calls: number }> {
    const start = dayStart(day);
    const end = new Date(Date.parse(start) + MS_PER_DAY).toISOString();
    const row = await this.run("spentOn", () =>
      this.db
        .selectFrom("sweeps")
        .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>("cost_usd"), sql<number>`0`).as("cost_usd"), eb.fn.coalesce(eb.fn.sum<number>("model_calls"), sql<number>`0`).as("model_calls")])
        .where("monitor_id", "=", monitorId)
        .where("started_at", ">=", start)
        .where("started_at", "<", end)
        .executeTakeFirst(),
    );
    // Postgres sums integers as bigint, which node-postgres returns as a string.
    return { cost_usd: Number(row?.cost_usd ?? 0), model_calls: Number(row?.model_calls ?? 0) };
  }

  // ---- issues

  async listIssues(project: string, filter: { monitor_id?: string; states?: readonly string[] } = {}): Promise<TrackedIssue[]> {
    if (filter.states !== undefined && filter.states.length === 0) return [];
    const rows = await this.run("listIssues", () => {
      let query = this.db.selectFrom("issues").selectAll().where("project", "=", project);
      if (filter.monitor_id !== undefined) query = query.where("monitor_id", "=", filter.monitor_id);
      query = query.where("state", "in", [...(filter.states ?? VISIBLE_ISSUE_STATES)]);
      return query.orderBy("id").execute();
    });
    return rows.map((row) => this.toIssue(row));
  }

  async getIssue(project: string, id: number): Promise<TrackedIssue | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    const row = await this.run("getIssue", () =>
      this.db
        .selectFrom("issues")
        .selectAll()
        .where("project", "=", project)
        .where("id", "=", id)
        .where("state", "in", [...VISIBLE_ISSUE_STATES])
        .executeTakeFirst(),
    );
    return row && this.toIssue(row);
  }

  async updateIssueState(project: string, id: number, change: Pick<TrackedIssue, "state" | "sweeps_unseen"> & { snoozed_until?: string }): Promise<TrackedIssue | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    const state = ISSUE_STATES.includes(change.state) ? change.state : undefined;
    if (!state || state === "candidate") throw new WatchStoreError("watch_store_invalid_value", `${this.options.target.label}: an issue cannot be set to ${JSON.stringify(change.state)}`);
    const snoozedUntil = change.snoozed_until === undefined ? null : isoTime(change.snoozed_until, "snoozed_until");
    const updated = await this.run("updateIssueState", async () => {
      const result = await this.db
        .updateTable("issues")
        .set({ state, sweeps_unseen: change.sweeps_unseen, snoozed_until: snoozedUntil })
        .where("project", "=", project)
        .where("id", "=", id)
        .where("state", "in", [...VISIBLE_ISSUE_STATES])
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
    return updated === 0 ? undefined : this.getIssue(project, id);
  }

  async findIssue(monitorId: string, fingerprint: string): Promise<TrackedIssue | undefined> {
    const row = await this.run("findIssue", () => this.db.selectFrom("issues").selectAll().where("monitor_id", "=", monitorId).where("fingerprint", "=", fingerprint).executeTakeFirst());
    return row && this.toIssue(row);
  }

  /** Inserts when `id` is 0 (a second issue with the same monitor and fingerprint is a `watch_store_conflict`), else updates the project's issue. */
  async saveIssue(issue: TrackedIssue): Promise<TrackedIssue> {
    const values = {
      project: issue.project,
      monitor_id: issue.monitor_id,
      fingerprint: issue.fingerprint,
      kind: issue.kind,
      title: issue.title,
      description: issue.description,
      severity: issue.severity,
      state: issue.state,
      snoozed_until: issue.snoozed_until === undefined ? null : isoTime(issue.snoozed_until, "snoozed_until"),
      first_seen: isoTime(issue.first_seen, "first_seen"),
      last_seen: isoTime(issue.last_seen, "last_seen"),
      sweeps_unseen: issue.sweeps_unseen,
      sessions_total: issue.sessions_total,
      users_total: issue.users_total,
      examples: JSON.stringify(issue.examples),
    };
    const row = await this.run("saveIssue", async () => {
      if (issue.id === 0) return this.db.insertInto("issues").values(values).returningAll().executeTakeFirstOrThrow();
      return this.db.updateTable("issues").set(values).where("project", "=", issue.project).where("id", "=", issue.id).returningAll().executeTakeFirst();
    });
    if (!row) throw this.notFound("issue", String(issue.id), issue.project);
    return this.toIssue(row);
  }

  async addIssueDay(day: IssueDay): Promise<void> {
    const start = dayStart(day.day);
    await this.run("addIssueDay", () =>
      this.db
        .insertInto("issue_days")
        .values({ issue_id: day.issue_id, day: start.slice(0, "YYYY-MM-DD".length), sessions: day.sessions, users: day.users })
        .onConflict((conflict) =>
          conflict.columns(["issue_id", "day"]).doUpdateSet((eb) => ({
            sessions: eb(eb.ref("issue_days.sessions"), "+", eb.ref("excluded.sessions")),
            users: eb(eb.ref("issue_days.users"), "+", eb.ref("excluded.users")),
          })),
        )
        .execute(),
    );
  }

  async issueDays(issueId: number): Promise<IssueDay[]> {
    const rows = await this.run("issueDays", () => this.db.selectFrom("issue_days").selectAll().where("issue_id", "=", issueId).orderBy("day").execute());
    return rows.map((row) => ({ issue_id: row.issue_id, day: row.day, sessions: row.sessions, users: row.users }));
  }

  // ---- alerts

  async recordAlert(alert: Omit<AlertRecord, "id">): Promise<AlertRecord | undefined> {
    const row = await this.run("recordAlert", () =>
      this.db
        .insertInto("alerts")
        .values({
          project: alert.project,
          monitor_id: alert.monitor_id,
          sweep_id: alert.sweep_id,
          kind: alert.kind,
          issue_id: alert.issue_id ?? null,
          dedupe_key: alert.dedupe_key,
          created_at: isoTime(alert.created_at, "created_at"),
          payload: JSON.stringify(alert.payload),
        })
        .onConflict((conflict) => conflict.columns(["monitor_id", "dedupe_key"]).doNothing())
        .returningAll()
        .executeTakeFirst(),
    );
    return row && this.toAlert(row);
  }

  /** Oldest first. */
  async listAlerts(project: string, filter: { monitor_id?: string; issue_id?: number; since?: string; limit?: number } = {}): Promise<AlertRecord[]> {
    const rows = await this.run("listAlerts", () => {
      let query = this.db.selectFrom("alerts").selectAll().where("project", "=", project);
      if (filter.monitor_id !== undefined) query = query.where("monitor_id", "=", filter.monitor_id);
      if (filter.issue_id !== undefined) query = query.where("issue_id", "=", filter.issue_id);
      if (filter.since !== undefined) query = query.where("created_at", ">=", isoTime(filter.since, "since"));
      // The newest `limit`, still returned oldest first.
      if (filter.limit !== undefined)
        return query
          .orderBy("id", "desc")
          .limit(filter.limit)
          .execute()
          .then((newest) => newest.reverse());
      return query.orderBy("id").execute();
    });
    return rows.map((row) => this.toAlert(row));
  }

  /** Without `issueId`: the monitor's own alerts of that kind (no issue), e.g. budget_reached. */
  async lastAlertAt(monitorId: string, kind: string, issueId?: number): Promise<string | undefined> {
    const row = await this.run("lastAlertAt", () => {
      const query = this.db
        .selectFrom("alerts")
        .select((eb) => eb.fn.max("created_at").as("at"))
        .where("monitor_id", "=", monitorId)
        .where("kind", "=", kind);
      return (issueId === undefined ? query.where("issue_id", "is", null) : query.where("issue_id", "=", issueId)).executeTakeFirst();
    });
    return row?.at ?? undefined;
  }

  /** One row per alert, channel and attempt number; recording the same attempt again keeps the latest outcome. */
  async recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    const outcome = {
      at: isoTime(attempt.at, "at"),
      ok: attempt.ok ? 1 : 0,
      status: attempt.status ?? null,
      error: attempt.error ?? null,
    };
    await this.run("recordAttempt", () =>
      this.db
        .insertInto("delivery_attempts")
        .values({ alert_id: attempt.alert_id, channel: attempt.channel, attempt: attempt.attempt, ...outcome })
        .onConflict((conflict) => conflict.columns(["alert_id", "channel", "attempt"]).doUpdateSet(outcome))
        .execute(),
    );
  }

  /** In the order they were made (time, then attempt number). */
  async attempts(alertId: number): Promise<DeliveryAttempt[]> {
    const rows = await this.run("attempts", () => this.db.selectFrom("delivery_attempts").selectAll().where("alert_id", "=", alertId).orderBy("at").orderBy("attempt").orderBy("channel").execute());
    return rows.map((row) => ({
      alert_id: row.alert_id,
      channel: row.channel,
      attempt: row.attempt,
      at: row.at,
      ok: row.ok === 1,
      ...(row.status === null ? {} : { status: row.status }),
      ...(row.error === null ? {} : { error: row.error }),
    }));
  }

  // ---- rows → domain

  // ---- answers

  async saveAnswer(answer: SessionAnswer): Promise<void> {
    const parsed = QuestionAnswerSchema.safeParse(answer.answer);
    if (!parsed.success)
      throw new WatchStoreError("watch_store_invalid_value", `${this.options.target.label}: invalid answer for session ${answer.session_id}: ${describeIssues(parsed.error.issues)}`);
    const value = parsed.data.value;
    const row = {
      monitor_id: answer.monitor_id,
      session_id: answer.session_id,
      project: answer.project,
      sweep_id: answer.sweep_id,
      answered_at: isoTime(answer.answered_at, "answered_at"),
      question: answer.question,
      yes: value === "yes" ? 1 : value === "no" ? 0 : null,
      answer: JSON.stringify(parsed.data),
    };
    await this.run("saveAnswer", () =>
      this.db
        .insertInto("answers")
        .values(row)
        .onConflict((conflict) =>
          conflict.columns(["monitor_id", "session_id"]).doUpdateSet({ sweep_id: row.sweep_id, answered_at: row.answered_at, question: row.question, yes: row.yes, answer: row.answer }),
        )
        .execute(),
    );
  }

  async listAnswers(project: string, monitorId: string, filter: { since?: string; limit?: number } = {}): Promise<SessionAnswer[]> {
    const rows = await this.run("listAnswers", () => {
      let query = this.db.selectFrom("answers").selectAll().where("project", "=", project).where("monitor_id", "=", monitorId);
      if (filter.since !== undefined) query = query.where("answered_at", ">=", isoTime(filter.since, "since"));
      query = query.orderBy("answered_at", "desc").orderBy("session_id");
      if (filter.limit !== undefined) query = query.limit(filter.limit);
      return query.execute();
    });
    return rows.map((row) => {
      const parsed = QuestionAnswerSchema.safeParse(this.parseJson(row.answer, "answers", `${row.monitor_id}/${row.session_id}`));
      if (!parsed.success) throw this.corrupt("answers", `${row.monitor_id}/${row.session_id}`, describeIssues(parsed.error.issues));
      const { yes: _yes, answer: _answer, ...rest } = row;
      return { ...rest, answer: parsed.data };
    });
  }

  async yesRate(monitorId: string, since: string): Promise<{ yes: number; sessions: number }> {
    const row = await this.run("yesRate", () =>
      this.db
        .selectFrom("answers")
        .select((eb) => [eb.fn.count<string | number>("yes").as("sessions"), eb.fn.sum<string | number | null>("yes").as("yes")])
        .where("monitor_id", "=", monitorId)
        .where("answered_at", ">=", isoTime(since, "since"))
        .executeTakeFirst(),
    );
    return { yes: Number(row?.yes ?? 0), sessions: Number(row?.sessions ?? 0) };
  }

  // ---- tickets

  async claimTicket(project: string, issueId: number, tracker: TicketTracker, at: string, staleBefore: string): Promise<{ claimed: true } | { claimed: false; link: TicketLink }> {
    const claimedAt = isoTime(at, "at");
    const stale = isoTime(staleBefore, "staleBefore");
    return this.run("claimTicket", async () => {
      const inserted = await this.db
        .insertInto("issue_tickets")
        .values({ issue_id: issueId, project, tracker, status: "creating", claimed_at: claimedAt })
        .onConflict((conflict) => conflict.column("issue_id").doNothing())
        .returning("issue_id")
        .executeTakeFirst();
      if (inserted) return { claimed: true } as const;
      const row = await this.db.selectFrom("issue_tickets").selectAll().where("issue_id", "=", issueId).executeTakeFirstOrThrow();
      if (row.project !== project) throw new WatchStoreError("watch_store_conflict", `${this.options.target.label}: issue ${issueId} has a ticket of another project`);
      if (row.status === "creating" && row.claimed_at < stale) {
        // Its creator stopped before finishing: the first to swap the claim time takes it over.
        const taken = await this.db
          .updateTable("issue_tickets")
          .set({ tracker, claimed_at: claimedAt })
          .where("issue_id", "=", issueId)
          .where("status", "=", "creating")
          .where("claimed_at", "=", row.claimed_at)
          .executeTakeFirst();
        if (Number(taken.numUpdatedRows) === 1) return { claimed: true } as const;
      }
      const current = await this.db.selectFrom("issue_tickets").selectAll().where("issue_id", "=", issueId).executeTakeFirstOrThrow();
      return { claimed: false, link: this.toTicket(current) } as const;
    });
  }

  async completeTicket(project: string, issueId: number, created: Pick<TicketLink, "external_id" | "key" | "url">, at: string): Promise<TicketLink> {
    const row = await this.run("completeTicket", () =>
      this.db
        .updateTable("issue_tickets")
        .set({ status: "created", external_id: created.external_id ?? null, key: created.key ?? null, url: created.url ?? null, created_at: isoTime(at, "at") })
        .where("project", "=", project)
        .where("issue_id", "=", issueId)
        .returningAll()
        .executeTakeFirst(),
    );
    if (!row) throw this.notFound("ticket of issue", String(issueId), project);
    return this.toTicket(row);
  }

  async releaseTicket(project: string, issueId: number): Promise<void> {
    await this.run("releaseTicket", () => this.db.deleteFrom("issue_tickets").where("project", "=", project).where("issue_id", "=", issueId).where("status", "=", "creating").execute());
  }

  async getTicket(project: string, issueId: number): Promise<TicketLink | undefined> {
    if (!Number.isSafeInteger(issueId)) return undefined;
    const row = await this.run("getTicket", () => this.db.selectFrom("issue_tickets").selectAll().where("project", "=", project).where("issue_id", "=", issueId).executeTakeFirst());
    return row && this.toTicket(row);
  }

  async markTicketRegression(issueId: number, occasion: string): Promise<void> {
    await this.run("markTicketRegression", () =>
      this.db
        .updateTable("issue_tickets")
        .set({ regression_pending: occasion })
        .where("issue_id", "=", issueId)
        .where("status", "=", "created")
        .where((eb) => eb.or([eb("last_regression", "is", null), eb("last_regression", "<>", occasion)]))
        .execute(),
    );
  }

  async pendingTicketRegressions(project: string): Promise<TicketLink[]> {
    const rows = await this.run("pendingTicketRegressions", () =>
      this.db.selectFrom("issue_tickets").selectAll().where("project", "=", project).where("status", "=", "created").where("regression_pending", "is not", null).orderBy("issue_id").execute(),
    );
    return rows.map((row) => this.toTicket(row));
  }

  /** Taking sets `last_regression` to the occasion (so marking it again is a no-op) and counts it; undoing puts it back pending and uncounts it. */
  async takeTicketRegression(issueId: number, occasion: string, _at: string, undo = false): Promise<boolean> {
    const updated = await this.run("takeTicketRegression", async () => {
      const query = undo
        ? this.db
            .updateTable("issue_tickets")
            .set((eb) => ({ regression_pending: occasion, regressions_noted: eb("regressions_noted", "-", 1) }))
            .where("issue_id", "=", issueId)
            .where("last_regression", "=", occasion)
            .where("regression_pending", "is", null)
        : this.db
            .updateTable("issue_tickets")
            .set((eb) => ({ regression_pending: null, last_regression: occasion, regressions_noted: eb("regressions_noted", "+", 1) }))
            .where("issue_id", "=", issueId)
            .where("regression_pending", "=", occasion);
      return Number((await query.executeTakeFirst()).numUpdatedRows);
    });
    return updated === 1;
  }

  private toTicket(row: Selectable<IssueTicketsTable>): TicketLink {
    const key = String(row.issue_id);
    if (!(TICKET_TRACKERS as readonly string[]).includes(row.tracker)) throw this.corrupt("issue_tickets", key, `unknown tracker ${JSON.stringify(row.tracker)}`);
    if (row.status !== "creating" && row.status !== "created") throw this.corrupt("issue_tickets", key, `unknown status ${JSON.stringify(row.status)}`);
    return {
      issue_id: row.issue_id,
      project: row.project,
      tracker: row.tracker as TicketTracker,
      status: row.status,
      claimed_at: row.claimed_at,
      ...(row.external_id === null ? {} : { external_id: row.external_id }),
      ...(row.key === null ? {} : { key: row.key }),
      ...(row.url === null ? {} : { url: row.url }),
      ...(row.created_at === null ? {} : { created_at: row.created_at }),
      ...(row.regression_pending === null ? {} : { regression_pending: row.regression_pending }),
      ...(row.last_regression === null ? {} : { last_regression: row.last_regression }),
      regressions_noted: Number(row.regressions_noted),
    };
  }

  private toMonitor(row: Selectable<MonitorsTable>): Monitor {
    const definition = MonitorDefinitionSchema.safeParse(this.parseJson(row.definition, "monitors", row.id));
    if (!definition.success) throw this.corrupt("monitors", row.id, describeIssues(definition.error.issues));
    return {
      ...definition.data,
      id: row.id,
      project: row.project,
      created_at: row.created_at,
      ...(row.watermark === null ? {} : { watermark: row.watermark }),
      paused: Number(row.paused) === 1,
    };
  }

  private toSweep(row: Selectable<SweepsTable>): SweepRecord {
    if (!(SWEEP_STATUSES as readonly string[]).includes(row.status)) throw this.corrupt("sweeps", row.id, `unknown status ${JSON.stringify(row.status)}`);
    return {
      id: row.id,
      monitor_id: row.monitor_id,
      project: row.project,
      started_at: row.started_at,
      ...(row.finished_at === null ? {} : { finished_at: row.finished_at }),
      status: row.status as SweepStatus,
      sessions: row.sessions,
      ...(row.report_id === null ? {} : { report_id: row.report_id }),
      model_calls: row.model_calls,
      input_tokens: row.input_tokens,
      output_tokens: row.output_tokens,
      cost_usd: Number(row.cost_usd),
      ...(row.message === null ? {} : { message: row.message }),
    };
  }

  private toIssue(row: Selectable<IssuesTable>): TrackedIssue {
    const key = String(row.id);
    if (!(ISSUE_STATES as readonly string[]).includes(row.state)) throw this.corrupt("issues", key, `unknown state ${JSON.stringify(row.state)}`);
    const severity = SeveritySchema.safeParse(row.severity);
    if (!severity.success) throw this.corrupt("issues", key, `unknown severity ${JSON.stringify(row.severity)}`);
    const examples = this.parseJson(row.examples, "issues", key);
    if (!Array.isArray(examples)) throw this.corrupt("issues", key, "examples is not a list");
    const { snoozed_until, ...fields } = row;
    return { ...fields, severity: severity.data, state: row.state as IssueState, ...(snoozed_until === null ? {} : { snoozed_until }), examples: examples as IssueExample[] };
  }

  private toAlert(row: Selectable<AlertsTable>): AlertRecord {
    const payload = this.parseJson(row.payload, "alerts", String(row.id));
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) throw this.corrupt("alerts", String(row.id), "payload is not an object");
    const { issue_id, ...fields } = row;
    return { ...fields, kind: row.kind as AlertKind, ...(issue_id === null ? {} : { issue_id }), payload: payload as Record<string, unknown> };
  }

  private parseJson(text: string, table: string, id: string): unknown {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw this.corrupt(table, id, `not JSON: ${(error as Error).message}`);
    }
  }

  private corrupt(table: string, id: string, problem: string): WatchStoreError {
    return new WatchStoreError("watch_store_corrupt", `${this.options.target.label}: ${table} row ${id} does not decode: ${problem}`);
  }

  private notFound(what: string, id: string, project?: string): WatchStoreError {
    const scope = project === undefined ? "" : ` in project ${JSON.stringify(project)}`;
    return new WatchStoreError("watch_store_not_found", `${this.options.target.label}: no ${what} ${JSON.stringify(id)}${scope}`);
  }
}

/** A time as ISO-8601 UTC with milliseconds, the one form stored: stored times compare as text. */
function isoTime(value: Date | string, field: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new WatchStoreError("watch_store_invalid_value", `${field} is not a time: ${JSON.stringify(String(value))}`);
  return date.toISOString();
}

/** `YYYY-MM-DD` → its first instant, UTC (ISO); `watch_store_invalid_value` for anything else. */
function dayStart(day: string): string {
  const start = DAY.test(day) ? new Date(`${day}T00:00:00.000Z`) : undefined;
  if (!start || Number.isNaN(start.getTime()) || start.toISOString().slice(0, day.length) !== day) {
    throw new WatchStoreError("watch_store_invalid_value", `not a UTC day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  }
  return start.toISOString();
}
