import { Redis } from "ioredis";
import { BaseBlobStore, toBuffer, type BlobStoreOptions, type PutOptions } from "./blob-store.ts";
import { StoreError, describeEndpoint, maskUrlPassword, messageOf, parseServiceUrl } from "./errors.ts";
import { gunzipBytes, gzipBytes } from "./gzip.ts";

export const DEFAULT_REDIS_PORT = 6379;

export interface RedisBlobStoreOptions extends BlobStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. Exactly one of `url` and `client`. */
  url?: string;
  /** A client owned by the caller: `close()` leaves it open. */
  client?: Redis;
  /** Prepended to every key, e.g. `session-summaries:`; separates products and test runs sharing one Redis. */
  prefix?: string;
  /** How long connecting may take before it fails. */
  connectTimeoutMs?: number;
}

/**
 * Values are gzipped (JSON shrinks 5-20x) and read back with `getBuffer`; TTLs use `SET … EX`.
 * Commands fail after a couple of reconnect attempts rather than queueing forever, so a Redis outage
 * surfaces as `StoreError("unavailable")` naming the host, never the password.
 */
export class RedisBlobStore extends BaseBlobStore {
  readonly description: string;
  readonly prefix: string;
  readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly endpoint: string;
  private readonly secret: string | undefined;
  private lastConnectionError: unknown;

  constructor(options: RedisBlobStoreOptions) {
    super(options);
    if ((options.url === undefined) === (options.client === undefined)) {
      throw new StoreError("invalid_config", "RedisBlobStore needs exactly one of `url` and `client`");
    }
    this.prefix = options.prefix ?? "";
    if (options.url !== undefined) {
      const url = parseRedisUrl(options.url);
      this.secret = url.password ? decodeURIComponent(url.password) : undefined;
      this.endpoint = describeEndpoint(options.url, DEFAULT_REDIS_PORT);
      this.client = new Redis(options.url, {
        lazyConnect: true,
        connectTimeout: options.connectTimeoutMs ?? 5_000,
        maxRetriesPerRequest: 2,
        retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      });
      this.ownsClient = true;
      this.description = `redis ${maskUrlPassword(options.url)}${this.prefix ? ` (prefix ${this.prefix})` : ""}`;
    } else {
      this.client = options.client!;
      this.ownsClient = false;
      this.endpoint = `${this.client.options.host ?? "localhost"}:${this.client.options.port ?? DEFAULT_REDIS_PORT}`;
      this.description = `redis ${this.endpoint}${this.prefix ? ` (prefix ${this.prefix})` : ""}`;
    }
    // Without a listener ioredis prints every reconnect failure; keep the last one for error messages.
    this.client.on("error", (error: unknown) => {
      this.lastConnectionError = error;
    });
    this.client.on("ready", () => {
      this.lastConnectionError = undefined;
    });
  }

  /** Connects (if this store owns the client) and pings; `createBlobStore` calls this at start-up. */
  async connect(): Promise<void> {
    await this.run("connect", async () => {
      if (this.client.status === "wait") await this.client.connect();
      await this.client.ping();
    });
  }

  /** The Redis key a blob key is stored under. */
  redisKey(key: string): string {
    return this.prefix + this.check(key);
  }

  async put(key: string, value: Buffer | string, options?: PutOptions): Promise<void> {
    const redisKey = this.redisKey(key);
    const ttlSeconds = this.ttlFor(options);
    const compressed = await gzipBytes(toBuffer(value));
    await this.run(`put ${key}`, () => (ttlSeconds === undefined ? this.client.set(redisKey, compressed) : this.client.set(redisKey, compressed, "EX", ttlSeconds)));
  }

  async get(key: string): Promise<Buffer | undefined> {
    const redisKey = this.redisKey(key);
    const stored = await this.run(`get ${key}`, () => this.client.getBuffer(redisKey));
    return stored === null ? undefined : gunzipBytes(stored, `redis key ${redisKey}`);
  }

  async has(key: string): Promise<boolean> {
    const redisKey = this.redisKey(key);
    return (await this.run(`has ${key}`, () => this.client.exists(redisKey))) > 0;
  }

  async delete(key: string): Promise<boolean> {
    const redisKey = this.redisKey(key);
    return (await this.run(`delete ${key}`, () => this.client.del(redisKey))) > 0;
  }

  /**
   * Deletes every key under this store's prefix with SCAN (never KEYS): for tests and maintenance,
   * not the hot path. Refuses an empty prefix, which would wipe the whole database.
   */
  async clear(): Promise<number> {
    if (!this.prefix) throw new StoreError("invalid_config", "refusing to clear a Redis blob store without a prefix");
    let deleted = 0;
    let cursor = "0";
    const pattern = `${this.prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    do {
      const [next, keys] = await this.run("clear", () => this.client.scan(cursor, "MATCH", pattern, "COUNT", 500));
      cursor = next;
      if (keys.length > 0) deleted += await this.run("clear", () => this.client.unlink(...keys));
    } while (cursor !== "0");
    return deleted;
  }

  protected async closeResources(): Promise<void> {
    if (!this.ownsClient) return;
    if (this.client.status === "wait" || this.client.status === "end") {
      this.client.disconnect();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      // A refused connection surfaces as "Connection is closed"; the error event says why.
      const connected = this.client.status === "ready";
      const reason = messageOf((connected ? undefined : this.lastConnectionError) ?? error, this.secret);
      throw new StoreError(connected ? "backend_error" : "unavailable", `Redis at ${this.endpoint} failed (${what}): ${reason}`, {
        cause: error,
      });
    }
  }
}

export function parseRedisUrl(url: string): URL {
  return parseServiceUrl(url, "Redis", ["redis:", "rediss:"]);
}
