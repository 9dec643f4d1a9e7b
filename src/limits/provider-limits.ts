import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { SessionSummariesError } from "../domain/errors.ts";
import { parseRedisUrl, RedisConnection } from "../store/redis-connection.ts";

/**
 * A provider-limits problem. Codes: `invalid_options` (a bad limit or option, named in the message),
 * `invalid_argument` (a bad model key, token estimate or retry-after), `request_too_large` (one call
 * estimated above the model's tokens per window: it could never pass), `unavailable` (Redis cannot be
 * reached or answered with an error), `closed`. Messages never contain a password.
 */
export class ProviderLimitsError extends SessionSummariesError {}

/** The budgets of one provider model; an absent field means "no limit of that kind". */
export interface ModelLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /** Calls in flight at once across every process sharing the Redis. */
  maxInFlight?: number;
}

export const PROVIDER_LIMITS_DEFAULTS = {
  keyPrefix: "session-summaries:",
  /** Fixed window the per-minute budgets are counted in; tests shorten it (the budget is scaled to it). */
  windowSeconds: 60,
  /** An in-flight slot not renewed for this long is free again: a crashed process holds it no longer. */
  leaseTtlMs: 30_000,
  /** How often a waiter for a full in-flight cap looks again (other processes' releases are not pushed). */
  pollIntervalMs: 50,
  /** A provider's retry-after is capped at this, so one absurd header cannot stall every worker for hours. */
  maxThrottleMs: 10 * 60_000,
  connectTimeoutMs: 5_000,
} as const;

export interface ProviderLimitsOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. Exactly one of `url` and `client`. */
  url?: string;
  /** A client owned by the caller: `close()` leaves it open. */
  client?: Redis;
  /** Prepended to every key: one per deployment, so two deployments on one Redis do not share budgets. */
  keyPrefix?: string;
  /** Limits of any model without its own entry in `models`. */
  defaults?: ModelLimits;
  /** Per-model overrides by model key (e.g. `openai:gpt-4o-mini`), merged over `defaults`. */
  models?: Record<string, ModelLimits>;
  windowSeconds?: number;
  leaseTtlMs?: number;
  pollIntervalMs?: number;
  maxThrottleMs?: number;
  connectTimeoutMs?: number;
}

/** One permission to call a model. Release it when the call ends, whatever happened. */
export interface Lease {
  readonly modelKey: string;
  readonly estimatedTokens: number;
  /**
   * Frees the in-flight slot. With `actualTokens` the token budget is corrected by the difference,
   * if the window the estimate was charged to is still open (charging a later window would be wrong).
   * Idempotent.
   */
  release(actualTokens?: number): Promise<void>;
}

const MAX_MODEL_KEY_LENGTH = 200;

/**
 * Takes a slot if fewer than ARGV[1] unexpired leases are held. Redis' own clock scores the leases, so
 * machines with skewed clocks agree on when a lease expires. Returns {1, 0} when taken, else {0, ms
 * until the earliest lease expires}.
 */
const ACQUIRE_SLOT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
  if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
  return {1, 0}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(first[2]) - now}
`;

/** Pushes a live lease's expiry forward; a lease already expired stays expired (its slot may be reused). */
const RENEW_SLOT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= now then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`;

/** Sets the throttle for ARGV[1] ms unless a longer one is already set: a shorter retry-after never cuts a pause short. */
const THROTTLE_LUA = `
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], ms, 'PX', ms) end
return 1
`;

type LimitsClient = Redis & {
  providerLimitsAcquire(key: string, cap: number, leaseId: string, ttlMs: number): Promise<[number, number]>;
  providerLimitsRenew(key: string, leaseId: string, ttlMs: number): Promise<number>;
  providerLimitsThrottle(key: string, ms: number): Promise<number>;
};

interface ResolvedLimits {
  requestsPerWindow?: number;
  tokensPerWindow?: number;
  maxInFlight?: number;
}

/**
 * Provider budgets shared by every process on one Redis: requests and tokens per minute (fixed windows
 * counted by rate-limiter-flexible's RateLimiterRedis), a cap on calls in flight (a sorted set of
 * expiring leases, renewed while held), and a pause set by any process that got a 429.
 */
