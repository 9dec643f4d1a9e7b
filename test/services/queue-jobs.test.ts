import type { EventEmitter } from "node:events";
import { createServer } from "node:net";
import { QueueEvents, type Job, type Queue, type Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openQueueConnection, type QueueConnection } from "../../src/queue/connection.ts";
import { QueueError } from "../../src/queue/errors.ts";
import { createQueue, createQueueEvents, createWorker, enqueueOnce, jobOptions, waitForJob } from "../../src/queue/jobs.ts";
import { queuePrefix, sessionJobId, type SessionJobData } from "../../src/queue/names.ts";
import { deleteQueueKeys, queueStatus } from "../../src/queue/status.ts";
import { TEST_REDIS_URL, requireRedis, runId } from "./services.ts";

/** What these tests' fake processors return. */
interface SessionJobResult {
  summaryKey: string;
}

let producer: QueueConnection;
let workerConnection: QueueConnection;
const opened: Array<{ close(): Promise<void> }> = [];
const prefixes: string[] = [];

/** Each test its own prefix, so counts and job ids never mix between tests. */
function freshPrefix(): string {
  const prefix = queuePrefix(runId("qtest"));
  prefixes.push(prefix);
  return prefix;
}

function track<T extends { close(): Promise<void> }>(thing: T): T {
  opened.push(thing);
  return thing;
}

function sessionJob(sessionId: string, runIdValue = "run-1"): SessionJobData {
  return { project: "acme", runId: runIdValue, sessionId, focus: "checkout", cacheLabel: "openai:gpt-4.1-mini" };
}

function setup(prefix: string): { queue: Queue<SessionJobData, SessionJobResult>; events: QueueEvents } {
  const queue = track(createQueue<SessionJobData, SessionJobResult>(producer, "sessions", prefix));
  const events = track(createQueueEvents(workerConnection, "sessions", prefix));
  return { queue, events };
}

beforeAll(async () => {
  await requireRedis();
  producer = await openQueueConnection(TEST_REDIS_URL, { role: "producer" });
  workerConnection = await openQueueConnection(TEST_REDIS_URL, { role: "worker" });
});

afterAll(async () => {
  // Workers first (they hold jobs), then events and queues, then the keys, then the connections.
  for (const thing of opened.reverse()) await thing.close().catch(() => {});
  if (producer) {
    for (const prefix of prefixes) await deleteQueueKeys(producer, prefix);
    for (const prefix of prefixes) expect((await producer.client.scan("0", "MATCH", `${prefix}:*`, "COUNT", 1000))[1]).toEqual([]);
  }
  await workerConnection?.close();
  await producer?.close();
});

