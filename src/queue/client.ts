import type { Job, Queue, QueueEvents } from "bullmq";
import { openQueueConnection, type QueueConnection } from "./connection.ts";
import { createQueue, createQueueEvents, enqueueOnce, waitForJob, type JobRetryOptions } from "./jobs.ts";
import { checkQueuePrefix, type QueueName } from "./names.ts";

export interface QueueClientOptions {
  prefix: string;
  /** Shown in `CLIENT LIST`. */
  connectionName?: string;
  /** Attempts and back-off of the jobs this client adds (tests: fewer, faster). */
  jobs?: JobRetryOptions;
}

export interface RunJobOptions {
  signal?: AbortSignal;
  onProgress?: (progress: unknown) => void;
  /** An existing failed job with this id is retried (a resumed run gives a failed session another chance). */
  retryFailed?: boolean;
}

/**
 * What a producer (the report graph, a session job that needs clips) uses to hand work to workers
 * and wait for it. It blocks on Redis like a worker (`maxRetriesPerRequest: null`): a run waiting for
 * its jobs rides out a Redis restart instead of failing, and stops only when its signal aborts.
 */
export interface QueueClient {
  readonly prefix: string;
  readonly maskedUrl: string;
  queue<Data, Result>(name: QueueName): Queue<Data, Result>;
  /**
   * Adds the job under `jobId` unless it exists (then waits for that one) and resolves with its result;
   * rejects with `QueueError("job_failed")` once it has failed after all its attempts.
   */
  runJob<Data, Result>(name: QueueName, jobName: string, data: Data, jobId: string, options?: RunJobOptions): Promise<{ result: Result; added: boolean }>;
  /** Worker processes listening on the queue now (BullMQ names their connections): 0 means jobs wait until one starts. */
  workerCount(name: QueueName): Promise<number>;
  close(): Promise<void>;
}

/** Opens a producer client on the queue's Redis (pinged first: an unreachable Redis is `QueueError("unavailable")`). */
export async function openQueueClient(url: string, options: QueueClientOptions): Promise<QueueClient> {
  const prefix = checkQueuePrefix(options.prefix);
  const connection = await openQueueConnection(url, { role: "worker", ...(options.connectionName ? { connectionName: options.connectionName } : {}) });
  return queueClientOn(connection, { ...options, prefix }, true);
}

/** A client on a connection the caller keeps (`ownsConnection` false): closing the client leaves it open. */
export function queueClientOn(connection: QueueConnection, options: QueueClientOptions, ownsConnection = false): QueueClient {
  const prefix = checkQueuePrefix(options.prefix);
  const queues = new Map<QueueName, Queue>();
  const events = new Map<QueueName, QueueEvents>();
  const queueOf = <Data, Result>(name: QueueName): Queue<Data, Result> => {
    let queue = queues.get(name);
    if (!queue) queues.set(name, (queue = createQueue(connection, name, prefix, options.jobs)));
    return queue as unknown as Queue<Data, Result>;
  };
  // One QueueEvents per queue for every job waited on: each blocks a connection of its own.
  const eventsOf = (name: QueueName): QueueEvents => {
    let queueEvents = events.get(name);
    if (!queueEvents) events.set(name, (queueEvents = createQueueEvents(connection, name, prefix)));
    return queueEvents;
  };
  return {
    prefix,
    maskedUrl: connection.maskedUrl,
    queue: queueOf,
    async runJob<Data, Result>(name: QueueName, jobName: string, data: Data, jobId: string, runOptions: RunJobOptions = {}) {
      const queue = queueOf<Data, Result>(name);
      const queueEvents = eventsOf(name);
      // Listening before adding: a job that finishes at once still has its events seen.
      await queueEvents.waitUntilReady();
      const { job, added } = await enqueueOnce(queue, jobName, data, jobId, runOptions.retryFailed ? { retryFailed: true } : {});
      const result = await waitForJob<Data, Result>(queue, job as Job<Data, Result>, queueEvents, {
        ...(runOptions.signal ? { signal: runOptions.signal } : {}),
        ...(runOptions.onProgress ? { onProgress: runOptions.onProgress } : {}),
      });
      return { result, added };
    },
    async workerCount(name: QueueName) {
      return (await queueOf(name).getWorkers()).length;
    },
    async close() {
      await Promise.all([...events.values()].map((e) => e.close().catch(() => {})));
      await Promise.all([...queues.values()].map((q) => q.close().catch(() => {})));
      events.clear();
      queues.clear();
      if (ownsConnection) await connection.close();
    },
  };
}
