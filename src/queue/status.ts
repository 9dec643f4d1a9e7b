import { Queue } from "bullmq";
import type { QueueConnection } from "./connection.ts";
import { cutReason, QUEUE_JOB_DEFAULTS } from "./jobs.ts";
import { checkQueuePrefix, QUEUE_NAMES, type QueueName } from "./names.ts";

export interface FailedJobSummary {
  id: string;
  name: string;
  /** Why it failed, on one line and cut: never the job's data. */
  reason: string;
  attempts: number;
  failedAt?: string;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

export interface QueueStatus extends QueueCounts {
  queue: QueueName;
  /** The most recent failures, newest first. */
  recentFailures: FailedJobSummary[];
}

export interface QueueStatusOptions {
  queues?: readonly QueueName[];
  /** How many of the latest failed jobs to show per queue. */
  failuresShown?: number;
  maxReasonChars?: number;
}

export const QUEUE_STATUS_DEFAULTS = { failuresShown: 5 } as const;

/** Job counts and the latest failures of each queue under `prefix`. Reads only. */
export async function queueStatus(connection: QueueConnection, prefix: string, options: QueueStatusOptions = {}): Promise<QueueStatus[]> {
  checkQueuePrefix(prefix);
  const shown = options.failuresShown ?? QUEUE_STATUS_DEFAULTS.failuresShown;
  const maxReasonChars = options.maxReasonChars ?? QUEUE_JOB_DEFAULTS.maxReasonChars;
  return Promise.all(
    (options.queues ?? QUEUE_NAMES).map(async (name) => {
      // A status reader must not write the queue's metadata (a read-only replica, or a typo'd prefix).
      const queue = new Queue(name, { connection: connection.client, prefix, skipMetasUpdate: true });
      queue.on("error", () => {});
      try {
        // "waiting" in BullMQ's sense excludes prioritized jobs; both wait for a worker.
        const counts = await queue.getJobCounts("waiting", "prioritized", "active", "delayed", "completed", "failed");
        const failed = shown > 0 ? await queue.getFailed(0, shown - 1) : [];
        return {
          queue: name,
          waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          completed: counts.completed ?? 0,
          failed: counts.failed ?? 0,
          recentFailures: failed
            .filter((job) => job !== undefined && job.id !== undefined)
            .map((job) => ({
              id: job.id!,
              name: job.name,
              reason: cutReason(job.failedReason ?? "no reason given", maxReasonChars),
              attempts: job.attemptsMade,
              ...(job.finishedOn ? { failedAt: new Date(job.finishedOn).toISOString() } : {}),
            })),
        };
      } finally {
        await queue.close();
      }
    }),
  );
}

/**
 * Deletes every key under a queue prefix with SCAN (never KEYS): for tests and for retiring a
 * deployment, not for the hot path. Returns how many keys went.
 */
export async function deleteQueueKeys(connection: QueueConnection, prefix: string): Promise<number> {
  checkQueuePrefix(prefix);
  const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}:*`;
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await connection.client.scan(cursor, "MATCH", pattern, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) deleted += await connection.client.unlink(...keys);
  } while (cursor !== "0");
  return deleted;
}
