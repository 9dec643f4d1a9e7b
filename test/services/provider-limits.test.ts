import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderLimits, ProviderLimitsError, type ProviderLimitsOptions } from "../../src/limits/index.ts";
import { TEST_REDIS_URL, requireRedis, runId } from "./services.ts";

const run = runId("ss-limits");
const created: ProviderLimits[] = [];
let raw: Redis;

/** One "machine": its own ProviderLimits and its own Redis connection, sharing the test's Redis and prefix. */
function machine(label: string, options: Omit<ProviderLimitsOptions, "url" | "client"> = {}): ProviderLimits {
  const limits = new ProviderLimits({ url: TEST_REDIS_URL, keyPrefix: `${run}:${label}:`, pollIntervalMs: 20, ...options });
  created.push(limits);
  return limits;
}

/** Two machines on one deployment prefix. */
function twoMachines(label: string, options: Omit<ProviderLimitsOptions, "url" | "client"> = {}): [ProviderLimits, ProviderLimits] {
  return [machine(label, options), machine(label, options)];
}

const PENDING = Symbol("pending");
/** Whether a promise is still unsettled after `ms`: used only to show blocking, never a duration bound. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | typeof PENDING> {
  return Promise.race([promise, new Promise<typeof PENDING>((resolve) => setTimeout(() => resolve(PENDING), ms))]);
}

beforeAll(async () => {
  await requireRedis();
  raw = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  await Promise.all(created.map((limits) => limits.close()));
  if (raw) {
    let cursor = "0";
    do {
      const [next, keys] = await raw.scan(cursor, "MATCH", `${run}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await raw.unlink(...keys);
    } while (cursor !== "0");
    await raw.quit();
  }
});

describe.concurrent("ProviderLimits across two machines on one Redis", () => {
  it("shares the in-flight cap: with a cap of 2 a third acquire on either machine waits for a release on the other", async () => {
    const [a, b] = twoMachines("inflight", { defaults: { maxInFlight: 2 } });
    const first = await a.acquire("openai:gpt-4o-mini", 100);
    const second = await b.acquire("openai:gpt-4o-mini", 100);
    expect(await a.inFlight("openai:gpt-4o-mini")).toBe(2);

    const third = b.acquire("openai:gpt-4o-mini", 100);
    expect(await settledWithin(third, 250)).toBe(PENDING);
    // Another model has its own cap.
    const otherModel = await b.acquire("openai:gpt-4o", 100);
    await otherModel.release();

    await first.release();
    const thirdLease = await third;
    expect(await b.inFlight("openai:gpt-4o-mini")).toBe(2);
    await second.release();
    await thirdLease.release();
    await thirdLease.release(); // idempotent
    expect(await a.inFlight("openai:gpt-4o-mini")).toBe(0);
  });

  it("never lets more calls than the cap run at once when many callers on both machines race", async () => {
    const [a, b] = twoMachines("race", { defaults: { maxInFlight: 3 } });
    let running = 0;
    let peak = 0;
    const call = async (limits: ProviderLimits) => {
      const lease = await limits.acquire("m", 1);
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 15));
      running -= 1;
      await lease.release();
    };
    await Promise.all(Array.from({ length: 16 }, (_, i) => call(i % 2 === 0 ? a : b)));
    expect(peak).toBe(3);
    expect(await a.inFlight("m")).toBe(0);
  });

  it("shares requests per window: two requests allowed per 1 s window in total, the third waits for the next window", async () => {
    // 120/min scaled to a 1 s window = 2 per window.
    const [a, b] = twoMachines("rpm", { windowSeconds: 1, defaults: { requestsPerMinute: 120 } });
    await (await a.acquire("anthropic:claude", 0)).release();
    await (await b.acquire("anthropic:claude", 0)).release();
    const third = a.acquire("anthropic:claude", 0);
    expect(await settledWithin(third, 150)).toBe(PENDING);
    const lease = await third;
    await lease.release();
    // The refused attempts were refunded: the new window holds exactly the one request that passed.
    expect(Number(await raw.get(a.keysFor("anthropic:claude").requests))).toBe(1);
  });

  it("shares tokens per window and corrects the count when a call used fewer tokens than estimated", async () => {
    // 6000/min scaled to a 1 s window = 100 tokens per window.
    const [a, b] = twoMachines("tpm", { windowSeconds: 1, defaults: { tokensPerMinute: 6_000 } });
    const tokensKey = a.keysFor("openai:gpt-4o-mini").tokens;
    const big = await a.acquire("openai:gpt-4o-mini", 80);
    const waiting = b.acquire("openai:gpt-4o-mini", 30);
    expect(await settledWithin(waiting, 100)).toBe(PENDING);
    await big.release();
    // b's 30 did not fit next to a's 80: it went through in the next window, alone in it.
    const lease = await waiting;
    expect(Number(await raw.get(tokensKey))).toBe(30);

    // The call used only 5 tokens: 25 go back to the shared budget, so a's 95 fits in this same window.
    await lease.release(5);
    expect(Number(await raw.get(tokensKey))).toBe(5);
    await (await a.acquire("openai:gpt-4o-mini", 95)).release();
    expect(Number(await raw.get(tokensKey))).toBe(100);

    await expect(b.acquire("openai:gpt-4o-mini", 101)).rejects.toMatchObject({ code: "request_too_large" });
  });

  it("a 429 reported by one machine delays the other's next acquire for that model, not for others", async () => {
    const [a, b] = twoMachines("throttle", { defaults: { maxInFlight: 5 } });
    await a.reportThrottled("openai:gpt-4o-mini", 400);
    // A shorter retry-after never cuts the pause short.
    await b.reportThrottled("openai:gpt-4o-mini", 50);
    expect(await raw.pttl(a.keysFor("openai:gpt-4o-mini").throttle)).toBeGreaterThan(50);

    const delayed = b.acquire("openai:gpt-4o-mini", 10);
    const unaffected = await b.acquire("openai:gpt-4o", 10);
    expect(await settledWithin(delayed, 150)).toBe(PENDING);
    await unaffected.release();
    const lease = await delayed;
    expect(await raw.exists(a.keysFor("openai:gpt-4o-mini").throttle)).toBe(0);
    await lease.release();
  });

  it("a lease of a crashed machine expires and frees its slot; a live machine's lease is renewed and keeps it", async () => {
    const models = { n: { maxInFlight: 2 } };
    const crashed = machine("expiry", { leaseTtlMs: 300, defaults: { maxInFlight: 1 }, models });
    const live = machine("expiry", { leaseTtlMs: 300, defaults: { maxInFlight: 1 }, models });
    const other = machine("expiry", { defaults: { maxInFlight: 1 }, models });

    // Live: held past three TTLs, the lease is renewed and the slot stays taken.
    const held = await live.acquire("m", 1);
    const blocked = other.acquire("m", 1);
    expect(await settledWithin(blocked, 700)).toBe(PENDING);
    await held.release();
    await (await blocked).release();

    // Crashed: the connection drops without a release, so nothing renews its lease. A long lease held
    // next to it keeps the set alive, so only the expired lease itself can free the slot.
    const longHeld = await other.acquire("n", 1);
    await crashed.acquire("n", 1);
    crashed.client.disconnect();
    expect(await other.inFlight("n")).toBe(2);
    const after = await other.acquire("n", 1);
    expect(await other.inFlight("n")).toBe(2);
    await after.release();
    await longHeld.release();
    expect(await other.inFlight("n")).toBe(0);
  });

  it("an aborted wait rejects with the signal's reason and leaves no slot taken", async () => {
    const [a, b] = twoMachines("abort", { defaults: { maxInFlight: 1 } });
    const held = await a.acquire("m", 1);
    const controller = new AbortController();
    const waiting = b.acquire("m", 1, controller.signal);
    expect(await settledWithin(waiting, 100)).toBe(PENDING);
    const reason = new Error("report cancelled");
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(await a.inFlight("m")).toBe(1);
    await held.release();
    expect(await a.inFlight("m")).toBe(0);

    // Aborted during a 429 pause too; an already-aborted signal takes nothing.
    await a.reportThrottled("m", 5_000);
    const paused = new AbortController();
    const pausedWait = b.acquire("m", 1, paused.signal);
    paused.abort(new Error("stop"));
    await expect(pausedWait).rejects.toThrow("stop");
    await raw.del(a.keysFor("m").throttle);
    await expect(b.acquire("m", 1, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(await a.inFlight("m")).toBe(0);
    await (await b.acquire("m", 1)).release();
  });

  it("per-model overrides win over the defaults; a model without limits passes at once", async () => {
    const limits = machine("overrides", { defaults: { maxInFlight: 1, requestsPerMinute: 600 }, models: { "openai:gpt-4o": { maxInFlight: 3 } } });
    expect(limits.limitsFor("openai:gpt-4o")).toEqual({ maxInFlight: 3, requestsPerMinute: 600 });
    expect(limits.limitsFor("other")).toEqual({ maxInFlight: 1, requestsPerMinute: 600 });
    const leases = await Promise.all([1, 2, 3].map(() => limits.acquire("openai:gpt-4o", 0)));
    expect(await limits.inFlight("openai:gpt-4o")).toBe(3);
    await Promise.all(leases.map((lease) => lease.release()));

    const free = machine("overrides-none");
    await (await free.acquire("anything", 1_000_000)).release();
    expect(await raw.exists(free.keysFor("anything").inFlight)).toBe(0);
  });
});

describe("ProviderLimits options and errors", () => {
  it("rejects bad options with a typed error naming the option", () => {
    const bad: [ProviderLimitsOptions, RegExp][] = [
      [{ url: TEST_REDIS_URL, defaults: { maxInFlight: 0 } }, /defaults\.maxInFlight must be a whole number >= 1/],
      [{ url: TEST_REDIS_URL, models: { "openai:x": { requestsPerMinute: 1.5 } } }, /models\["openai:x"\]\.requestsPerMinute/],
      [{ url: TEST_REDIS_URL, defaults: { tokensPerMinut: 5 } as never }, /defaults\.tokensPerMinut is not a limit/],
      [{ url: TEST_REDIS_URL, windowSeconds: 1, defaults: { requestsPerMinute: 30 } }, /requestsPerMinute = 30 allows less than one per 1 s window/],
      [{ url: TEST_REDIS_URL, leaseTtlMs: -1 }, /leaseTtlMs must be a whole number/],
      [{}, /exactly one of `url` and `client`/],
      [{ url: "http://user:hunter2@example.com" }, /must start with redis:\/\//],
    ];
    for (const [options, message] of bad) {
      let thrown: unknown;
      try {
        new ProviderLimits(options);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ProviderLimitsError);
      expect((thrown as ProviderLimitsError).code).toBe("invalid_options");
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toContain("hunter2");
    }
  });

  it("rejects bad arguments and calls after close", async () => {
    const limits = machine("args");
    await expect(limits.acquire("", 1)).rejects.toMatchObject({ code: "invalid_argument" });
    await expect(limits.acquire("m", Number.NaN)).rejects.toMatchObject({ code: "invalid_argument" });
    await expect(limits.reportThrottled("m", -5)).rejects.toMatchObject({ code: "invalid_argument" });
    await limits.close();
    await expect(limits.acquire("m", 1)).rejects.toMatchObject({ code: "closed" });
  });

  it("an unreachable Redis fails as `unavailable` naming the host, never the password", async () => {
    const limits = new ProviderLimits({ url: "redis://user:hunter2@127.0.0.1:1", connectTimeoutMs: 1_000 });
    created.push(limits);
    const error = await limits.connect().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ProviderLimitsError);
    expect(error).toMatchObject({ code: "unavailable" });
    expect((error as Error).message).toContain("127.0.0.1:1");
    expect((error as Error).message).not.toContain("hunter2");
    expect(limits.description).not.toContain("hunter2");
  });
});
