import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Queue, QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import { NO_USAGE } from "../../src/llm/analyst.ts";
import { DEFAULTS } from "../../src/config/defaults.ts";
import { openQueueConnection, type QueueConnection } from "../../src/queue/connection.ts";
import { createQueue, createQueueEvents, enqueueOnce, jobOptions, waitForJob } from "../../src/queue/jobs.ts";
import { queuePrefix, sessionJobId, type SessionJobData } from "../../src/queue/names.ts";
import { deleteQueueKeys } from "../../src/queue/status.ts";
import type { SessionJobOutcome } from "../../src/service/workers/session-processor.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { summaryCacheLabel } from "../../src/store/cache-labels.ts";
import { FilesystemBlobStore } from "../../src/store/filesystem-blob-store.ts";
import { TEST_REDIS_URL, requireRedis, runId } from "./services.ts";
import { killAll, logLines, SHORT_LOCKS, spawnWorker, waitUntil, type WorkerProcess } from "./worker-spawn.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SAMPLE = path.join(ROOT, "examples/sample");
const [FIRST, SECOND, THIRD] = ["0192fb9a-50b4-7a40-9ac8-1e0e239d6431", "0192fbc6-ed7a-75d1-8728-6727dca6639a", "0192fc1d-6939-7b76-a012-078658b66ed1"] as const;

let work: string;
let dataDir: string;
let producer: QueueConnection;
let listener: QueueConnection;
let queue: Queue<SessionJobData, SessionJobOutcome>;
let events: QueueEvents;
let cacheLabel: string;
const prefix = queuePrefix(runId("wtest"));
const spawned: WorkerProcess[] = [];
const LOCKS = SHORT_LOCKS;

/** The worker's environment: offline analyst (no model configured), no replay checks, a temp data dir. */
function workerEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SESSION_SUMMARIES_DATA_DIR: dataDir,
    SESSION_SUMMARIES_VALIDATE: "off",
    SESSION_SUMMARIES_QUEUE: TEST_REDIS_URL,
    SESSION_SUMMARIES_LOG_LEVEL: "info",
  };
}

async function startWorker(options: Record<string, unknown> = {}): Promise<WorkerProcess> {
  const worker = await spawnWorker({ dataset: SAMPLE, prefix, ...options }, workerEnv(), work);
  spawned.push(worker);
  return worker;
}

function sessionJob(sessionId: string, run: string, overrides: Partial<SessionJobData> = {}): SessionJobData {
  return { project: "acme", runId: run, sessionId, focus: null, cacheLabel, ...overrides };
}

function startedLines(worker: WorkerProcess, jobId: string): number {
  return logLines(worker, "session job started", jobId).length;
}

beforeAll(async () => {
  await requireRedis();
  work = await mkdtemp(path.join(tmpdir(), "ss-worker-"));
  dataDir = path.join(work, "data");
  // The label a server configured like the worker puts in its jobs.
  const open = await createRuntime({ config: readConfig(workerEnv()), source: new DatasetSource(SAMPLE), project: "acme" });
  cacheLabel = summaryCacheLabel(open.runtime);
  await open.close();
  producer = await openQueueConnection(TEST_REDIS_URL, { role: "producer" });
  listener = await openQueueConnection(TEST_REDIS_URL, { role: "worker" });
  queue = createQueue<SessionJobData, SessionJobOutcome>(producer, "sessions", prefix);
  events = createQueueEvents(listener, "sessions", prefix);
  await events.waitUntilReady();
}, 60_000);

