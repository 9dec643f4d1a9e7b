import type { Kysely, Migration } from "kysely";

/**
 * The tracker ticket of an issue (GitHub, Linear or a webhook): one row per issue, so the primary
 * key makes a second ticket for the same issue impossible, even when two requests race. A row is
 * `creating` while the tracker is being asked (the claim), `created` once its id and URL are known.
 * `regression_pending` holds the occasion (the sweep) of a regression not yet told to the tracker.
 */
export function tickets(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("issue_tickets")
        .addColumn("issue_id", "integer", (c) => c.primaryKey())
        .addColumn("project", "text", (c) => c.notNull())
        .addColumn("tracker", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("claimed_at", "text", (c) => c.notNull())
        .addColumn("external_id", "text")
        .addColumn("key", "text")
        .addColumn("url", "text")
        .addColumn("created_at", "text")
        .addColumn("regression_pending", "text")
        .addColumn("last_regression", "text")
        .addColumn("regressions_noted", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex("issue_tickets_project").on("issue_tickets").columns(["project", "issue_id"]).execute();
    },
  };
}
