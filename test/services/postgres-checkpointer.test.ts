import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCheckpointer } from "../../src/store/checkpointer.ts";
import { loadPg } from "../../src/store/checkpointer.ts";
import { expectStoreError } from "../unit/store-blob-contract.ts";
import { expectStatePersistsAcrossRestart } from "../unit/store-graph-fixture.ts";
import { TEST_POSTGRES_URL, dropSchema, requirePostgres, runId } from "./services.ts";

/** A schema of its own per run, dropped afterwards: runs never see each other's checkpoints. */
const schema = runId("ss_checkpoints").toLowerCase();

beforeAll(async () => {
  await requirePostgres();
});

afterAll(() => dropSchema(schema));

describe("createCheckpointer: postgres", () => {
  it("migrates its schema and keeps a thread's state across a restart", async () => {
    await expectStatePersistsAcrossRestart(() => createCheckpointer({ kind: "postgres", url: TEST_POSTGRES_URL, schema }), "t-postgres");
  });

  it("creates the checkpoint tables in the configured schema", async () => {
    const checkpointer = await createCheckpointer({ kind: "postgres", url: TEST_POSTGRES_URL, schema });
    await checkpointer.close();
    const { Pool } = loadPg();
    const pool = new Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
    try {
      const { rows } = await pool.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", [schema]);
      expect(rows.map((row) => row.table_name)).toEqual(expect.arrayContaining(["checkpoint_blobs", "checkpoint_migrations", "checkpoint_writes", "checkpoints"]));
    } finally {
      await pool.end();
    }
  });

  it("survives several checkpointers starting at once (setup is serialized)", async () => {
    const fresh = `${schema}_parallel`;
    const checkpointers = await Promise.all(Array.from({ length: 4 }, () => createCheckpointer({ kind: "postgres", url: TEST_POSTGRES_URL, schema: fresh })));
    await Promise.all(checkpointers.map((checkpointer) => checkpointer.close()));
    const { Pool } = loadPg();
    const pool = new Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
    try {
      const { rows } = await pool.query(`SELECT count(*)::int AS n, count(DISTINCT v)::int AS distinct_n FROM "${fresh}".checkpoint_migrations`);
      expect(rows[0]!.n).toBe(rows[0]!.distinct_n);
      await pool.query(`DROP SCHEMA "${fresh}" CASCADE`);
    } finally {
      await pool.end();
    }
  });

  it("reports a database that does not exist as StoreError(unavailable) naming it", async () => {
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = "/no_such_database_ss";
    const error = await expectStoreError(createCheckpointer({ kind: "postgres", url: url.toString() }), "unavailable");
    expect(error.message).toContain("no_such_database_ss");
  });
});
