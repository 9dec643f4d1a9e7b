import { readConfig, type AppConfig } from "../config/env.ts";
import { SessionSummariesError } from "../domain/errors.ts";
import { openQueueConnection, type QueueConnection } from "../queue/connection.ts";
import { DEFAULT_QUEUE_PREFIX } from "../queue/names.ts";
import { queueStatus, type QueueStatus } from "../queue/status.ts";
import { formatTable } from "./output.ts";

export interface QueuesStatusOptions {
  config?: AppConfig;
  json?: boolean;
  /** The deployment's queue prefix (default `session-summaries-queue`). */
  prefix?: string;
  /** How many recent failures to list per queue. */
  failures?: number;
  /** Results (stdout). */
  out?: (line: string) => void;
  /** Errors (stderr). */
  err?: (line: string) => void;
  /** How long reaching Redis may take before the command gives up. */
  connectTimeoutMs?: number;
}

/**
 * `queues status`: job counts of each queue and its latest failures, as a table or JSON. Exit 0;
 * 2 when SESSION_SUMMARIES_QUEUE is not set or its Redis cannot be reached (or answers with an error).
 */
export async function runQueuesStatus(options: QueuesStatusOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => void process.stderr.write(`${line}\n`));
  let connection: QueueConnection | undefined;
  try {
    const config = options.config ?? readConfig();
    if (!config.queue) {
      err("error: no queue configured: set SESSION_SUMMARIES_QUEUE=redis://host:6379 (the Redis the workers use); without it everything runs in process and there are no queues");
      return 2;
    }
    const prefix = options.prefix ?? config.queue.prefix ?? DEFAULT_QUEUE_PREFIX;
    connection = await openQueueConnection(config.queue.url, { role: "producer", ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}) });
    const statuses = await queueStatus(connection, prefix, options.failures !== undefined ? { failuresShown: options.failures } : {});
    if (options.json) out(JSON.stringify({ redis: connection.maskedUrl, prefix, queues: statuses }));
    else out(formatStatus(connection.maskedUrl, prefix, statuses));
    return 0;
  } catch (error) {
    if (error instanceof SessionSummariesError) {
      err(`error: ${error.message}`);
      return 2;
    }
    // A Redis that answered with an error (e.g. NOAUTH, WRONGTYPE under the prefix): the URL is already masked by ioredis' message.
    err(`error: reading the queues failed: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    await connection?.close();
  }
}

function formatStatus(redis: string, prefix: string, statuses: QueueStatus[]): string {
  const lines = [
    `Queues on ${redis} (prefix ${prefix})`,
    "",
    formatTable(
      ["queue", "waiting", "active", "delayed", "completed", "failed"],
      statuses.map((status) => [status.queue, status.waiting, status.active, status.delayed, status.completed, status.failed]),
    ),
  ];
  for (const status of statuses) {
    if (status.recentFailures.length === 0) continue;
    lines.push("", `Latest failures in ${status.queue}:`);
    lines.push(
      formatTable(
        ["job", "attempts", "failed at", "reason"],
        status.recentFailures.map((failure) => [failure.id, failure.attempts, failure.failedAt ?? "-", failure.reason]),
      ),
    );
  }
  return lines.join("\n");
}