afterAll(async () => {
  killAll(spawned);
  await events?.close();
  await queue?.close();
  if (producer) {
    await deleteQueueKeys(producer, prefix);
    expect((await producer.client.scan("0", "MATCH", `${prefix}:*`, "COUNT", 1000))[1]).toEqual([]);
  }
  await listener?.close();
  await producer?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("session-summaries worker (a separate process on the sessions queue)", { timeout: 120_000 }, () => {
  let worker: WorkerProcess;

  it("summarizes two session jobs into the data dir's blob store, returns keys only, and runs a job enqueued again once", async () => {
    worker = await startWorker({ concurrency: 2, ...LOCKS });
    const jobs = [sessionJob(FIRST, "run-1"), sessionJob(SECOND, "run-1")];
    const enqueued = await Promise.all(jobs.map((data) => enqueueOnce(queue, "summarize", data, sessionJobId(data))));
    expect(enqueued.map((e) => e.added)).toEqual([true, true]);
    const results = await Promise.all(enqueued.map(({ job }) => waitForJob(queue, job, events)));
    const blobs = new FilesystemBlobStore(path.join(dataDir, DEFAULTS.store.blobsSubdir));
    for (const [index, result] of results.entries()) {
      expect(result).toMatchObject({ status: "summarized", cached: false });
      expect(result.summaryKey).toContain(jobs[index]!.sessionId);
      expect(await blobs.has(result.summaryKey!)).toBe(true);
      // Keys, never the summary itself.
      expect(JSON.stringify(result).length).toBeLessThan(600);
    }
    expect(results[0]!.summaryKey).not.toBe(results[1]!.summaryKey);

    // The same job id again: nothing added, the stored result returned, the processor not run a second time.
    const again = await enqueueOnce(queue, "summarize", jobs[0]!, sessionJobId(jobs[0]!));
    expect(again.added).toBe(false);
    expect(await waitForJob(queue, again.job, events)).toEqual(results[0]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(startedLines(worker, sessionJobId(jobs[0]!))).toBe(1);

    // Another run of the same session (a second delivery of the same work) is a cache hit: same key, no model call.
    const rerun = sessionJob(FIRST, "run-2");
    const { job } = await enqueueOnce(queue, "summarize", rerun, sessionJobId(rerun));
    const cached = await waitForJob(queue, job, events);
    expect(cached).toMatchObject({ status: "summarized", cached: true, summaryKey: results[0]!.summaryKey });
    expect(cached.usage).toEqual(NO_USAGE);
    expect(startedLines(worker, sessionJobId(rerun))).toBe(1);
  });

  it("fails a job for another analyst at once, with the reason, instead of writing a summary the report never reads", async () => {
    const data = sessionJob(FIRST, "run-3", { cacheLabel: "openai:gpt-4.1-mini@v9" });
    const { job } = await enqueueOnce(queue, "summarize", data, sessionJobId(data), { jobOptions: jobOptions({ attempts: 3, backoffMs: 50 }) });
    const failure = await waitForJob(queue, job, events).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure, String(failure)).toMatchObject({ code: "job_failed" });
    // Refused once, not retried: the back-off would have run it twice more by now.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await queue.getJob(job.id!))?.attemptsMade).toBe(1);
    expect(worker.logs.filter((line) => line.msg === "session job refused" && line.job === job.id)).toHaveLength(1);
    expect((failure as Error).message).toContain("openai:gpt-4.1-mini@v9");
    expect((failure as Error).message).toContain(cacheLabel);
  });

  it("stops on SIGTERM: exits 0, and takes no job after it", async () => {
    worker.child.kill("SIGTERM");
    const { code, signal } = await worker.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(worker.logs.some((line) => line.msg === "worker stopped")).toBe(true);
    const late = sessionJob(SECOND, "run-4");
    const { job } = await enqueueOnce(queue, "summarize", late, sessionJobId(late));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await job.getState()).toBe("waiting");
    // Not left for the workers of the next tests.
    await job.remove();
  });
});

describe("a worker stopped mid-job", { timeout: 120_000 }, () => {
  it("SIGTERM while summarizing: the active job finishes, then the worker exits 0", async () => {
    const busy = await startWorker({ ...LOCKS, summarizeDelayMs: 1_500 });
    // A focus not summarized before: the analyst (slowed) runs.
    const data = sessionJob(SECOND, "run-term", { focus: "checkout" });
    const id = sessionJobId(data);
    const { job } = await enqueueOnce(queue, "summarize", data, id);
    await waitUntil(() => startedLines(busy, id) === 1, "the worker never started the job");
    busy.child.kill("SIGTERM");
    expect(await busy.exited).toEqual({ code: 0, signal: null });
    expect(await queue.getJobState(id)).toBe("completed");
    expect(await waitForJob(queue, job, events)).toMatchObject({ status: "summarized", cached: false });
    expect(busy.logs.find((line) => line.msg === "worker stopped")).toMatchObject({ finishedActive: true });
  });
});

describe("a worker killed mid-job", { timeout: 120_000 }, () => {
  it("SIGKILL while summarizing: another worker process takes the job once its lock expires and completes it, once", async () => {
    const doomed = await startWorker({ ...LOCKS, summarizeDelayMs: 60_000 });
    const data = sessionJob(THIRD, "run-kill");
    const id = sessionJobId(data);
    const { job } = await enqueueOnce(queue, "summarize", data, id);
    await waitUntil(() => startedLines(doomed, id) === 1, "the first worker never started the job");
    expect(await job.getState()).toBe("active");
    doomed.child.kill("SIGKILL");
    expect(await doomed.exited).toEqual({ code: null, signal: "SIGKILL" });
    const rescuer = await startWorker(LOCKS);
    const result = await waitForJob(queue, job, events, { recheckMs: 500 });
    expect(result).toMatchObject({ status: "summarized", cached: false });
    const blobs = new FilesystemBlobStore(path.join(dataDir, DEFAULTS.store.blobsSubdir));
    expect(await blobs.has(result.summaryKey!)).toBe(true);
    expect(startedLines(rescuer, id)).toBe(1);
    expect(await queue.getJobState(id)).toBe("completed");
    rescuer.child.kill("SIGTERM");
    expect(await rescuer.exited).toEqual({ code: 0, signal: null });
  });
});