describe("enqueueOnce and a worker", () => {
  it("processes a session job enqueued twice (at once, and again later) exactly once", async () => {
    const prefix = freshPrefix();
    const { queue, events } = setup(prefix);
    const processed: string[] = [];
    const data = sessionJob("s-1");
    const id = sessionJobId(data);
    const [first, second] = await Promise.all([enqueueOnce(queue, "summarize", data, id), enqueueOnce(queue, "summarize", data, id)]);
    expect(first.job.id).toBe(id);
    expect(second.job.id).toBe(id);
    track(
      createWorker<SessionJobData, SessionJobResult>(workerConnection, "sessions", prefix, async (job) => {
        processed.push(job.id!);
        return { summaryKey: `acme/sessions/${job.data.sessionId}/summaries/x` };
      }),
    );
    expect(await waitForJob(queue, first.job, events)).toEqual({ summaryKey: "acme/sessions/s-1/summaries/x" });
    const again = await enqueueOnce(queue, "summarize", data, id);
    expect(again.added).toBe(false);
    expect(await waitForJob(queue, again.job, events)).toEqual({ summaryKey: "acme/sessions/s-1/summaries/x" });
    // Another run of the same session is another job.
    const otherRun = sessionJob("s-1", "run-2");
    const other = await enqueueOnce(queue, "summarize", otherRun, sessionJobId(otherRun));
    expect(other.added).toBe(true);
    await waitForJob(queue, other.job, events);
    expect(processed).toEqual([id, sessionJobId(otherRun)]);
    const counts = await queue.getJobCounts("completed", "waiting", "failed");
    expect(counts).toEqual({ completed: 2, waiting: 0, failed: 0 });
  });

  it("retries a throwing processor with exponential back-off, then leaves it failed with its reason in queueStatus", async () => {
    const prefix = freshPrefix();
    const { queue, events } = setup(prefix);
    const attemptsAt: number[] = [];
    const longReason = `corrupt recording: ${"x".repeat(2_000)}`;
    track(
      createWorker<SessionJobData, SessionJobResult>(workerConnection, "sessions", prefix, async () => {
        attemptsAt.push(Date.now());
        throw new Error(longReason);
      }),
    );
    const data = sessionJob("poison");
    const { job } = await enqueueOnce(queue, "summarize", data, sessionJobId(data), { jobOptions: jobOptions({ attempts: 3, backoffMs: 60 }) });
    const failure = await waitForJob(queue, job, events).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(QueueError);
    expect((failure as QueueError).code).toBe("job_failed");
    expect((failure as QueueError).attemptsMade).toBe(3);
    expect((failure as QueueError).message).toContain("corrupt recording");
    expect((failure as QueueError).failedReason!.length).toBeLessThanOrEqual(300);
    expect(attemptsAt).toHaveLength(3);
    const [gap1, gap2] = [attemptsAt[1]! - attemptsAt[0]!, attemptsAt[2]! - attemptsAt[1]!];
    expect(gap1).toBeGreaterThanOrEqual(55);
    // Exponential: the second wait is twice the first (120 ms vs 60 ms).
    expect(gap2).toBeGreaterThanOrEqual(110);
    // Failed for good: no fourth attempt.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(attemptsAt).toHaveLength(3);
    const [sessions, render] = await queueStatus(producer, prefix);
    expect(sessions).toMatchObject({ queue: "sessions", waiting: 0, active: 0, delayed: 0, completed: 0, failed: 1 });
    expect(render).toMatchObject({ queue: "render", failed: 0, recentFailures: [] });
    expect(sessions!.recentFailures).toHaveLength(1);
    const shown = sessions!.recentFailures[0]!;
    expect(shown).toMatchObject({ id: sessionJobId(data), name: "summarize", attempts: 3 });
    expect(shown.reason.startsWith("corrupt recording: xxx")).toBe(true);
    expect(shown.reason.length).toBeLessThanOrEqual(300);
    // Keys only, never the job's data, in the status.
    expect(JSON.stringify(sessions)).not.toContain("checkout");
  });

  it("waitForJob returns the result of a job that finished before the call, and rejects for one that failed before it", async () => {
    const prefix = freshPrefix();
    const { queue, events } = setup(prefix);
    const worker: Worker = track(
      createWorker<SessionJobData, SessionJobResult>(workerConnection, "sessions", prefix, async (job) => {
        if (job.data.sessionId === "bad") throw new Error("cannot decode recording");
        return { summaryKey: `key-${job.data.sessionId}` };
      }),
    );
    const finished = new Promise<void>((resolve) => {
      let count = 0;
      worker.on("completed", () => (++count === 2 ? resolve() : undefined));
      worker.on("failed", () => (++count === 2 ? resolve() : undefined));
    });
    const good = await enqueueOnce(queue, "summarize", sessionJob("good"), sessionJobId(sessionJob("good")));
    const bad = await enqueueOnce(queue, "summarize", sessionJob("bad"), sessionJobId(sessionJob("bad")), { jobOptions: jobOptions({ attempts: 1 }) });
    await finished;
    expect(await waitForJob(queue, good.job.id!, events)).toEqual({ summaryKey: "key-good" });
    await expect(waitForJob(queue, bad.job.id!, events)).rejects.toMatchObject({ code: "job_failed", attemptsMade: 1, failedReason: "cannot decode recording" });
    // A resumed run may give a failed job another chance.
    let retried = false;
    worker.on("active", () => (retried = true));
    const again = await enqueueOnce(queue, "summarize", sessionJob("bad"), sessionJobId(sessionJob("bad")), { retryFailed: true });
    expect(again.added).toBe(false);
    await expect(waitForJob(queue, again.job, events)).rejects.toMatchObject({ code: "job_failed" });
    expect(retried).toBe(true);
    await expect(waitForJob(queue, "session.nobody", events)).rejects.toMatchObject({ code: "job_missing" });
  });

  it("waitForJob stops waiting when its signal aborts, and leaves no listener behind", async () => {
    const prefix = freshPrefix();
    const { queue, events } = setup(prefix);
    // No worker: the job waits for ever.
    const { job } = await enqueueOnce(queue, "summarize", sessionJob("slow"), sessionJobId(sessionJob("slow")));
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error("report cancelled")), 100);
    await expect(waitForJob(queue, job, events, { signal: controller.signal })).rejects.toMatchObject({ code: "aborted", message: expect.stringContaining("report cancelled") });
    expect(Date.now() - started).toBeLessThan(2_000);
    const emitter = events as unknown as EventEmitter;
    expect(emitter.listenerCount(`completed:${job.id}`) + emitter.listenerCount(`failed:${job.id}`)).toBe(0);
    await expect(waitForJob(queue, job, events, { signal: AbortSignal.abort() })).rejects.toThrow();
    expect(await job.getState()).toBe("waiting");
  });

  it("waitForJob still settles when no event arrives, by re-reading the job's state", async () => {
    const prefix = freshPrefix();
    const { queue } = setup(prefix);
    // A QueueEvents that never reads the stream: every completion event is missed.
    const deaf = track(new QueueEvents("sessions", { connection: workerConnection.client, prefix, autorun: false }));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    track(
      createWorker<SessionJobData, SessionJobResult>(workerConnection, "sessions", prefix, async () => {
        await gate;
        return { summaryKey: "late" };
      }),
    );
    const { job } = await enqueueOnce(queue, "summarize", sessionJob("late"), sessionJobId(sessionJob("late")));
    const waiting = waitForJob(queue, job, deaf, { recheckMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    expect(await waiting).toEqual({ summaryKey: "late" });
  });

  it("streams a worker's progress back to the waiter", async () => {
    const prefix = freshPrefix();
    const { queue } = setup(prefix);
    // Events read from the stream's start: a QueueEvents reads only what comes after its first read, and on a
    // loaded machine the worker's first update can come before it (CI once saw only the second one).
    const events = track(new QueueEvents("sessions", { connection: workerConnection.client, prefix, lastEventId: "0-0" }));
    track(
      createWorker<SessionJobData, SessionJobResult>(workerConnection, "sessions", prefix, async (job: Job<SessionJobData, SessionJobResult>) => {
        await job.updateProgress({ step: "encoded" });
        await new Promise((resolve) => setTimeout(resolve, 50));
        await job.updateProgress({ step: "summarized" });
        return { summaryKey: "k" };
      }),
    );
    const progress: unknown[] = [];
    const { job } = await enqueueOnce(queue, "summarize", sessionJob("p"), sessionJobId(sessionJob("p")));
    expect(await waitForJob(queue, job, events, { onProgress: (value) => progress.push(value) })).toEqual({ summaryKey: "k" });
    expect(progress).toEqual([{ step: "encoded" }, { step: "summarized" }]);
  });
});

