import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { MemorySaver } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { DEFAULT_POSTGRES_SCHEMA, describeCheckpointer } from "./config.ts";
import { type CheckpointerConfig } from "../config/stores.ts";
import { StoreError, messageOf, parseServiceUrl } from "./errors.ts";

export interface Checkpointer {
  saver: BaseCheckpointSaver;
  /** Releases the file handle or the connection pool. Safe to call twice. */
  close(): Promise<void>;
  /** e.g. `sqlite /app/.session-summaries/checkpoints.sqlite`; never a password. */
  description: string;
}

export const DEFAULT_POSTGRES_PORT = 5432;
const POSTGRES_CONNECT_TIMEOUT_MS = 5_000;
/** PostgresSaver interpolates the schema name into SQL, so only plain identifiers are accepted. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The checkpointer a config names, ready to use: the SQLite file's directory exists and its tables
 * are created; the Postgres schema is migrated (`setup()`) before this returns. Problems are
 * `StoreError`s naming the file or the host, never a password.
 */
export async function createCheckpointer(config: CheckpointerConfig): Promise<Checkpointer> {
  switch (config.kind) {
    case "memory":
      return { saver: new MemorySaver(), close: async () => {}, description: describeCheckpointer(config) };
    case "sqlite":
      return openSqlite(config.file);
    case "postgres":
      return openPostgres(config.url, config.schema ?? DEFAULT_POSTGRES_SCHEMA);
  }
}

/** Exposes SqliteSaver's lazy table creation, so an unwritable file fails at start-up. */
class EagerSqliteSaver extends SqliteSaver {
  createTables(): void {
    this.setup();
  }
}

function openSqlite(file: string): Checkpointer {
  const inMemory = file === ":memory:";
  const resolved = inMemory ? file : path.resolve(file);
  const unwritable = (error: unknown): StoreError => new StoreError("unwritable", `cannot open the SQLite checkpoint file ${resolved}: ${messageOf(error)}`, { cause: error });
  if (!inMemory) {
    try {
      mkdirSync(path.dirname(resolved), { recursive: true });
    } catch (error) {
      throw unwritable(error);
    }
  }
  let saver: EagerSqliteSaver;
  try {
    // fromConnString opens the database (better-sqlite3 has no types here) but builds a plain SqliteSaver.
    saver = new EagerSqliteSaver(SqliteSaver.fromConnString(resolved).db);
  } catch (error) {
    throw unwritable(error);
  }
  // better-sqlite3 ships no types here; these two members are all we use.
  const db = saver.db as { open: boolean; close(): void };
  try {
    saver.createTables();
  } catch (error) {
    db.close();
    throw unwritable(error);
  }
  return {
    saver,
    description: describeCheckpointer({ kind: "sqlite", file: resolved }),
    close: async () => {
      if (db.open) db.close();
    },
  };
}

async function openPostgres(url: string, schema: string): Promise<Checkpointer> {
  const target = describePostgresTarget(url);
  if (!SCHEMA_NAME.test(schema)) {
    throw new StoreError("invalid_config", `invalid PostgreSQL schema name ${JSON.stringify(schema)}: use letters, digits and _`);
  }
  const { Pool } = loadPg();
  const pool = new Pool({ connectionString: url, connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS });
  // An idle client dropped by the server emits "error" on the pool; unhandled, it would end the process.
  pool.on("error", () => {});
  const saver = new PostgresSaver(pool as never, undefined, { schema });
  try {
    await setupSerialized(pool, saver, schema);
  } catch (error) {
    await pool.end().catch(() => {});
    throw postgresError(error, target);
  }
  let closed = false;
  return {
    saver,
    description: describeCheckpointer({ kind: "postgres", url, schema }),
    close: async () => {
      if (closed) return;
      closed = true;
      await saver.end();
    },
  };
}

/**
 * `setup()` under an advisory lock: two processes (or two factories in one) starting together would
 * otherwise race on CREATE SCHEMA and the migrations table.
 */
async function setupSerialized(pool: PgPool, saver: PostgresSaver, schema: string): Promise<void> {
  const lockClient = await pool.connect();
  try {
    await lockClient.query("SELECT pg_advisory_lock(hashtext($1))", [`session-summaries:checkpoints:${schema}`]);
    try {
      await saver.setup();
    } finally {
      await lockClient.query("SELECT pg_advisory_unlock(hashtext($1))", [`session-summaries:checkpoints:${schema}`]);
    }
  } finally {
    lockClient.release();
  }
}

interface PostgresTarget {
  /** `host:port/database as user`, for messages. */
  label: string;
  password: string | undefined;
}

function describePostgresTarget(url: string): PostgresTarget {
  const parsed = parseServiceUrl(url, "PostgreSQL", ["postgresql:", "postgres:"]);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "(default database)";
  const user = parsed.username ? ` as ${decodeURIComponent(parsed.username)}` : "";
  return {
    label: `${parsed.hostname || "localhost"}:${parsed.port || DEFAULT_POSTGRES_PORT}/${database}${user}`,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
  };
}

/** Connection-level failures (refused, unknown host, timeout, auth, missing database) vs. everything else. */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ECONNRESET", "28P01", "28000", "3D000"]);

function postgresError(error: unknown, target: PostgresTarget): StoreError {
  const code = (error as { code?: unknown } | undefined)?.code;
  const innerCodes = error instanceof AggregateError ? error.errors.map((inner) => (inner as { code?: unknown } | undefined)?.code) : [];
  const reason = messageOf(error, target.password);
  const unreachable = [code, ...innerCodes].some((c) => typeof c === "string" && UNREACHABLE_CODES.has(c)) || /timeout|terminated/i.test(reason);
  return unreachable
    ? new StoreError("unavailable", `PostgreSQL at ${target.label} is not reachable: ${reason}`, { cause: error })
    : new StoreError("backend_error", `PostgreSQL at ${target.label}: checkpoint setup failed: ${reason}`, { cause: error });
}

/** The parts of node-postgres we use; the package ships no types and @types/pg is not installed. */
export interface PgClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  release(): void;
}
export interface PgPool {
  connect(): Promise<PgClient>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): unknown;
}
export interface PgModule {
  Pool: new (config: { connectionString: string; connectionTimeoutMillis?: number; max?: number }) => PgPool;
}

export function loadPg(): PgModule {
  return createRequire(import.meta.url)("pg") as PgModule;
}
