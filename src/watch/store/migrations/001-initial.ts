import type { Kysely, Migration } from "kysely";
import type { WatchDialect } from "../schema.ts";

/**
 * The first schema: monitors, the sessions each has taken, sweeps, issues and their days, alerts and
 * their delivery attempts. Only the auto-numbered ids differ between the databases.
 */
export function initial(dialect: WatchDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const serialId = dialect === "postgres" ? ("serial" as const) : ("integer" as const);
      await db.schema
        .createTable("monitors")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("project", "text", (column) => column.notNull())
        .addColumn("name", "text", (column) => column.notNull())
        .addColumn("definition", "text", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("watermark", "text")
        .addColumn("paused", "integer", (column) => column.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex("monitors_project").on("monitors").columns(["project", "created_at"]).execute();

      await db.schema
        .createTable("monitor_sessions")
        .addColumn("monitor_id", "text", (column) => column.notNull())
        .addColumn("session_id", "text", (column) => column.notNull())
        .addColumn("sweep_id", "text", (column) => column.notNull())
        .addPrimaryKeyConstraint("monitor_sessions_pk", ["monitor_id", "session_id"])
        .execute();
      await db.schema.createIndex("monitor_sessions_sweep").on("monitor_sessions").column("sweep_id").execute();

      await db.schema
        .createTable("sweeps")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("monitor_id", "text", (column) => column.notNull())
        .addColumn("project", "text", (column) => column.notNull())
        .addColumn("started_at", "text", (column) => column.notNull())
        .addColumn("finished_at", "text")
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("sessions", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("report_id", "text")
        .addColumn("model_calls", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("input_tokens", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("output_tokens", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("cost_usd", "double precision", (column) => column.notNull().defaultTo(0))
        .addColumn("message", "text")
        .execute();
      await db.schema.createIndex("sweeps_monitor_started").on("sweeps").columns(["monitor_id", "started_at"]).execute();

      await db.schema
        .createTable("issues")
        .addColumn("id", serialId, (column) => (dialect === "postgres" ? column.primaryKey() : column.primaryKey().autoIncrement()))
        .addColumn("project", "text", (column) => column.notNull())
        .addColumn("monitor_id", "text", (column) => column.notNull())
        .addColumn("fingerprint", "text", (column) => column.notNull())
        .addColumn("kind", "text", (column) => column.notNull())
        .addColumn("title", "text", (column) => column.notNull())
        .addColumn("description", "text", (column) => column.notNull())
        .addColumn("severity", "text", (column) => column.notNull())
        .addColumn("state", "text", (column) => column.notNull())
        .addColumn("snoozed_until", "text")
        .addColumn("first_seen", "text", (column) => column.notNull())
        .addColumn("last_seen", "text", (column) => column.notNull())
        .addColumn("sweeps_unseen", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("sessions_total", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("users_total", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("examples", "text", (column) => column.notNull())
        .addUniqueConstraint("issues_monitor_fingerprint", ["monitor_id", "fingerprint"])
        .execute();
      await db.schema.createIndex("issues_project_monitor").on("issues").columns(["project", "monitor_id"]).execute();

      await db.schema
        .createTable("issue_days")
        .addColumn("issue_id", "integer", (column) => column.notNull())
        .addColumn("day", "text", (column) => column.notNull())
        .addColumn("sessions", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("users", "integer", (column) => column.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("issue_days_pk", ["issue_id", "day"])
        .execute();

      await db.schema
        .createTable("alerts")
        .addColumn("id", serialId, (column) => (dialect === "postgres" ? column.primaryKey() : column.primaryKey().autoIncrement()))
        .addColumn("project", "text", (column) => column.notNull())
        .addColumn("monitor_id", "text", (column) => column.notNull())
        .addColumn("sweep_id", "text", (column) => column.notNull())
        .addColumn("kind", "text", (column) => column.notNull())
        .addColumn("issue_id", "integer")
        .addColumn("dedupe_key", "text", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("payload", "text", (column) => column.notNull())
        .addUniqueConstraint("alerts_monitor_dedupe", ["monitor_id", "dedupe_key"])
        .execute();
      await db.schema.createIndex("alerts_monitor_kind_issue").on("alerts").columns(["monitor_id", "kind", "issue_id", "created_at"]).execute();
      await db.schema.createIndex("alerts_project").on("alerts").columns(["project", "monitor_id"]).execute();

      await db.schema
        .createTable("delivery_attempts")
        .addColumn("alert_id", "integer", (column) => column.notNull())
        .addColumn("channel", "text", (column) => column.notNull())
        .addColumn("attempt", "integer", (column) => column.notNull())
        .addColumn("at", "text", (column) => column.notNull())
        .addColumn("ok", "integer", (column) => column.notNull())
        .addColumn("status", "integer")
        .addColumn("error", "text")
        .addPrimaryKeyConstraint("delivery_attempts_pk", ["alert_id", "channel", "attempt"])
        .execute();
    },
  };
}
