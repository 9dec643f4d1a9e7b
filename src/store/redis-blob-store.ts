import type { Redis } from "ioredis";
import { BaseBlobStore, toBuffer, type BlobStoreOptions, type PutOptions } from "./blob-store.ts";
import { StoreError } from "./errors.ts";
import { DEFAULT_REDIS_PORT, parseRedisUrl, RedisConnection } from "./redis-connection.ts";
import { gunzipBytes, gzipBytes } from "./gzip.ts";

export { DEFAULT_REDIS_PORT, parseRedisUrl };

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
  private readonly connection: RedisConnection;

  constructor(options: RedisBlobStoreOptions) {
    super(options);
    if ((options.url === undefined) === (options.client === undefined)) {
      throw new StoreError("invalid_config", "RedisBlobStore needs exactly one of `url` and `client`");
    }
    this.prefix = options.prefix ?? "";
    if (options.url !== undefined) parseRedisUrl(options.url);
    this.connection = new RedisConnection(options.url !== undefined ? { url: options.url, connectTimeoutMs: options.connectTimeoutMs ?? 5_000 } : { client: options.client! });
    this.client = this.connection.client;
    this.description = `redis ${this.connection.label}${this.prefix ? ` (prefix ${this.prefix})` : ""}`;
  }

  /** Connects (if this store owns the client) and pings; `createBlobStore` calls this at start-up. */
  async connect(): Promise<void> {
    await this.run("connect", () => this.connection.connect());
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
    await this.connection.close();
  }

  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      const connected = this.connection.connected;
      throw new StoreError(connected ? "backend_error" : "unavailable", `Redis at ${this.connection.endpoint} failed (${what}): ${this.connection.failureReason(error)}`, {
        cause: error,
      });
    }
  }
}
