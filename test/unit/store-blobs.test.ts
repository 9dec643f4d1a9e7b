import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeBlobStore } from "../../src/store/config.ts";
import { createBlobStore } from "../../src/store/create-blob-store.ts";
import { FilesystemBlobStore } from "../../src/store/filesystem-blob-store.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { RedisBlobStore } from "../../src/store/redis-blob-store.ts";
import { describeBlobStoreContract, expectStoreError, testClock } from "./store-blob-contract.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "ss-store-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describeBlobStoreContract("MemoryBlobStore", async (clock) => new MemoryBlobStore({ now: clock.now }), { ttl: "clock" });
describeBlobStoreContract("FilesystemBlobStore", async (clock) => new FilesystemBlobStore(path.join(root, `contract-${Math.random().toString(36).slice(2)}`), { now: clock.now }), { ttl: "clock" });

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe("MemoryBlobStore", () => {
  it("evicts the least recently used values to stay under maxBytes", async () => {
    const store = new MemoryBlobStore({ maxBytes: 30 });
    await store.put("a", "x".repeat(10));
    await store.put("b", "x".repeat(10));
    await store.put("c", "x".repeat(10));
    await store.get("a"); // a is now more recent than b
    await store.put("d", "x".repeat(10));
    expect(await store.has("b")).toBe(false);
    expect(await store.has("a")).toBe(true);
    expect(await store.has("c")).toBe(true);
    expect(await store.has("d")).toBe(true);
    expect(store.bytes).toBe(30);
  });

  it("counts an overwrite once and frees bytes on delete", async () => {
    const store = new MemoryBlobStore({ maxBytes: 100 });
    await store.put("a", "x".repeat(40));
    await store.put("a", "x".repeat(50));
    expect(store.bytes).toBe(50);
    await store.delete("a");
    expect(store.bytes).toBe(0);
  });

  it("refuses a single value larger than the bound", async () => {
    const store = new MemoryBlobStore({ maxBytes: 8 });
    await expectStoreError(store.put("big", "123456789"), "too_large");
  });

  it("applies the default TTL when a put gives none, and a put's own TTL over it", async () => {
    const clock = testClock();
    const store = new MemoryBlobStore({ now: clock.now, defaultTtlSeconds: 60 });
    await store.put("default", "x");
    await store.put("own", "x", { ttlSeconds: 120 });
    clock.advance(60_000);
    expect(await store.has("default")).toBe(false);
    expect(await store.has("own")).toBe(true);
  });

  it("frees the bytes of expired values", async () => {
    const clock = testClock();
    const store = new MemoryBlobStore({ now: clock.now, maxBytes: 100 });
    await store.put("a", "x".repeat(60), { ttlSeconds: 1 });
    clock.advance(1_000);
    expect(await store.get("a")).toBeUndefined();
    expect(store.bytes).toBe(0);
  });
});