describe("job ids and data", () => {
  it("builds ids BullMQ accepts from any project or session id, distinct for distinct sessions", () => {
    const a = sessionJobId({ project: "team:a", runId: "r.1", sessionId: "0190-ab/cd" });
    const b = sessionJobId({ project: "team", runId: "a:r.1", sessionId: "0190-ab/cd" });
    expect(a).not.toContain(":");
    expect(a).not.toBe(b);
    expect(a.startsWith("session.")).toBe(true);
  });

  it("refuses a payload in job data and an id BullMQ cannot store", async () => {
    const prefix = freshPrefix();
    const { queue } = setup(prefix);
    const payload = { ...sessionJob("big"), focus: "x".repeat(10_000) };
    await expect(enqueueOnce(queue, "summarize", payload, sessionJobId(payload))).rejects.toMatchObject({ code: "invalid_job", message: expect.stringContaining("blob store") });
    await expect(enqueueOnce(queue, "summarize", sessionJob("c"), "session:acme:c")).rejects.toMatchObject({ code: "invalid_job" });
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 0 });
  });
});

describe("openQueueConnection", () => {
  it("fails with the URL masked when Redis is unreachable", async () => {
    const port = await closedPort();
    const error = await openQueueConnection(`redis://worker:s3cret@127.0.0.1:${port}`, { connectTimeoutMs: 1_000 }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(QueueError);
    expect((error as QueueError).code).toBe("unavailable");
    expect((error as QueueError).message).toContain(`redis://worker:***@127.0.0.1:${port}`);
    expect((error as QueueError).message).not.toContain("s3cret");
  });

  it("refuses a URL that is not redis:// and a producer connection for a worker", async () => {
    await expect(openQueueConnection("http://user:pw@localhost:6379")).rejects.toMatchObject({ code: "invalid_config", message: expect.not.stringContaining("pw@") });
    expect(() => createWorker(producer, "sessions", freshPrefix(), async () => undefined)).toThrow(/role "worker"/);
    expect(() => createQueue(producer, "sessions", "bad:prefix")).toThrow(QueueError);
  });
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
