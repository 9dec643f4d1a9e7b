import { Redis } from "ioredis";
import { describeEndpoint, maskUrlPassword, messageOf, parseServiceUrl } from "./errors.ts";

export const DEFAULT_REDIS_PORT = 6379;

/**
 * One Redis client as our stores use it: from a URL (owned: connected lazily, closed by `close`) or
 * given by the caller (left open). Commands fail after a couple of reconnect attempts rather than
 * queueing forever; `failureReason` says why, naming the host and never the password.
 */
export class RedisConnection {
  readonly client: Redis;
  readonly ownsClient: boolean;
  /** `host:port`, for error messages. */
  readonly endpoint: string;
  /** The URL with its password masked, or the endpoint of a given client: for descriptions. */
  readonly label: string;
  private readonly secret: string | undefined;
  private lastConnectionError: unknown;

  /** `url` is checked by the caller (`parseRedisUrl`), which names the setting it came from. */
  constructor(source: { url: string; connectTimeoutMs: number } | { client: Redis }) {
    if ("url" in source) {
      const url = new URL(source.url);
      this.secret = url.password ? decodeURIComponent(url.password) : undefined;
      this.endpoint = describeEndpoint(source.url, DEFAULT_REDIS_PORT);
      this.label = maskUrlPassword(source.url);
      this.client = new Redis(source.url, { lazyConnect: true, connectTimeout: source.connectTimeoutMs, maxRetriesPerRequest: 2, retryStrategy: (attempt) => Math.min(attempt * 200, 2_000) });
      this.ownsClient = true;
    } else {
      this.client = source.client;
      this.ownsClient = false;
      this.endpoint = `${this.client.options.host ?? "localhost"}:${this.client.options.port ?? DEFAULT_REDIS_PORT}`;
      this.label = this.endpoint;
    }
    // Without a listener ioredis prints every reconnect failure; keep the last one for error messages.
    this.client.on("error", (error: unknown) => {
      this.lastConnectionError = error;
    });
    this.client.on("ready", () => {
      this.lastConnectionError = undefined;
    });
  }

  get connected(): boolean {
    return this.client.status === "ready";
  }

  /** Connects an owned client and pings, so a wrong URL fails at start-up. */
  async connect(): Promise<void> {
    if (this.client.status === "wait") await this.client.connect();
    await this.client.ping();
  }

  /** Why a command failed: a refused connection surfaces as "Connection is closed", the error event says why. */
  failureReason(error: unknown): string {
    return messageOf((this.connected ? undefined : this.lastConnectionError) ?? error, this.secret);
  }

  /** Quits an owned client (a caller's client stays open). */
  async close(): Promise<void> {
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
}

/** A `redis://` or `rediss://` URL, or a `StoreError` saying what is wrong with it. */
export function parseRedisUrl(url: string): URL {
  return parseServiceUrl(url, "Redis", ["redis:", "rediss:"]);
}