export class ProviderLimits {
  readonly description: string;
  readonly keyPrefix: string;
  readonly client: Redis;
  private readonly connection: RedisConnection;
  private readonly defaults: ModelLimits;
  private readonly models: Record<string, ModelLimits>;
  private readonly windowSeconds: number;
  private readonly leaseTtlMs: number;
  private readonly pollIntervalMs: number;
  private readonly maxThrottleMs: number;
  private readonly requestLimiters = new Map<string, RateLimiterRedis>();
  private readonly tokenLimiters = new Map<string, RateLimiterRedis>();
  private readonly heartbeats = new Set<NodeJS.Timeout>();
  /** Waiters woken early when a lease of this process is released (others' releases are polled). */
  private readonly localWaiters = new Set<() => void>();
  private closed = false;

  constructor(options: ProviderLimitsOptions) {
    if ((options.url === undefined) === (options.client === undefined)) {
      throw new ProviderLimitsError("invalid_options", "ProviderLimits needs exactly one of `url` and `client`");
    }
    this.keyPrefix = options.keyPrefix ?? PROVIDER_LIMITS_DEFAULTS.keyPrefix;
    this.windowSeconds = positiveInteger("windowSeconds", options.windowSeconds ?? PROVIDER_LIMITS_DEFAULTS.windowSeconds);
    this.leaseTtlMs = positiveInteger("leaseTtlMs", options.leaseTtlMs ?? PROVIDER_LIMITS_DEFAULTS.leaseTtlMs);
    this.pollIntervalMs = positiveInteger("pollIntervalMs", options.pollIntervalMs ?? PROVIDER_LIMITS_DEFAULTS.pollIntervalMs);
    this.maxThrottleMs = positiveInteger("maxThrottleMs", options.maxThrottleMs ?? PROVIDER_LIMITS_DEFAULTS.maxThrottleMs);
    const connectTimeoutMs = positiveInteger("connectTimeoutMs", options.connectTimeoutMs ?? PROVIDER_LIMITS_DEFAULTS.connectTimeoutMs);
    this.defaults = checkLimits("defaults", options.defaults ?? {});
    this.models = {};
    for (const [modelKey, limits] of Object.entries(options.models ?? {})) {
      checkModelKey(modelKey, `models key`);
      this.models[modelKey] = checkLimits(`models["${modelKey}"]`, limits);
    }
    // Budgets too small to survive scaling to a short window would silently mean "nothing passes".
    for (const [where, limits] of [["defaults", this.defaults], ...Object.entries(this.models).map(([key, value]) => [`models["${key}"]`, value] as const)] as const) {
      this.scaled(where, limits);
    }

    if (options.url !== undefined) {
      try {
        parseRedisUrl(options.url);
      } catch (error) {
        throw new ProviderLimitsError("invalid_options", `ProviderLimits url: ${(error as Error).message}`, { cause: error });
      }
    }
    this.connection = new RedisConnection(options.url !== undefined ? { url: options.url, connectTimeoutMs } : { client: options.client! });
    this.client = this.connection.client;
    this.description = `provider limits on redis ${this.connection.label}${this.keyPrefix ? ` (prefix ${this.keyPrefix})` : ""}`;
    this.client.defineCommand("providerLimitsAcquire", { numberOfKeys: 1, lua: ACQUIRE_SLOT_LUA });
    this.client.defineCommand("providerLimitsRenew", { numberOfKeys: 1, lua: RENEW_SLOT_LUA });
    this.client.defineCommand("providerLimitsThrottle", { numberOfKeys: 1, lua: THROTTLE_LUA });
  }

  /** Connects (if this instance owns the client) and pings, so a wrong URL fails at start-up. */
  async connect(): Promise<void> {
    await this.run("connect", () => this.connection.connect());
  }

  /** The limits that apply to a model: its own entry over the defaults. */
  limitsFor(modelKey: string): ModelLimits {
    return { ...this.defaults, ...this.models[modelKey] };
  }

  /** Redis keys used for a model (for tests and operators; none holds a secret). */
  keysFor(modelKey: string): { inFlight: string; throttle: string; requests: string; tokens: string } {
    const base = `${this.keyPrefix}limits:${modelKey}`;
    return { inFlight: `${base}:inflight`, throttle: `${base}:throttle`, requests: `${this.keyPrefix}limits:rpm:${modelKey}`, tokens: `${this.keyPrefix}limits:tpm:${modelKey}` };
  }

