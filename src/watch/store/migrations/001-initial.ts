import type { ColumnDataType, CreateTableBuilder, Kysely, Migration } from "kysely";
import type { WatchDialect } from "../schema.ts";

/**
 * Columns written compactly, one table per line: `name type`, `!` for NOT NULL, `=0` for NOT NULL
 * DEFAULT 0, `pk` for the primary key, `serial` for an auto-numbered primary key (the only part
 * that differs between SQLite and Postgres).
 */
function withColumns(table: CreateTableBuilder<string, string>, spec: string, dialect: WatchDialect): CreateTableBuilder<string, string> {
  let builder = table;
  for (const column of spec.split(",").map((part) => part.trim())) {
    const [name, ...rest] = column.split(/\s+/) as [string, ...string[]];
    const flag = ["pk", "!", "=0"].includes(rest.at(-1) ?? "") ? rest.pop() : undefined;
    const type = rest.join(" ");
    if (type === "serial") {
      builder = dialect === "postgres" ? builder.addColumn(name, "serial", (c) => c.primaryKey()) : builder.addColumn(name, "integer", (c) => c.primaryKey().autoIncrement());
      continue;
    }
    const dataType = type as ColumnDataType;
    if (flag === "pk") builder = builder.addColumn(name, dataType, (c) => c.primaryKey());
    else if (flag === "!") builder = builder.addColumn(name, dataType, (c) => c.notNull());
    else if (flag === "=0") builder = builder.addColumn(name, dataType, (c) => c.notNull().defaultTo(0));
    else builder = builder.addColumn(name, dataType);
  }
  return builder;
}

/**
 * The first schema: monitors, the sessions each has taken, sweeps, issues and their days, alerts and
 * their delivery attempts.
 */
export function initial(dialect: WatchDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const table = (name: string, spec: string) => withColumns(db.schema.createTable(name) as CreateTableBuilder<string, string>, spec, dialect);
      await table("monitors", "id text pk, project text !, name text !, definition text !, created_at text !, watermark text, paused integer =0").execute();
      await db.schema.createIndex("monitors_project").on("monitors").columns(["project", "created_at"]).execute();

      await table("monitor_sessions", "monitor_id text !, session_id text !, sweep_id text !").addPrimaryKeyConstraint("monitor_sessions_pk", ["monitor_id", "session_id"]).execute();
      await db.schema.createIndex("monitor_sessions_sweep").on("monitor_sessions").column("sweep_id").execute();

      await table(
        "sweeps",
        "id text pk, monitor_id text !, project text !, started_at text !, finished_at text, status text !, sessions integer =0, report_id text, " +
          "model_calls integer =0, input_tokens integer =0, output_tokens integer =0, cost_usd double precision =0, message text",
      ).execute();
      await db.schema.createIndex("sweeps_monitor_started").on("sweeps").columns(["monitor_id", "started_at"]).execute();

      await table(
        "issues",
        "id serial, project text !, monitor_id text !, fingerprint text !, kind text !, title text !, description text !, severity text !, state text !, " +
          "snoozed_until text, first_seen text !, last_seen text !, sweeps_unseen integer =0, sessions_total integer =0, users_total integer =0, examples text !",
      )
        .addUniqueConstraint("issues_monitor_fingerprint", ["monitor_id", "fingerprint"])
        .execute();
      await db.schema.createIndex("issues_project_monitor").on("issues").columns(["project", "monitor_id"]).execute();

      await table("issue_days", "issue_id integer !, day text !, sessions integer =0, users integer =0").addPrimaryKeyConstraint("issue_days_pk", ["issue_id", "day"]).execute();

      await table("alerts", "id serial, project text !, monitor_id text !, sweep_id text !, kind text !, issue_id integer, dedupe_key text !, created_at text !, payload text !")
        .addUniqueConstraint("alerts_monitor_dedupe", ["monitor_id", "dedupe_key"])
        .execute();
      await db.schema.createIndex("alerts_monitor_kind_issue").on("alerts").columns(["monitor_id", "kind", "issue_id", "created_at"]).execute();
      await db.schema.createIndex("alerts_project").on("alerts").columns(["project", "monitor_id"]).execute();

      await table("delivery_attempts", "alert_id integer !, channel text !, attempt integer !, at text !, ok integer !, status integer, error text")
        .addPrimaryKeyConstraint("delivery_attempts_pk", ["alert_id", "channel", "attempt"])
        .execute();
    },
  };
}
