/** Which stores a process uses, as read from the environment (`readConfig`); built by `src/store/`. */

/** Which blob store to use. `ttlSeconds` is the default time to live of every value (none: forever). */
export type BlobStoreConfig =
  | { kind: "memory"; maxBytes?: number; ttlSeconds?: number }
  | { kind: "filesystem"; dir: string; ttlSeconds?: number }
  /** `prefix` defaults to `session-summaries:`; pass "" for none. */
  | { kind: "redis"; url: string; prefix?: string; ttlSeconds?: number };

/** Which LangGraph checkpointer to use: memory for tests, a SQLite file embedded, Postgres in production. */
export type CheckpointerConfig = { kind: "memory" } | { kind: "sqlite"; file: string } | { kind: "postgres"; url: string; schema?: string };

/** Where monitors, sweeps, issues and alerts live: a SQLite file embedded, Postgres when configured. */
export type WatchStoreConfig = { kind: "sqlite"; file: string } | { kind: "postgres"; url: string; schema?: string };
