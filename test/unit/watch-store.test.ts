import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/config/env.ts";
import { ConfigError } from "../../src/domain/errors.ts";
import { describeWatchStore, openWatchStore, openWatchStoreAt } from "../../src/watch/store/open.ts";
import { describeWatchStoreCases, expectWatchStoreError } from "./watch-store-cases.ts";

const dir = mkdtempSync(path.join(tmpdir(), "watch-store-"));
const file = path.join(dir, "nested", "watch.sqlite");

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeWatchStoreCases("a SQLite file", { open: (options) => openWatchStoreAt({ kind: "sqlite", file }, options) });

describe("openWatchStore: SQLite", () => {
  it("opens the configured file under the data dir, next to the checkpoints, and migrates it", async () => {
    const config = readConfig({ SESSION_SUMMARIES_DATA_DIR: path.join(dir, "data") });
    expect(config.watchStore).toEqual({ kind: "sqlite", file: path.join(dir, "data", "watch.sqlite") });
    expect(config.store.checkpointer).toEqual({ kind: "sqlite", file: path.join(dir, "data", "checkpoints.sqlite") });
    const store = await openWatchStore(config);
    try {
      expect(await store.appliedMigrations()).toEqual(["001-initial", "002-answers", "003-tickets"]);
      expect(store.description).toContain(path.join(dir, "data", "watch.sqlite"));
    } finally {
      await store.close();
    }
  });

  it("survives several stores migrating a fresh file at once (migrations are serialized)", async () => {
    const fresh = path.join(dir, "parallel", "watch.sqlite");
    const stores = await Promise.all(Array.from({ length: 4 }, () => openWatchStoreAt({ kind: "sqlite", file: fresh })));
    try {
      for (const store of stores) expect(await store.appliedMigrations()).toEqual(["001-initial", "002-answers", "003-tickets"]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("reports a file it cannot open as watch_store_unavailable naming the file", async () => {
    const blocker = path.join(dir, "not-a-dir");
    writeFileSync(blocker, "");
    const error = await expectWatchStoreError(openWatchStoreAt({ kind: "sqlite", file: path.join(blocker, "watch.sqlite") }), "watch_store_unavailable");
    expect(error.message).toContain(path.join(blocker, "watch.sqlite"));
  });

  it("reports a file that is not a database as unavailable, naming it", async () => {
    const garbage = path.join(dir, "garbage.sqlite");
    writeFileSync(garbage, "this is not a SQLite database, just text long enough to have a header".repeat(20));
    chmodSync(garbage, 0o600);
    const error = await expectWatchStoreError(openWatchStoreAt({ kind: "sqlite", file: garbage }), "watch_store_unavailable");
    expect(error.message).toContain(garbage);
  });
});

describe("watch store configuration", () => {
  const postgres = { DATABASE_URL: "postgresql://u:hunter2@db:5432/x" };

  it("follows the checkpointer: Postgres when it is, SQLite otherwise; SESSION_SUMMARIES_WATCH_STORE overrides", () => {
    expect(readConfig({ ...postgres, SESSION_SUMMARIES_CHECKPOINTER: "postgres" }).watchStore).toEqual({ kind: "postgres", url: postgres.DATABASE_URL, schema: "public" });
    expect(readConfig({ ...postgres }).watchStore.kind).toBe("sqlite");
    expect(readConfig({ ...postgres, SESSION_SUMMARIES_WATCH_STORE: "postgres", SESSION_SUMMARIES_POSTGRES_SCHEMA: "ss" }).watchStore).toEqual({
      kind: "postgres",
      url: postgres.DATABASE_URL,
      schema: "ss",
    });
    expect(readConfig({ ...postgres, SESSION_SUMMARIES_CHECKPOINTER: "postgres", SESSION_SUMMARIES_WATCH_STORE: "sqlite" }).watchStore.kind).toBe("sqlite");
    expect(readConfig({ SESSION_SUMMARIES_WATCH_STORE: "" }).watchStore.kind).toBe("sqlite");
  });

  it("needs a Postgres URL when asked for Postgres", () => {
    expect(() => readConfig({ SESSION_SUMMARIES_WATCH_STORE: "postgres" })).toThrow(ConfigError);
    expect(() => readConfig({ SESSION_SUMMARIES_WATCH_STORE: "postgres" })).toThrow(/SESSION_SUMMARIES_WATCH_STORE=postgres needs DATABASE_URL or POSTGRES_URL/);
    expect(() => readConfig({ SESSION_SUMMARIES_WATCH_STORE: "mysql" })).toThrow(ConfigError);
  });

  it("describes the store without the password", () => {
    expect(describeWatchStore(readConfig({ ...postgres, SESSION_SUMMARIES_WATCH_STORE: "postgres" }).watchStore)).toBe("postgres postgresql://u:***@db:5432/x (schema public)");
  });

  it("refuses a malformed URL or schema name as watch_store_invalid_config without the password", async () => {
    const error = await expectWatchStoreError(openWatchStoreAt({ kind: "postgres", url: "mysql://u:hunter2@db/x" }), "watch_store_invalid_config");
    expect(error.message).not.toContain("hunter2");
    await expectWatchStoreError(openWatchStoreAt({ kind: "postgres", url: "postgresql://u@db/x", schema: "x; DROP" }), "watch_store_invalid_config");
  });
});