describe("FilesystemBlobStore", () => {
  it("writes one gzip file per key under its directory, readable by any gunzip", async () => {
    const dir = path.join(root, "layout");
    const store = new FilesystemBlobStore(dir);
    const json = JSON.stringify({ rows: Array.from({ length: 200 }, (_, i) => ({ i, text: "same text again" })) });
    await store.put("acme/sessions/s-1/events", json);
    expect(await listFiles(dir)).toEqual([path.join("acme", "sessions", "s-1", "events.gz")]);
    const onDisk = await readFile(store.pathOf("acme/sessions/s-1/events"));
    expect(onDisk.subarray(0, 2).toString("hex")).toBe("1f8b");
    expect(onDisk.length).toBeLessThan(json.length / 5);
    expect(gunzipSync(onDisk).toString()).toBe(json);
  });

  it("keeps the TTL inside the gzip file: still plain gzip, expired reads as missing, purgeExpired removes it", async () => {
    const dir = path.join(root, "ttl");
    const clock = testClock();
    const store = new FilesystemBlobStore(dir, { now: clock.now });
    await store.put("p/short", "short-lived", { ttlSeconds: 5 });
    await store.put("p/forever", "kept");
    expect(gunzipSync(await readFile(store.pathOf("p/short"))).toString()).toBe("short-lived");
    clock.advance(5_000);
    expect(await store.get("p/short")).toBeUndefined();
    expect(await store.delete("p/short")).toBe(false);
    await store.put("p/short2", "x", { ttlSeconds: 1 });
    clock.advance(1_000);
    await writeFile(path.join(dir, "p", "forever.gz.tmp-123-abc"), "crashed writer");
    expect(await store.purgeExpired()).toBe(2);
    expect(await listFiles(dir)).toEqual([path.join("p", "forever.gz")]);
  });

  it("maps every key to a path inside its directory", async () => {
    const dir = path.join(root, "inside");
    const store = new FilesystemBlobStore(dir);
    for (const key of ["a", "a/b", "x.y/z", ".hidden/file", "a%2F.%2Fb", "k".repeat(400), `${"é".repeat(200)}/t`]) {
      const file = store.pathOf(key);
      expect(file.startsWith(dir + path.sep), `${key} → ${file}`).toBe(true);
      for (const part of path.relative(dir, file).split(path.sep)) {
        expect(part).not.toMatch(/^\.\.?$/);
        expect(Buffer.byteLength(part)).toBeLessThanOrEqual(255);
      }
    }
  });

  it("never shows a half-written value: concurrent writers of one key leave one whole value and no temp file", async () => {
    const dir = path.join(root, "atomic");
    const store = new FilesystemBlobStore(dir);
    const values = Array.from({ length: 8 }, (_, i) => Buffer.alloc(256 * 1024, i));
    const reads: Array<Promise<Buffer | undefined>> = [];
    await Promise.all(
      values.map(async (value) => {
        reads.push(store.get("race/key"));
        await store.put("race/key", value);
      }),
    );
    for (const read of await Promise.all(reads)) {
      if (read) expect(values.some((value) => value.equals(read))).toBe(true);
    }
    const final = await store.get("race/key");
    expect(values.some((value) => value.equals(final!))).toBe(true);
    expect(await listFiles(dir)).toEqual([path.join("race", "key.gz")]);
  });

  it("reports a corrupt file as StoreError(corrupt)", async () => {
    const store = new FilesystemBlobStore(path.join(root, "corrupt"));
    await store.put("c/file", "value");
    await writeFile(store.pathOf("c/file"), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
    await expectStoreError(store.get("c/file"), "corrupt");
  });

  it("fails with StoreError(unwritable) when the directory cannot be created", async () => {
    const file = path.join(root, "a-file");
    await writeFile(file, "not a directory");
    const store = new FilesystemBlobStore(path.join(file, "blobs"));
    const error = await expectStoreError(store.put("k", "v"), "unwritable");
    expect(error.message).toContain(path.join(file, "blobs"));
    await expectStoreError(createBlobStore({ kind: "filesystem", dir: path.join(file, "blobs") }), "unwritable");
  });
});

describe("createBlobStore / describeBlobStore", () => {
  it("builds each kind from its config", async () => {
    const memory = await createBlobStore({ kind: "memory", maxBytes: 1024 });
    expect(memory).toBeInstanceOf(MemoryBlobStore);
    await memory.close();
    const dir = path.join(root, "factory");
    const files = await createBlobStore({ kind: "filesystem", dir, ttlSeconds: 60 });
    expect(files).toBeInstanceOf(FilesystemBlobStore);
    expect((await stat(dir)).isDirectory()).toBe(true);
    await files.close();
  });

  it("describes stores without passwords", () => {
    expect(describeBlobStore({ kind: "memory" })).toBe("memory");
    expect(describeBlobStore({ kind: "filesystem", dir: "/data/blobs", ttlSeconds: 60 })).toBe("filesystem /data/blobs (ttl 60s)");
    const described = describeBlobStore({ kind: "redis", url: "redis://user:s3cr%40t@cache.internal:6380/2", prefix: "ss:", ttlSeconds: 10 });
    expect(described).toBe("redis redis://user:***@cache.internal:6380/2 (prefix ss:, ttl 10s)");
    expect(describeBlobStore({ kind: "redis", url: "redis://:hunter2@[bad" })).not.toContain("hunter2");
  });

  it("rejects a URL that is not redis:// before connecting", async () => {
    await expectStoreError(createBlobStore({ kind: "redis", url: "http://:pw@localhost:6379" }), "invalid_config");
  });

  it("fails fast with StoreError(unavailable) naming the host but not the password when Redis is unreachable", async () => {
    const started = Date.now();
    const error = await expectStoreError(createBlobStore({ kind: "redis", url: "redis://:topsecret@127.0.0.1:1" }), "unavailable");
    expect(error.message).toContain("127.0.0.1:1");
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toContain("topsecret");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("needs exactly one of url and client", () => {
    expect(() => new RedisBlobStore({})).toThrow(/exactly one/);
  });
});
