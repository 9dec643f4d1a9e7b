import { describe, expect, it } from "vitest";
import { SessionSummarySchema, type SessionSummary } from "../../src/domain/summary.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { SummaryCache, normalizeFocusArea, summaryBlobKey, summaryCacheKey, type SummaryCacheKey } from "../../src/store/summary-cache.ts";
import { expectStoreError } from "./store-blob-contract.ts";

function summary(sessionId: string, note = "bought a hat"): SessionSummary {
  return SessionSummarySchema.parse({
    session_id: sessionId,
    start: "2025-01-01T10:00:00.000Z",
    duration_s: 42,
    segments: [
      {
        index: 0,
        name: "Checkout",
        start_event_id: "0000000a",
        end_event_id: "0000000b",
        start: "2025-01-01T10:00:00.000Z",
        end: "2025-01-01T10:00:42.000Z",
        key_actions: [],
        outcome: { success: true, summary: note },
        stats: {
          duration_s: 42,
          duration_ratio: 1,
          key_action_count: 0,
          failure_count: 0,
          exception_count: 0,
          confusion_count: 0,
          abandonment_count: 0,
        },
      },
    ],
    session_outcome: { success: true, summary: note },
    analyst: { kind: "heuristic", label: "offline analyst" },
  });
}

const base: SummaryCacheKey = { project: "acme", sessionId: "s-1", focusArea: "checkout", analyst: "heuristic" };

function makeCache() {
  const store = new MemoryBlobStore();
  return { store, cache: new SummaryCache({ store, schema: SessionSummarySchema }) };
}

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe("normalizeFocusArea", () => {
  it.each([
    ["  Checkout   Flow ", "checkout flow"],
    ["CHECKOUT\n\tflow", "checkout flow"],
    ["", undefined],
    ["   ", undefined],
    [null, undefined],
    [undefined, undefined],
  ])("%j → %j", (input, expected) => {
    expect(normalizeFocusArea(input)).toBe(expected);
  });

  it("makes equivalent focus areas share a cache key, and no focus area differ from any", () => {
    expect(summaryCacheKey("  Checkout  Flow", "heuristic")).toBe(summaryCacheKey("checkout flow", "heuristic"));
    expect(summaryCacheKey("", "heuristic")).toBe(summaryCacheKey(undefined, "heuristic"));
    expect(summaryCacheKey(null, "heuristic")).not.toBe(summaryCacheKey("none", "heuristic"));
  });
});

describe("SummaryCache", () => {
  it("misses, then hits after put", async () => {
    const { cache } = makeCache();
    expect(await cache.get(base)).toBeUndefined();
    const value = summary("s-1");
    await cache.put(base, value);
    expect(await cache.get(base)).toEqual(value);
    expect(await cache.get({ ...base, focusArea: "  CHECKOUT " })).toEqual(value);
  });

  it.each<[string, Partial<SummaryCacheKey>]>([
    ["project", { project: "other" }],
    ["session id", { sessionId: "s-2" }],
    ["focus area", { focusArea: "search" }],
    ["no focus area", { focusArea: undefined }],
    ["analyst", { analyst: "openai:gpt-4.1" }],
  ])("misses when the %s differs", async (_label, change) => {
    const { cache } = makeCache();
    await cache.put(base, summary("s-1"));
    expect(await cache.get({ ...base, ...change })).toBeUndefined();
  });

  it("stores under the project-scoped summary key", async () => {
    const { cache, store } = makeCache();
    await cache.put(base, summary("s-1"));
    expect(summaryBlobKey(base).startsWith("acme/sessions/s-1/summaries/")).toBe(true);
    expect(await store.has(summaryBlobKey(base))).toBe(true);
  });

  it("refuses to store a value that fails the schema", async () => {
    const { cache } = makeCache();
    const bad = { ...summary("s-1"), segments: [] } as SessionSummary;
    await expectStoreError(cache.put(base, bad), "invalid_value");
  });

  it("computes once for concurrent getOrCompute calls of one key, separately per key", async () => {
    const { cache } = makeCache();
    const gate = deferred<void>();
    let computations = 0;
    const compute = (id: string) => async () => {
      computations += 1;
      await gate.promise;
      return summary(id);
    };
    const same = Array.from({ length: 5 }, () => cache.getOrCompute(base, compute("s-1")));
    const equivalent = cache.getOrCompute({ ...base, focusArea: " Checkout" }, compute("s-1"));
    const other = cache.getOrCompute({ ...base, analyst: "openai:gpt-4.1" }, compute("s-1"));
    gate.resolve();
    const results = await Promise.all([...same, equivalent, other]);
    expect(computations).toBe(2);
    for (const result of results) expect(result).toEqual(summary("s-1"));
    expect(await cache.getOrCompute(base, compute("never"))).toEqual(summary("s-1"));
    expect(computations).toBe(2);
  });

  it("does not cache a failed computation: waiters get the error, the next call computes again", async () => {
    const { cache } = makeCache();
    const gate = deferred<SessionSummary>();
    const first = cache.getOrCompute(base, () => gate.promise);
    const second = cache.getOrCompute(base, async () => summary("s-1", "not used"));
    gate.reject(new Error("model timed out"));
    await expect(first).rejects.toThrow("model timed out");
    await expect(second).rejects.toThrow("model timed out");
    expect(await cache.get(base)).toBeUndefined();
    expect(await cache.getOrCompute(base, async () => summary("s-1", "second try"))).toEqual(summary("s-1", "second try"));
  });

  it("treats a cached value that fails the schema as a miss and overwrites it", async () => {
    const { cache, store } = makeCache();
    await store.putJson(summaryBlobKey(base), { session_id: "s-1", stale: "shape from an older version" });
    expect(await cache.get(base)).toBeUndefined();
    let computations = 0;
    const value = await cache.getOrCompute(base, async () => {
      computations += 1;
      return summary("s-1", "fresh");
    });
    expect(computations).toBe(1);
    expect(value).toEqual(summary("s-1", "fresh"));
    expect(await store.getJson(summaryBlobKey(base), SessionSummarySchema)).toEqual(summary("s-1", "fresh"));
  });

  it("treats bytes that are not JSON as a miss", async () => {
    const { cache, store } = makeCache();
    await store.put(summaryBlobKey(base), "\u0000garbage");
    expect(await cache.get(base)).toBeUndefined();
  });

  it("applies its TTL to stored summaries", async () => {
    let now = 0;
    const store = new MemoryBlobStore({ now: () => now });
    const cache = new SummaryCache({ store, schema: SessionSummarySchema, ttlSeconds: 10 });
    await cache.put(base, summary("s-1"));
    now += 10_000;
    expect(await cache.get(base)).toBeUndefined();
  });

  it("needs an analyst label", () => {
    expect(() => summaryCacheKey("x", "  ")).toThrow(/analyst/);
  });
});
