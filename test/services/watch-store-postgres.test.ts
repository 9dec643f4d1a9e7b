import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPg } from "../../src/store/checkpointer.ts";
import { openWatchStoreAt } from "../../src/watch/store/open.ts";
import { describeWatchStoreCases, expectWatchStoreError } from "../unit/watch-store-cases.ts";
import { TEST_POSTGRES_URL, dropSchema, requirePostgres, runId } from "./services.ts";

/** A schema of its own per run, dropped afterwards: runs never see each other's monitors. */
const schema = runId("ss_watch").toLowerCase();

beforeAll(async () => {
  await requirePostgres();
});

afterAll(() => dropSchema(schema));

describeWatchStoreCases("Postgres", { open: (options) => openWatchStoreAt({ kind: "postgres", url: TEST_POSTGRES_URL, schema }, options) });

describe("openWatchStoreAt: Postgres", () => {
  it("creates its tables in the configured schema, nowhere else", async () => {
    const store = await openWatchStoreAt({ kind: "postgres", url: TEST_POSTGRES_URL, schema });
    await store.close();
    const { Pool } = loadPg();
    const pool = new Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
    try {
      const { rows } = await pool.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", [schema]);
      expect(rows.map((row) => row.table_name)).toEqual([
        "alerts",
        "answers",
        "delivery_attempts",
        "issue_days",
        "issue_tickets",
        "issues",
        "monitor_sessions",
        "monitors",
        "sweeps",
        "watch_migration",
        "watch_migration_lock",
      ]);
    } finally {
      await pool.end();
    }
  });

  it("survives several stores migrating a fresh schema at once", async () => {
    const fresh = `${schema}_parallel`;
    const stores = await Promise.all(Array.from({ length: 4 }, () => openWatchStoreAt({ kind: "postgres", url: TEST_POSTGRES_URL, schema: fresh })));
    try {
      for (const store of stores) expect(await store.appliedMigrations()).toEqual(["001-initial", "002-answers", "003-tickets"]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      const { Pool } = loadPg();
      const pool = new Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${fresh}" CASCADE`);
      } finally {
        await pool.end();
      }
    }
  });

  it("reports a database that does not exist as watch_store_unavailable naming it, never the password", async () => {
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = "/no_such_database_ss";
    url.password = "hunter2";
    const error = await expectWatchStoreError(openWatchStoreAt({ kind: "postgres", url: url.toString(), schema }), "watch_store_unavailable");
    expect(error.message).toContain("no_such_database_ss");
    expect(error.message).not.toContain("hunter2");
  });

  it("reports a server that does not answer as watch_store_unavailable naming host and port", async () => {
    const error = await expectWatchStoreError(openWatchStoreAt({ kind: "postgres", url: "postgresql://u:hunter2@127.0.0.1:1/x", schema }), "watch_store_unavailable");
    expect(error.message).toContain("127.0.0.1:1/x");
    expect(error.message).not.toContain("hunter2");
  });
});