  /**
   * Waits until a 429 pause (set by any process) is over, an in-flight slot is free and the request
   * and token budgets of the current window allow this call, then takes all three. When `signal`
   * aborts, rejects with its reason and holds nothing.
   */
  async acquire(modelKey: string, estimatedTokens: number, signal?: AbortSignal): Promise<Lease> {
    this.checkOpen();
    checkModelKey(modelKey, "modelKey");
    if (!Number.isFinite(estimatedTokens) || estimatedTokens < 0) {
      throw new ProviderLimitsError("invalid_argument", `estimatedTokens for ${modelKey} must be a finite number >= 0, got ${String(estimatedTokens)}`);
    }
    const tokens = Math.ceil(estimatedTokens);
    const limits = this.scaled(`limits of ${modelKey}`, this.limitsFor(modelKey));
    if (limits.tokensPerWindow !== undefined && tokens > limits.tokensPerWindow) {
      throw new ProviderLimitsError(
        "request_too_large",
        `a call to ${modelKey} estimated at ${tokens} tokens can never fit its budget of ${limits.tokensPerWindow} tokens per ${this.windowSeconds} s`,
      );
    }
    const keys = this.keysFor(modelKey);

    for (;;) {
      this.checkOpen();
      signal?.throwIfAborted();
      const pausedMs = await this.run(`throttle check ${modelKey}`, () => this.client.pttl(keys.throttle));
      if (pausedMs > 0) {
        await this.wait(pausedMs, signal);
        continue;
      }

      const leaseId = limits.maxInFlight === undefined ? undefined : randomUUID();
      if (leaseId !== undefined) {
        const [taken, msUntilExpiry] = await this.run(`acquire slot ${modelKey}`, () =>
          (this.client as LimitsClient).providerLimitsAcquire(keys.inFlight, limits.maxInFlight!, leaseId, this.leaseTtlMs),
        );
        if (taken !== 1) {
          await this.wait(Math.max(1, Math.min(this.pollIntervalMs, Number(msUntilExpiry))), signal, true);
          continue;
        }
      }
      const giveBackSlot = async () => {
        if (leaseId !== undefined) await this.run(`release slot ${modelKey}`, () => this.client.zrem(keys.inFlight, leaseId));
      };

      try {
        signal?.throwIfAborted();
        let waitMs = 0;
        let tokenWindowEndsAt: number | undefined;
        const requests = limits.requestsPerWindow === undefined ? undefined : this.limiter(this.requestLimiters, "rpm", modelKey, limits.requestsPerWindow);
        const requestResult = requests ? await this.consume(requests, modelKey, 1) : undefined;
        if (requestResult && !requestResult.ok) waitMs = requestResult.msBeforeNext;
        if (waitMs === 0 && tokens > 0 && limits.tokensPerWindow !== undefined) {
          const tokenLimiter = this.limiter(this.tokenLimiters, "tpm", modelKey, limits.tokensPerWindow);
          const tokenResult = await this.consume(tokenLimiter, modelKey, tokens);
          if (!tokenResult.ok) {
            waitMs = tokenResult.msBeforeNext;
            // The request was counted but will not be made in this window.
            if (requests) await this.refund(requests, modelKey, 1, requestResult!.msBeforeNext);
          } else {
            tokenWindowEndsAt = Date.now() + tokenResult.msBeforeNext;
          }
        }
        if (waitMs > 0) {
          await giveBackSlot();
          await this.wait(waitMs + Math.floor(Math.random() * this.pollIntervalMs), signal);
          continue;
        }
        if (signal?.aborted) {
          // Aborted while the last Redis call ran: hand everything back.
          if (requests && requestResult) await this.refund(requests, modelKey, 1, requestResult.msBeforeNext);
          if (tokenWindowEndsAt !== undefined) await this.refund(this.tokenLimiters.get(modelKey)!, modelKey, tokens, tokenWindowEndsAt - Date.now());
          signal.throwIfAborted();
        }
        return this.lease(modelKey, tokens, leaseId, tokenWindowEndsAt);
      } catch (error) {
        await giveBackSlot().catch(() => {});
        throw error;
      }
    }
  }

