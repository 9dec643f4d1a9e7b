import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { MemorySaver } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCheckpointer } from "../../src/store/checkpointer.ts";
import { describeCheckpointer } from "../../src/store/config.ts";
import { expectStoreError } from "./store-blob-contract.ts";
import { buildCountingGraph, expectStatePersistsAcrossRestart } from "./store-graph-fixture.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "ss-checkpoint-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("createCheckpointer: memory", () => {
  it("keeps a thread's state for the life of the saver, and a new one starts empty", async () => {
    const checkpointer = await createCheckpointer({ kind: "memory" });
    expect(checkpointer.saver).toBeInstanceOf(MemorySaver);
    expect(checkpointer.description).toBe("memory (not persisted)");
    const config = { configurable: { thread_id: "t-memory" } };
    const { graph } = buildCountingGraph(checkpointer.saver);
    await graph.invoke({}, config);
    expect((await graph.invoke({}, config)).visits).toBe(2);
    await checkpointer.close();

    const fresh = await createCheckpointer({ kind: "memory" });
    expect((await buildCountingGraph(fresh.saver).graph.getState(config)).values).toEqual({});
    await fresh.close();
  });
});

describe("createCheckpointer: sqlite", () => {
  it("creates the file's directory and keeps state across a restart", async () => {
    const file = path.join(root, "nested", "dir", "checkpoints.sqlite");
    await expectStatePersistsAcrossRestart(() => createCheckpointer({ kind: "sqlite", file }), "t-sqlite");
    expect((await stat(file)).isFile()).toBe(true);
  });

  it("describes itself with the resolved path", async () => {
    const checkpointer = await createCheckpointer({ kind: "sqlite", file: path.join(root, "d.sqlite") });
    expect(checkpointer.description).toBe(`sqlite ${path.join(root, "d.sqlite")}`);
    await checkpointer.close();
  });

  it("fails with StoreError(unwritable) naming the path when the directory cannot be made", async () => {
    const blocker = path.join(root, "blocker");
    await writeFile(blocker, "a file where a directory should be");
    const file = path.join(blocker, "checkpoints.sqlite");
    const error = await expectStoreError(createCheckpointer({ kind: "sqlite", file }), "unwritable");
    expect(error.message).toContain(file);
  });

  it("fails with StoreError(unwritable) when the file is not a database", async () => {
    const file = path.join(root, "not-a-db.sqlite");
    await writeFile(file, "this is not a SQLite database, just some text that is long enough to be read as a header....");
    await expectStoreError(createCheckpointer({ kind: "sqlite", file }), "unwritable");
  });
});

describe("createCheckpointer: postgres config errors (no server needed)", () => {
  it("rejects a URL that is not PostgreSQL, without printing its password", async () => {
    const error = await expectStoreError(createCheckpointer({ kind: "postgres", url: "mysql://me:hunter2@db/x" }), "invalid_config");
    expect(error.message).not.toContain("hunter2");
    await expectStoreError(createCheckpointer({ kind: "postgres", url: "not a url :hunter2@" }), "invalid_config");
  });

  it("rejects a schema name that is not a plain identifier", async () => {
    await expectStoreError(createCheckpointer({ kind: "postgres", url: "postgresql://postgres@127.0.0.1:5432/test", schema: 'x"; DROP TABLE y; --' }), "invalid_config");
  });

  it("reports an unreachable server as StoreError(unavailable) naming host and database, not the password", async () => {
    const error = await expectStoreError(createCheckpointer({ kind: "postgres", url: "postgresql://app:topsecret@127.0.0.1:1/reports" }), "unavailable");
    expect(error.message).toContain("127.0.0.1:1/reports as app");
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toContain("topsecret");
  });

  it("describes itself with the password masked", () => {
    expect(describeCheckpointer({ kind: "postgres", url: "postgresql://app:topsecret@db:5432/prod", schema: "ss" })).toBe("postgres postgresql://app:***@db:5432/prod (schema ss)");
  });
});
