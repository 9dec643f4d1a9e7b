import { Redis } from "ioredis";
import { loadPg } from "../../src/store/checkpointer.ts";
import { maskUrlPassword } from "../../src/store/errors.ts";

/**
 * The real local services these tests need. CI starts them; when one is down the tests FAIL (never
 * skip) with a message saying which service and how to start it. Override the URLs with
 * TEST_REDIS_URL / TEST_DATABASE_URL.
 */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

/** A name unique to this test run, usable as a Redis prefix part or a Postgres identifier. */
export function runId(label: string): string {
  return `${label}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function requireRedis(): Promise<void> {
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let lastError: unknown;
  client.on("error", (error: unknown) => {
    lastError = error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(
      `Redis is required for test/services but is not reachable at ${maskUrlPassword(TEST_REDIS_URL)}: ` +
        `${((lastError ?? error) as Error).message}. Start it (e.g. \`service redis-server start\`) or set TEST_REDIS_URL.`,
      { cause: error },
    );
  } finally {
    client.disconnect();
  }
}

export async function requirePostgres(): Promise<void> {
  const { Pool } = loadPg();
  const pool = new Pool({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3_000, max: 1 });
  pool.on("error", () => {});
  try {
    await pool.query("SELECT 1");
  } catch (error) {
    throw new Error(
      `PostgreSQL is required for test/services but is not reachable at ${maskUrlPassword(TEST_POSTGRES_URL)}: ` +
        `${(error as Error).message || String(error)}. Start it (e.g. \`service postgresql start\`) or set TEST_DATABASE_URL.`,
      { cause: error },
    );
  } finally {
    await pool.end();
  }
}

/** Drops a test run's own schema (and everything in it) from the test database. */
export async function dropSchema(schema: string): Promise<void> {
  const { Pool } = loadPg();
  const pool = new Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
  pool.on("error", () => {});
  try {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await pool.end();
  }
}