  /**
   * A provider answered 429: every process sharing this Redis waits `retryAfterMs` (capped at
   * `maxThrottleMs`) before its next acquire for this model. A longer pause already set is kept.
   */
  async reportThrottled(modelKey: string, retryAfterMs: number): Promise<void> {
    this.checkOpen();
    checkModelKey(modelKey, "modelKey");
    if (!Number.isFinite(retryAfterMs) || retryAfterMs <= 0) {
      throw new ProviderLimitsError("invalid_argument", `retryAfterMs for ${modelKey} must be a finite number > 0, got ${String(retryAfterMs)}`);
    }
    const ms = Math.min(Math.ceil(retryAfterMs), this.maxThrottleMs);
    await this.run(`report throttle ${modelKey}`, () => (this.client as LimitsClient).providerLimitsThrottle(this.keysFor(modelKey).throttle, ms));
  }

  /** Calls of a model in flight right now across all processes (expired leases not counted). */
  async inFlight(modelKey: string): Promise<number> {
    const time = await this.run("time", () => this.client.time());
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    return this.run(`count slots ${modelKey}`, () => this.client.zcount(this.keysFor(modelKey).inFlight, `(${now}`, "+inf"));
  }

  /**
   * Stops renewing this process's leases (they expire after `leaseTtlMs` if not released) and closes
   * the client if this instance owns it.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.heartbeats) clearInterval(timer);
    this.heartbeats.clear();
    for (const wake of this.localWaiters) wake();
    await this.connection.close();
  }

  private lease(modelKey: string, tokens: number, leaseId: string | undefined, tokenWindowEndsAt: number | undefined): Lease {
    const keys = this.keysFor(modelKey);
    let heartbeat: NodeJS.Timeout | undefined;
    if (leaseId !== undefined) {
      // Renewed while held so a long call keeps its slot; a crashed process stops renewing and its slot frees itself.
      heartbeat = setInterval(
        () => {
          (this.client as LimitsClient).providerLimitsRenew(keys.inFlight, leaseId, this.leaseTtlMs).then(
            (renewed) => {
              if (renewed !== 1 && heartbeat) this.stopHeartbeat(heartbeat);
            },
            () => {},
          );
        },
        Math.max(1, Math.floor(this.leaseTtlMs / 3)),
      );
      heartbeat.unref();
      this.heartbeats.add(heartbeat);
    }
    let released = false;
    return {
      modelKey,
      estimatedTokens: tokens,
      release: async (actualTokens?: number) => {
        if (released) return;
        released = true;
        if (heartbeat) this.stopHeartbeat(heartbeat);
        try {
          if (leaseId !== undefined) await this.run(`release slot ${modelKey}`, () => this.client.zrem(keys.inFlight, leaseId));
          if (actualTokens !== undefined && Number.isFinite(actualTokens) && actualTokens >= 0 && tokenWindowEndsAt !== undefined) {
            const difference = Math.ceil(actualTokens) - tokens;
            const limiter = this.tokenLimiters.get(modelKey);
            const remainingMs = tokenWindowEndsAt - Date.now();
            if (limiter && difference > 0 && remainingMs > this.pollIntervalMs) await this.run(`charge tokens ${modelKey}`, () => limiter.penalty(modelKey, difference));
            if (limiter && difference < 0) await this.refund(limiter, modelKey, -difference, remainingMs);
          }
        } finally {
          for (const wake of this.localWaiters) wake();
        }
      },
    };
  }

  private stopHeartbeat(timer: NodeJS.Timeout): void {
    clearInterval(timer);
    this.heartbeats.delete(timer);
  }

  private limiter(cache: Map<string, RateLimiterRedis>, kind: "rpm" | "tpm", modelKey: string, points: number): RateLimiterRedis {
    let limiter = cache.get(modelKey);
    if (!limiter) {
      limiter = new RateLimiterRedis({ storeClient: this.client, keyPrefix: `${this.keyPrefix}limits:${kind}`, points, duration: this.windowSeconds });
      cache.set(modelKey, limiter);
    }
    return limiter;
  }

  /** `consume` rejects with a RateLimiterRes when over budget and with an Error when Redis fails: tell them apart. */
  private async consume(limiter: RateLimiterRedis, modelKey: string, points: number): Promise<{ ok: boolean; msBeforeNext: number }> {
    try {
      const result = await limiter.consume(modelKey, points);
      return { ok: true, msBeforeNext: result.msBeforeNext };
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        // A refused consume was still counted; give it back so it does not starve smaller calls in this window.
        await this.refund(limiter, modelKey, points, error.msBeforeNext);
        return { ok: false, msBeforeNext: Math.max(1, error.msBeforeNext) };
      }
      throw this.wrap(`count ${modelKey}`, error);
    }
  }

  /**
   * Gives points back only while their window is clearly still open: a reward landing in a fresh window
   * would create a negative count, i.e. extra budget nobody paid for.
   */
  private async refund(limiter: RateLimiterRedis, modelKey: string, points: number, windowRemainingMs: number): Promise<void> {
    if (windowRemainingMs <= this.pollIntervalMs) return;
    await this.run(`refund ${modelKey}`, () => limiter.reward(modelKey, points));
  }

  private scaled(where: string, limits: ModelLimits): ResolvedLimits {
    const perWindow = (name: string, perMinute: number | undefined) => {
      if (perMinute === undefined) return undefined;
      const budget = Math.floor((perMinute * this.windowSeconds) / 60);
      if (budget < 1) {
        throw new ProviderLimitsError("invalid_options", `${where}.${name} = ${perMinute} allows less than one per ${this.windowSeconds} s window`);
      }
      return budget;
    };
    return {
      requestsPerWindow: perWindow("requestsPerMinute", limits.requestsPerMinute),
      tokensPerWindow: perWindow("tokensPerMinute", limits.tokensPerMinute),
      maxInFlight: limits.maxInFlight,
    };
  }

  /** Sleeps `ms`, woken early by a local release when `wakeOnRelease`; rejects with the signal's reason on abort. */
  private wait(ms: number, signal: AbortSignal | undefined, wakeOnRelease = false): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.localWaiters.delete(done);
        resolve();
      };
      const onAbort = () => {
        clearTimeout(timer);
        this.localWaiters.delete(done);
        reject(signal!.reason as Error);
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (wakeOnRelease) this.localWaiters.add(done);
    });
  }

  private checkOpen(): void {
    if (this.closed) throw new ProviderLimitsError("closed", `${this.description} is closed`);
  }

  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw this.wrap(what, error);
    }
  }

  private wrap(what: string, error: unknown): ProviderLimitsError {
    if (error instanceof ProviderLimitsError) return error;
    return new ProviderLimitsError("unavailable", `Redis at ${this.connection.endpoint} failed (provider limits, ${what}): ${this.connection.failureReason(error)}`, { cause: error });
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new ProviderLimitsError("invalid_options", `ProviderLimits ${name} must be a whole number >= 1, got ${String(value)}`);
  return value;
}

function checkLimits(where: string, limits: ModelLimits): ModelLimits {
  if (typeof limits !== "object" || limits === null) throw new ProviderLimitsError("invalid_options", `${where} must be an object of limits`);
  const known = new Set(["requestsPerMinute", "tokensPerMinute", "maxInFlight"]);
  for (const [name, value] of Object.entries(limits)) {
    if (!known.has(name)) throw new ProviderLimitsError("invalid_options", `${where}.${name} is not a limit (expected requestsPerMinute, tokensPerMinute or maxInFlight)`);
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
      throw new ProviderLimitsError("invalid_options", `${where}.${name} must be a whole number >= 1 (omit it for no limit), got ${String(value)}`);
    }
  }
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined)) as ModelLimits;
}

function checkModelKey(modelKey: string, what: string): void {
  if (typeof modelKey !== "string" || modelKey.trim() === "" || modelKey.length > MAX_MODEL_KEY_LENGTH) {
    throw new ProviderLimitsError("invalid_argument", `${what} must be a non-empty string of at most ${MAX_MODEL_KEY_LENGTH} characters, got ${JSON.stringify(modelKey)}`);
  }
}
