import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBlobStore } from "../../src/store/create-blob-store.ts";
import { RedisBlobStore } from "../../src/store/redis-blob-store.ts";
import { describeBlobStoreContract, expectStoreError } from "../unit/store-blob-contract.ts";
import { TEST_REDIS_URL, requireRedis, runId } from "./services.ts";

const run = runId("ss-test");
const prefixOf = (label: string) => `${run}:${label}:`;
const created: RedisBlobStore[] = [];
let raw: Redis;

function makeStore(label: string, options: { defaultTtlSeconds?: number } = {}): RedisBlobStore {
  const store = new RedisBlobStore({ url: TEST_REDIS_URL, prefix: prefixOf(label), ...options });
  created.push(store);
  return store;
}

beforeAll(async () => {
  await requireRedis();
  raw = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  // Everything this run wrote lives under its run id.
  if (raw) {
    const sweeper = new RedisBlobStore({ client: raw, prefix: `${run}:` });
    await sweeper.clear();
    await sweeper.close();
    await raw.quit();
  }
  await Promise.all(created.map((store) => store.close()));
});

describeBlobStoreContract(
  "RedisBlobStore",
  async () => {
    const store = makeStore(`contract-${created.length}`);
    await store.connect();
    return store;
  },
  { ttl: "wait" },
);

describe("RedisBlobStore", () => {
  it("stores gzip: the raw bytes start with 1f 8b and are smaller than the input", async () => {
    const store = makeStore("gzip");
    const value = { events: Array.from({ length: 5_000 }, (_, i) => ({ i, event: "$autocapture", url: "https://shop.example/checkout" })) };
    const json = JSON.stringify(value);
    await store.putJson("acme/sessions/s1/events", value);
    const stored = await raw.getBuffer(store.redisKey("acme/sessions/s1/events"));
    expect(stored).not.toBeNull();
    expect(stored!.subarray(0, 2).toString("hex")).toBe("1f8b");
    expect(stored!.length).toBeLessThan(Buffer.byteLength(json) / 10);
    expect(await store.getJson("acme/sessions/s1/events")).toEqual(value);
  });

  it("sets TTLs with EX: per put, the store default, or none", async () => {
    const store = makeStore("ttl", { defaultTtlSeconds: 600 });
    await store.put("own", "x", { ttlSeconds: 30 });
    await store.put("default", "x");
    const forever = makeStore("ttl-none");
    await forever.put("none", "x");
    const ownTtl = await raw.ttl(store.redisKey("own"));
    const defaultTtl = await raw.ttl(store.redisKey("default"));
    expect(ownTtl).toBeGreaterThan(25);
    expect(ownTtl).toBeLessThanOrEqual(30);
    expect(defaultTtl).toBeGreaterThan(590);
    expect(defaultTtl).toBeLessThanOrEqual(600);
    expect(await raw.ttl(forever.redisKey("none"))).toBe(-1);
  });

  it("isolates two stores by prefix", async () => {
    const a = makeStore("tenant-a");
    const b = makeStore("tenant-b");
    await a.put("shared/key", "from a");
    expect(await b.get("shared/key")).toBeUndefined();
    expect(await b.has("shared/key")).toBe(false);
    await b.put("shared/key", "from b");
    expect((await a.get("shared/key"))?.toString()).toBe("from a");
    expect(await b.delete("shared/key")).toBe(true);
    expect((await a.get("shared/key"))?.toString()).toBe("from a");
    await b.put("only/b", "1");
    expect(await b.clear()).toBe(1);
    expect((await a.get("shared/key"))?.toString()).toBe("from a");
  });

  it("clears with SCAN only its own prefix, treating glob characters in the prefix literally", async () => {
    const globby = new RedisBlobStore({ url: TEST_REDIS_URL, prefix: `${run}:glob*:` });
    const neighbour = makeStore("globX");
    created.push(globby);
    await globby.put("k", "1");
    await neighbour.put("k", "2");
    expect(await globby.clear()).toBe(1);
    expect((await neighbour.get("k"))?.toString()).toBe("2");
  });

  it("reports a value it did not write (not gzip) as StoreError(corrupt)", async () => {
    const store = makeStore("corrupt");
    await raw.set(store.redisKey("plain"), "not gzip");
    await expectStoreError(store.get("plain"), "corrupt");
  });

  it("leaves a client it was given open on close", async () => {
    const client = new Redis(TEST_REDIS_URL);
    const store = new RedisBlobStore({ client, prefix: prefixOf("borrowed") });
    await store.put("k", "v");
    await store.close();
    expect(await client.ping()).toBe("PONG");
    await client.del(`${prefixOf("borrowed")}k`);
    await client.quit();
  });

  it("is built by createBlobStore with the default prefix and a masked description", async () => {
    const url = new URL(TEST_REDIS_URL);
    const store = await createBlobStore({ kind: "redis", url: TEST_REDIS_URL, ttlSeconds: 60 });
    expect(store).toBeInstanceOf(RedisBlobStore);
    expect((store as RedisBlobStore).prefix).toBe("session-summaries:");
    expect(store.description).toContain(url.hostname);
    await store.close();
    await expectStoreError(store.get("k"), "closed");
  });

  it("puts and gets many values concurrently on one connection", async () => {
    const store = makeStore("concurrent");
    const keys = Array.from({ length: 200 }, (_, i) => `acme/sessions/s${i}/events`);
    await Promise.all(keys.map((key, i) => store.putJson(key, { i })));
    const values = await Promise.all(keys.map((key) => store.getJson<{ i: number }>(key)));
    expect(values.map((value) => value?.i)).toEqual(keys.map((_, i) => i));
  });
});
