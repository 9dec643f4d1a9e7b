import path from "node:path";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config/env.ts";
import { ConfigError } from "../../src/domain/errors.ts";
import { describeBlobStore, describeCheckpointer } from "../../src/store/config.ts";

describe("readConfig: store", () => {
  it("defaults to files under .session-summaries in the current directory (no service needed)", () => {
    const { store } = readConfig({});
    const dataDir = path.resolve(".session-summaries");
    expect(store.blobs).toEqual({ kind: "filesystem", dir: path.join(dataDir, "blobs"), ttlSeconds: undefined });
    expect(store.checkpointer).toEqual({ kind: "sqlite", file: path.join(dataDir, "checkpoints.sqlite") });
  });

  it("puts both under SESSION_SUMMARIES_DATA_DIR", () => {
    const { store } = readConfig({ SESSION_SUMMARIES_DATA_DIR: "/var/lib/ss", SESSION_SUMMARIES_BLOB_TTL_SECONDS: "3600" });
    expect(store.blobs).toEqual({ kind: "filesystem", dir: "/var/lib/ss/blobs", ttlSeconds: 3600 });
    expect(store.checkpointer).toEqual({ kind: "sqlite", file: "/var/lib/ss/checkpoints.sqlite" });
  });

  it("uses Redis only when asked, with a default prefix and a one-week TTL", () => {
    const env = { REDIS_URL: "redis://:pw@cache:6379/1", DATABASE_URL: "postgresql://u:p@db/x" };
    expect(readConfig(env).store.blobs.kind).toBe("filesystem");
    expect(readConfig(env).store.checkpointer.kind).toBe("sqlite");
    expect(readConfig({ ...env, SESSION_SUMMARIES_BLOB_STORE: "redis" }).store.blobs).toEqual({
      kind: "redis",
      url: "redis://:pw@cache:6379/1",
      prefix: "session-summaries:",
      ttlSeconds: 604_800,
    });
    expect(readConfig({ ...env, SESSION_SUMMARIES_BLOB_STORE: "redis", SESSION_SUMMARIES_BLOB_TTL_SECONDS: "60", SESSION_SUMMARIES_REDIS_PREFIX: "x:" }).store.blobs).toMatchObject({
      prefix: "x:",
      ttlSeconds: 60,
    });
  });

  it("picks memory stores", () => {
    const { store } = readConfig({ SESSION_SUMMARIES_BLOB_STORE: "memory", SESSION_SUMMARIES_CHECKPOINTER: "memory" });
    expect(store).toEqual({ blobs: { kind: "memory", ttlSeconds: undefined }, checkpointer: { kind: "memory" } });
  });

  it("uses DATABASE_URL, then POSTGRES_URL, for the postgres checkpointer", () => {
    expect(readConfig({ SESSION_SUMMARIES_CHECKPOINTER: "postgres", DATABASE_URL: "postgresql://a@h/d", POSTGRES_URL: "postgres://b@h/d" }).store.checkpointer).toEqual({
      kind: "postgres",
      url: "postgresql://a@h/d",
      schema: "public",
    });
    expect(readConfig({ SESSION_SUMMARIES_CHECKPOINTER: "postgres", POSTGRES_URL: "postgres://b@h/d", SESSION_SUMMARIES_POSTGRES_SCHEMA: "ss" }).store.checkpointer).toEqual({
      kind: "postgres",
      url: "postgres://b@h/d",
      schema: "ss",
    });
  });

  it.each([
    [{ SESSION_SUMMARIES_BLOB_STORE: "redis" }, /needs REDIS_URL/],
    [{ SESSION_SUMMARIES_BLOB_STORE: "redis", REDIS_URL: "http://cache" }, /redis:\/\//],
    [{ SESSION_SUMMARIES_BLOB_STORE: "s3" }, /SESSION_SUMMARIES_BLOB_STORE/],
    [{ SESSION_SUMMARIES_CHECKPOINTER: "postgres" }, /DATABASE_URL or POSTGRES_URL/],
    [{ SESSION_SUMMARIES_CHECKPOINTER: "postgres", DATABASE_URL: "mysql://x:secret@h/d" }, /postgresql:\/\//],
    [{ SESSION_SUMMARIES_CHECKPOINTER: "redis" }, /SESSION_SUMMARIES_CHECKPOINTER/],
    [{ SESSION_SUMMARIES_BLOB_TTL_SECONDS: "0" }, /SESSION_SUMMARIES_BLOB_TTL_SECONDS/],
    [{ SESSION_SUMMARIES_POSTGRES_SCHEMA: "a-b" }, /SESSION_SUMMARIES_POSTGRES_SCHEMA/],
  ])("rejects %j with a ConfigError that never prints a password", (env, message) => {
    let caught: unknown;
    try {
      readConfig(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).not.toContain("secret");
  });

  it("describes the configured stores without passwords", () => {
    const { store } = readConfig({
      SESSION_SUMMARIES_BLOB_STORE: "redis",
      REDIS_URL: "redis://:hunter2@cache:6379",
      SESSION_SUMMARIES_CHECKPOINTER: "postgres",
      DATABASE_URL: "postgresql://app:hunter2@db:5432/prod",
    });
    expect(describeBlobStore(store.blobs)).not.toContain("hunter2");
    expect(describeCheckpointer(store.checkpointer)).not.toContain("hunter2");
  });
});
