import { Redis } from "ioredis";
import { maskUrlPassword, messageOf, parseServiceUrl, StoreError } from "../store/errors.ts";
import { QueueError } from "./errors.ts";

/**
 * `producer`: API servers and the CLI add jobs and read counts; a command fails after a few
 * reconnect attempts so a request never hangs on a dead Redis.
 * `worker`: workers and `QueueEvents` block on Redis; BullMQ requires `maxRetriesPerRequest: null`
 * there, and they keep reconnecting for as long as it takes (a Redis restart mid-run).
 */
export type QueueConnectionRole = "producer" | "worker";

export interface QueueConnectionOptions {
  role?: QueueConnectionRole;
  /** How long the first connection may take before `openQueueConnection` fails. */
  connectTimeoutMs?: number;
  /** Commands a producer retries over reconnects before failing. */
  producerRetriesPerRequest?: number;
  /** Shown in `CLIENT LIST`, e.g. `worker-3`. */
  connectionName?: string;
}

export const QUEUE_CONNECTION_DEFAULTS = {
  connectTimeoutMs: 5_000,
  producerRetriesPerRequest: 3,
  /** Reconnect back-off: attempt × this, capped at `reconnectMaxMs`. */
  reconnectStepMs: 200,
  reconnectMaxMs: 2_000,
} as const;

/** An open ioredis client for BullMQ, with the URL masked for messages. Pass `client` as BullMQ's `connection`. */
export interface QueueConnection {
  readonly client: Redis;
  readonly role: QueueConnectionRole;
  /** `redis://user:***@host:port/db`: safe to print. */
  readonly maskedUrl: string;
  /** The last connection error ioredis reported, for messages (it reconnects in the background). */
  lastError(): unknown;
  close(): Promise<void>;
}

/**
 * Opens and pings a Redis connection for queues. An unusable URL is `QueueError("invalid_config")`, a
 * Redis that does not answer is `QueueError("unavailable")`; both name the URL with its password masked.
 */
export async function openQueueConnection(url: string, options: QueueConnectionOptions = {}): Promise<QueueConnection> {
  const role = options.role ?? "producer";
  const maskedUrl = maskUrlPassword(url);
  let parsed: URL;
  try {
    parsed = parseServiceUrl(url, "Redis", ["redis:", "rediss:"]);
  } catch (error) {
    throw new QueueError("invalid_config", `SESSION_SUMMARIES_QUEUE: ${error instanceof StoreError ? error.message : messageOf(error)}`, { cause: error });
  }
  const secret = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? QUEUE_CONNECTION_DEFAULTS.connectTimeoutMs,
    maxRetriesPerRequest: role === "worker" ? null : (options.producerRetriesPerRequest ?? QUEUE_CONNECTION_DEFAULTS.producerRetriesPerRequest),
    retryStrategy: (attempt) => Math.min(attempt * QUEUE_CONNECTION_DEFAULTS.reconnectStepMs, QUEUE_CONNECTION_DEFAULTS.reconnectMaxMs),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  });
  let lastError: unknown;
  // Without a listener ioredis prints every reconnect failure; keep the last for messages.
  client.on("error", (error: unknown) => {
    lastError = error;
  });
  client.on("ready", () => {
    lastError = undefined;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    const reason = messageOf(lastError ?? error, secret);
    throw new QueueError("unavailable", `the queue's Redis at ${maskedUrl} is unreachable: ${reason}`, { cause: error });
  }
  return {
    client,
    role,
    maskedUrl,
    lastError: () => lastError,
    close: async () => {
      if (client.status === "end") return;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
