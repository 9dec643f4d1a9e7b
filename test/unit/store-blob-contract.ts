import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { BlobStore } from "../../src/store/blob-store.ts";
import { StoreError } from "../../src/store/errors.ts";
import { blobKeys } from "../../src/store/keys.ts";

/**
 * The behaviour every BlobStore shares, run against memory, filesystem and Redis. `make` receives a
 * clock; stores that can take one (memory, filesystem) use it so TTL tests advance time instead of
 * waiting. Redis cannot: it runs with `ttl: "wait"` and sleeps past a 1 s TTL.
 */
export interface ContractOptions {
  ttl: "clock" | "wait";
}

export interface TestClock {
  now: () => number;
  advance(ms: number): void;
}

export function testClock(start = Date.parse("2025-01-01T00:00:00Z")): TestClock {
  let current = start;
  return { now: () => current, advance: (ms) => void (current += ms) };
}

export async function expectStoreError(promise: Promise<unknown>, code: string): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected StoreError(${code})`).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
  return error as StoreError;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const INVALID_KEYS: Array<[string, string]> = [
  ["empty", ""],
  ["parent directory", "acme/../other/secret"],
  ["leading ..", "../etc/passwd"],
  ["absolute path", "/etc/passwd"],
  ["windows absolute path", "C:\\Windows\\system32"],
  ["NUL byte", "acme/sess\0ion"],
  ["over 512 characters", "k".repeat(513)],
  ["empty path part", "acme//events"],
  ["lone surrogate", "acme/\uD800"],
];

export function describeBlobStoreContract(name: string, make: (clock: TestClock) => Promise<BlobStore>, options: ContractOptions): void {
  describe(`${name}: BlobStore contract`, () => {
    const clock = testClock();
    let store: BlobStore;
    let counter = 0;
    /** A fresh key per test, so stores that persist (files, Redis) never see a previous run's value. */
    const freshKey = (label: string) => `contract/${label}/${Date.now().toString(36)}-${++counter}`;

    beforeAll(async () => {
      store = await make(clock);
    });
    afterAll(async () => {
      await store?.close();
    });

    it("round-trips every byte value and strings as UTF-8", async () => {
      const binary = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
      const key = freshKey("binary");
      await store.put(key, binary);
      expect((await store.get(key))?.equals(binary)).toBe(true);

      const text = "héllo ✓ 👋 \u0000 end";
      const textKey = freshKey("text");
      await store.put(textKey, text);
      expect((await store.get(textKey))?.toString("utf8")).toBe(text);

      const emptyKey = freshKey("empty");
      await store.put(emptyKey, Buffer.alloc(0));
      expect((await store.get(emptyKey))?.length).toBe(0);
      expect(await store.has(emptyKey)).toBe(true);
    });

    it("round-trips a 5 MB value", async () => {
      const large = randomBytes(5 * 1024 * 1024);
      const key = freshKey("large");
      await store.put(key, large);
      const back = await store.get(key);
      expect(back?.length).toBe(large.length);
      expect(back?.equals(large)).toBe(true);
    });

    it("returns a copy: mutating a value after put or get does not change what is stored", async () => {
      const key = freshKey("copy");
      const value = Buffer.from("original");
      await store.put(key, value);
      value.write("CHANGED!");
      const first = await store.get(key);
      first!.write("mutated!");
      expect((await store.get(key))?.toString()).toBe("original");
    });

    it("overwrites: the last put wins", async () => {
      const key = freshKey("overwrite");
      await store.put(key, "one");
      await store.put(key, "two");
      expect((await store.get(key))?.toString()).toBe("two");
    });

    it("keeps a key and a key under it apart (a/b and a/b/c)", async () => {
      const parent = freshKey("nested");
      await store.put(parent, "parent");
      await store.put(`${parent}/child`, "child");
      expect((await store.get(parent))?.toString()).toBe("parent");
      expect((await store.get(`${parent}/child`))?.toString()).toBe("child");
    });

    it("accepts keys with spaces, dots, percent signs and non-ASCII text, and keeps them distinct", async () => {
      const base = freshKey("odd");
      const keys = [`${base}/a b`, `${base}/a.b`, `${base}/a%2Eb`, `${base}/ünïcødé 🎉`, `${base}/A.B`, `${base}/a.b.`];
      for (const [i, key] of keys.entries()) await store.put(key, `value ${i}`);
      for (const [i, key] of keys.entries()) expect((await store.get(key))?.toString()).toBe(`value ${i}`);
    });

    it("stores the project-scoped keys built by blobKeys", async () => {
      const project = `proj ${freshKey("p").replace(/\//g, ":")}`;
      const keys = [
        blobKeys.loadedSession(project, "0190d6c8-1111", "load-1"),
        blobKeys.summary(project, "0190d6c8-1111", "abc123"),
        blobKeys.clip(project, "0190d6c8-1111", 7_000, 19_000),
        blobKeys.report(project, "r/1"),
      ];
      for (const key of keys) await store.put(key, key);
      for (const key of keys) expect((await store.get(key))?.toString()).toBe(key);
    });

    it("reports missing keys as undefined / false", async () => {
      const key = freshKey("missing");
      expect(await store.get(key)).toBeUndefined();
      expect(await store.has(key)).toBe(false);
      expect(await store.delete(key)).toBe(false);
      expect(await store.getJson(key)).toBeUndefined();
    });

    it("deletes", async () => {
      const key = freshKey("delete");
      await store.put(key, "x");
      expect(await store.has(key)).toBe(true);
      expect(await store.delete(key)).toBe(true);
      expect(await store.get(key)).toBeUndefined();
      expect(await store.has(key)).toBe(false);
      expect(await store.delete(key)).toBe(false);
    });

    describe("JSON helpers", () => {
      const Schema = z.object({ id: z.string(), count: z.number().int(), tags: z.array(z.string()).default([]) });

      it("round-trips JSON and applies the schema (defaults included)", async () => {
        const key = freshKey("json");
        await store.putJson(key, { id: "a", count: 2 });
        expect(await store.getJson(key, Schema)).toEqual({ id: "a", count: 2, tags: [] });
        expect(await store.getJson(key)).toEqual({ id: "a", count: 2 });
      });

      it("throws StoreError(invalid_value) naming the key and the field when the schema does not match", async () => {
        const key = freshKey("json-bad");
        await store.putJson(key, { id: 1, count: 2.5 });
        const error = await expectStoreError(store.getJson(key, Schema), "invalid_value");
        expect(error.message).toContain(key);
        expect(error.message).toMatch(/id|count/);
      });

      it("throws StoreError(invalid_value) for a stored value that is not JSON", async () => {
        const key = freshKey("not-json");
        await store.put(key, "{not json");
        await expectStoreError(store.getJson(key, Schema), "invalid_value");
      });

      it("rejects values JSON cannot represent", async () => {
        await expectStoreError(store.putJson(freshKey("undefined"), undefined), "invalid_value");
      });
    });

    it("expires a value after its TTL", { timeout: 15_000 }, async () => {
      const key = freshKey("ttl");
      const forever = freshKey("forever");
      await store.put(key, "short-lived", { ttlSeconds: 1 });
      await store.putJson(forever, { kept: true });
      expect(await store.has(key)).toBe(true);
      if (options.ttl === "clock") {
        clock.advance(999);
        expect((await store.get(key))?.toString()).toBe("short-lived");
        clock.advance(2);
      } else {
        await sleep(1_500);
      }
      expect(await store.get(key)).toBeUndefined();
      expect(await store.has(key)).toBe(false);
      expect(await store.getJson(forever)).toEqual({ kept: true });
    });

    it("rejects a TTL that is not a whole number of seconds ≥ 1", async () => {
      await expectStoreError(store.put(freshKey("ttl-bad"), "x", { ttlSeconds: 0 }), "invalid_value");
      await expectStoreError(store.put(freshKey("ttl-bad"), "x", { ttlSeconds: 1.5 }), "invalid_value");
    });

    it.each(INVALID_KEYS)("rejects an invalid key (%s) in every operation", async (_label, key) => {
      await expectStoreError(store.put(key, "x"), "invalid_key");
      await expectStoreError(store.get(key), "invalid_key");
      await expectStoreError(store.has(key), "invalid_key");
      await expectStoreError(store.delete(key), "invalid_key");
      await expectStoreError(store.getJson(key), "invalid_key");
    });

    it("accepts a key of exactly 512 characters", async () => {
      const key = `contract/max/${"k".repeat(512 - "contract/max/".length)}`;
      await store.put(key, "max");
      expect((await store.get(key))?.toString()).toBe("max");
      await store.delete(key);
    });

    it("refuses work after close (a separate instance)", async () => {
      const closing = await make(clock);
      await closing.close();
      await closing.close();
      await expectStoreError(closing.get("contract/after-close"), "closed");
    });
  });
}
