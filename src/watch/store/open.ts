import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql, type PostgresPool, type SqliteDatabase } from "kysely";
import type { WatchStoreConfig } from "../../config/stores.ts";
import { DEFAULT_POSTGRES_PORT, loadPg } from "../../store/checkpointer.ts";
import { DEFAULT_POSTGRES_SCHEMA } from "../../store/config.ts";
import { StoreError, maskUrlPassword, messageOf, parseServiceUrl } from "../../store/errors.ts";
import { WatchStoreError, type WatchStoreTarget } from "./errors.ts";
import { KyselyWatchStore } from "./kysely-store.ts";
import type { WatchDatabase } from "./schema.ts";

/** How long a SQLite write waits for another connection's write (a second process on the same file). */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
const POSTGRES_CONNECT_TIMEOUT_MS = 5_000;
/** The schema name goes into `SET search_path`, so only plain identifiers are accepted. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The watch store the configuration names (`config.watchStore`, from `readConfig`), migrated. */
export function openWatchStore(config: { watchStore: WatchStoreConfig }): Promise<KyselyWatchStore> {
  return openWatchStoreAt(config.watchStore);
}

/**
 * A watch store on this SQLite file or Postgres database, migrated unless `migrate: false` (tests
 * that run the migrations themselves). Problems are `WatchStoreError`s naming the file or the host.
 */
export async function openWatchStoreAt(where: WatchStoreConfig, options: { migrate?: boolean } = {}): Promise<KyselyWatchStore> {
  const store = where.kind === "sqlite" ? openSqlite(where.file) : openPostgres(where.url, where.schema ?? DEFAULT_POSTGRES_SCHEMA);
  if (options.migrate === false) return store;
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}

/** One line for logs: `sqlite /app/.session-summaries/watch.sqlite`, `postgres postgresql://u:***@db/x (schema public)`. */
export function describeWatchStore(config: WatchStoreConfig): string {
  return config.kind === "sqlite" ? `sqlite ${config.file}` : `postgres ${maskUrlPassword(config.url)} (schema ${config.schema ?? DEFAULT_POSTGRES_SCHEMA})`;
}

/** better-sqlite3 ships no types here; Kysely's interface plus the members we use. */
interface BetterSqlite extends SqliteDatabase {
  pragma(source: string): unknown;
  readonly open: boolean;
}

function openSqlite(file: string): KyselyWatchStore {
  const inMemory = file === ":memory:";
  const resolved = inMemory ? file : path.resolve(file);
  const target: WatchStoreTarget = { label: `SQLite watch store ${resolved}` };
  let database: BetterSqlite;
  try {
    if (!inMemory) mkdirSync(path.dirname(resolved), { recursive: true });
    const Database = createRequire(import.meta.url)("better-sqlite3") as new (file: string) => BetterSqlite;
    database = new Database(resolved);
    // WAL: readers do not block the writer, so the API can read while a sweep writes.
    if (!inMemory) database.pragma("journal_mode = WAL");
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  } catch (error) {
    throw new WatchStoreError("watch_store_unavailable", `cannot open the ${target.label}: ${messageOf(error)}`, { cause: error });
  }
  const db = new Kysely<WatchDatabase>({ dialect: new SqliteDialect({ database }) });
  return new KyselyWatchStore({ db, dialect: "sqlite", target, exclusive: (work) => migrateExclusively(resolved, db, work) });
}

/** The migrations under way per SQLite file in this process. */
const sqliteMigrations = new Map<string, Promise<unknown>>();

/**
 * SQLite migrations one at a time: in this process by queueing per file (a connection waiting on
 * SQLite's lock would block the event loop the holder needs), across processes by a write
 * transaction (`BEGIN IMMEDIATE`; the other process waits up to the busy timeout, then sees the
 * migrations done). A failed migration is rolled back whole.
 */
function migrateExclusively<T>(file: string, db: Kysely<WatchDatabase>, work: () => Promise<T>): Promise<T> {
  const previous = sqliteMigrations.get(file) ?? Promise.resolve();
  const run = previous
    .catch(() => {})
    .then(async () => {
      await sql`BEGIN IMMEDIATE`.execute(db);
      try {
        const result = await work();
        await sql`COMMIT`.execute(db);
        return result;
      } catch (error) {
        await sql`ROLLBACK`.execute(db).catch(() => {});
        throw error;
      }
    });
  const settled = run.catch(() => {});
  sqliteMigrations.set(file, settled);
  void settled.then(() => {
    if (sqliteMigrations.get(file) === settled) sqliteMigrations.delete(file);
  });
  return run;
}

function openPostgres(url: string, schema: string): KyselyWatchStore {
  const target = describePostgresTarget(url, schema);
  if (!SCHEMA_NAME.test(schema)) {
    throw new WatchStoreError("watch_store_invalid_config", `invalid PostgreSQL schema name ${JSON.stringify(schema)}: use letters, digits and _`);
  }
  const { Pool } = loadPg();
  const pool = new Pool({ connectionString: url, connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS });
  // An idle client dropped by the server emits "error" on the pool; unhandled, it would end the process.
  pool.on("error", () => {});
  const db = new Kysely<WatchDatabase>({
    dialect: new PostgresDialect({
      pool: pool as unknown as PostgresPool,
      // Unqualified table names resolve to the configured schema (the migrator creates it first).
      onCreateConnection: async (connection) => {
        await connection.executeQuery(CompiledQuery.raw(`SET search_path TO "${schema}"`));
      },
    }),
  });
  return new KyselyWatchStore({ db, dialect: "postgres", target, schema });
}

/** `PostgreSQL watch store at host:port/database as user (schema s)`, and the password to keep out of messages. */
function describePostgresTarget(url: string, schema: string): WatchStoreTarget {
  let parsed: URL;
  try {
    parsed = parseServiceUrl(url, "PostgreSQL", ["postgresql:", "postgres:"]);
  } catch (error) {
    if (error instanceof StoreError) throw new WatchStoreError("watch_store_invalid_config", error.message, { cause: error });
    throw error;
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "(default database)";
  const user = parsed.username ? ` as ${decodeURIComponent(parsed.username)}` : "";
  return {
    label: `PostgreSQL watch store at ${parsed.hostname || "localhost"}:${parsed.port || DEFAULT_POSTGRES_PORT}/${database}${user} (schema ${schema})`,
    ...(parsed.password ? { secret: decodeURIComponent(parsed.password) } : {}),
  };
}
