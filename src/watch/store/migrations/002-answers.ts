import type { Kysely, Migration } from "kysely";

/** The answers to monitors' questions: one row per monitor and session (a resumed sweep overwrites its own). */
export function answers(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("answers")
        .addColumn("monitor_id", "text", (c) => c.notNull())
        .addColumn("session_id", "text", (c) => c.notNull())
        .addColumn("project", "text", (c) => c.notNull())
        .addColumn("sweep_id", "text", (c) => c.notNull())
        .addColumn("answered_at", "text", (c) => c.notNull())
        .addColumn("question", "text", (c) => c.notNull())
        // 1 for "yes", 0 for "no", null for anything else: the yes rate is one indexed query.
        .addColumn("yes", "integer")
        .addColumn("answer", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("answers_pk", ["monitor_id", "session_id"])
        .execute();
      await db.schema.createIndex("answers_monitor_time").on("answers").columns(["monitor_id", "answered_at"]).execute();
    },
  };
}
