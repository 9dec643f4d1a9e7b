import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { eventWithTime } from "@rrweb/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/config/defaults.ts";
import { openQueueClient, type QueueClient } from "../../src/queue/client.ts";
import { openQueueConnection, type QueueConnection } from "../../src/queue/connection.ts";
import { queuePrefix, renderJobId, type RenderJobData, type RenderJobResult } from "../../src/queue/names.ts";
import { deleteQueueKeys } from "../../src/queue/status.ts";
import type { RenderedClip } from "../../src/render/clip-renderer.ts";
import { ClipRenderService } from "../../src/render/clip-service.ts";
import { RenderError } from "../../src/render/errors.ts";
import { QueuedClipRenderer, encodeRenderInput, renderBlobKeys } from "../../src/render/queued-renderer.ts";
import { extractClipWindow } from "../../src/replay/clip.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { FilesystemBlobStore } from "../../src/store/filesystem-blob-store.ts";
import { TEST_REDIS_URL, requireRedis, runId } from "./services.ts";
import { spawnWorker, type WorkerProcess } from "./worker-spawn.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATASET = path.join(ROOT, "examples/dataset");
/** Labelled: search for "storage jar" answers 500 and a red banner replaces the results. */
const SEARCH_500 = "01a20170-bf59-7213-9510-ebb6db15b947";
const PROJECT = "acme";

let work: string;
let dataDir: string;
let producer: QueueConnection;
let client: QueueClient;
let blobs: FilesystemBlobStore;
let worker: WorkerProcess;
const prefix = queuePrefix(runId("rtest"));

/** The worker's environment: the data dir's filesystem blob store (the one this test reads), no replay checks of its own. */
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

async function startWorker(options: Record<string, unknown>): Promise<WorkerProcess> {
  return spawnWorker({ prefix, ...options }, workerEnv(), work);
}

function linesOf(message: string, jobId: string): number {
  return worker.logs.filter((line) => line.msg === message && line.job === jobId).length;
}

/** Indices of the frames that are not byte-identical (and of frames only one side has). */
function differingFrames(a: Buffer[], b: Buffer[]): number[] {
  const differing: number[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (!a[i] || !b[i] || !a[i]!.equals(b[i]!)) differing.push(i);
  return differing;
}

/** The window `validate` would render around the labelled moment, cut from the dataset's recording the same way. */
async function labelledClip(): Promise<{ events: eventWithTime[]; range: { startMs: number; endMs: number } }> {
  const labels = JSON.parse(await readFile(path.join(DATASET, "labels.json"), "utf8")) as { sessions: Record<string, { issues: Array<{ timestamp: string }> }> };
  const at = Date.parse(labels.sessions[SEARCH_500]!.issues[0]!.timestamp);
  const range = { startMs: at - DEFAULTS.clip.beforeEventMs, endMs: at - DEFAULTS.clip.beforeEventMs + DEFAULTS.clip.lengthMs };
  const clip = await extractClipWindow(new DatasetSource(DATASET).streamRecording(SEARCH_500), range, `recording of ${SEARCH_500}`);
  return { events: clip.windows[0]!.events, range };
}

beforeAll(async () => {
  await requireRedis();
  work = await mkdtemp(path.join(tmpdir(), "ss-render-worker-"));
  dataDir = path.join(work, "data");
  blobs = new FilesystemBlobStore(path.join(dataDir, DEFAULTS.store.blobsSubdir));
  producer = await openQueueConnection(TEST_REDIS_URL, { role: "producer" });
  // Three attempts with a short back-off: a clip that were retried would be retried within the test.
  client = await openQueueClient(TEST_REDIS_URL, { prefix, jobs: { attempts: 3, backoffMs: 50 } });
  // Both queues in one process: the render worker must not need the sessions' dataset, nor stop the session worker.
  worker = await startWorker({ queues: "sessions,render", dataset: path.join(ROOT, "examples/sample"), lockDurationMs: 5_000, stalledIntervalMs: 1_000 });
}, 90_000);

afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
  await client?.close();
  if (producer) {
    await deleteQueueKeys(producer, prefix);
    expect((await producer.client.scan("0", "MATCH", `${prefix}:*`, "COUNT", 1000))[1]).toEqual([]);
  }
  await producer?.close();
  await blobs?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("render jobs on a render worker process (worker --queues sessions,render)", { timeout: 90_000 }, () => {
  it("renders a dataset clip asked for twice at once in one job, equal to an in-process render, and returns keys only", async () => {
    const { events, range } = await labelledClip();
    const queued = new QueuedClipRenderer({ client, blobs, project: PROJECT });
    const started = performance.now();
    const [first, second] = await Promise.all([
      queued.render(events, range, { video: true, text: true, sessionId: SEARCH_500 }),
      queued.render(events, range, { video: true, text: true, sessionId: SEARCH_500 }),
    ]);
    const queuedMs = performance.now() - started;

    const { clipHash } = encodeRenderInput({ format: 1, range, options: { video: true, text: true, framesPerSecond: DEFAULTS.clip.framesPerSecond, speed: DEFAULTS.clip.speed }, events });
    const id = renderJobId({ project: PROJECT, clipHash });
    const keys = renderBlobKeys(PROJECT, clipHash);
    // One job, rendered once, for both callers.
    expect(linesOf("clip rendered", id)).toBe(1);
    const counts = await client.queue("render").getJobCounts("completed", "failed", "waiting", "active");
    expect(counts).toEqual({ completed: 1, failed: 0, waiting: 0, active: 0 });
    const job = await client.queue<RenderJobData, RenderJobResult>("render").getJob(id);
    expect(job?.attemptsMade).toBe(1);
    // Keys in and out, never events or frames.
    expect(job!.returnvalue).toEqual({ resultKey: keys.result, cached: false });
    expect(JSON.stringify(job!.data).length).toBeLessThan(600);
    expect(await blobs.has(keys.input)).toBe(false);
    expect(await blobs.has(keys.result)).toBe(true);

    // The blob round trip gave back the very frames the worker hashed.
    for (const clip of [first, second]) expect(createHash("sha256").update(Buffer.concat(clip.frames)).digest("hex")).toBe(clip.framesHash);

    // The reference: the same window rendered in this process. Chromium is not byte-stable from one browser
    // to the next on a loaded machine (a few pixels of a shadow differ by a few levels), so what must match
    // is what the checks read: the frame times, the page text and the distinct screens of each frame.
    const localStarted = performance.now();
    const local = new ClipRenderService({ maxPages: 1 });
    let inProcess: RenderedClip;
    try {
      inProcess = await local.render(events, range, { video: true, text: true });
    } finally {
      await local.close();
    }
    const localMs = performance.now() - localStarted;
    for (const clip of [first, second]) {
      expect(clip.frames.length).toBe(inProcess.frames.length);
      expect(clip.frameTimes).toEqual(inProcess.frameTimes);
      expect(clip.texts).toEqual(inProcess.texts);
      expect(clip.screens).toEqual(inProcess.screens);
      expect(clip.blocked).toEqual(inProcess.blocked);
      expect(clip.unreplayable).toEqual(inProcess.unreplayable);
      expect(clip.videoSpeed).toBe(inProcess.videoSpeed);
      expect(clip.video!.subarray(4, 8).toString("latin1")).toBe("ftyp");
    }
    const differing = differingFrames(first.frames, inProcess.frames);
    expect(first.texts!.some((text) => text.includes("Something went wrong"))).toBe(true);
    console.log(
      `render: ${first.frames.length} frames; queued (Chromium start included) ${Math.round(queuedMs)} ms, in process ${Math.round(localMs)} ms per render, ${differing.length} of ${first.frames.length} frames not byte-identical to the in-process render`,
    );

    // Asked again once the job is gone from Redis: a new job, and the worker returns the stored clip without rendering.
    await job!.remove();
    const again = await queued.render(events, range, { video: true, text: true, sessionId: SEARCH_500 });
    expect(again.framesHash).toBe(first.framesHash);
    expect(linesOf("render job done: the clip was already rendered", id)).toBe(1);
    expect(linesOf("clip rendered", id)).toBe(1);
    expect((await client.queue<RenderJobData, RenderJobResult>("render").getJob(id))?.returnvalue).toEqual({ resultKey: keys.result, cached: true });
  });

  it("fails a clip whose events cannot be replayed once, naming the clip and the reason, instead of retrying it", async () => {
    const queued = new QueuedClipRenderer({ client, blobs, project: PROJECT });
    const range = { startMs: 1_700_000_000_000, endMs: 1_700_000_005_000 };
    const cases: Array<{ events: unknown[]; reason: RegExp }> = [
      // rrweb-shaped, but nothing to start a replay from.
      { events: [{ type: 3, timestamp: range.startMs, data: { source: 1, positions: [{ x: 1, y: 1, id: 1, timeOffset: 0 }] } }], reason: /no full snapshot/ },
      // Not rrweb events at all.
      { events: [{ garbage: true }, 42], reason: /not a window of rrweb events/ },
    ];
    for (const [index, { events, reason }] of cases.entries()) {
      const sessionId = `broken-${index}`;
      const failure = await queued.render(events as eventWithTime[], range, { sessionId }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure, String(failure)).toBeInstanceOf(RenderError);
      const message = (failure as RenderError).message;
      expect(message).toMatch(reason);
      expect(message).toContain(`clip of session ${sessionId} from ${new Date(range.startMs).toISOString()} to ${new Date(range.endMs).toISOString()}`);
      expect(message).toContain("(1 attempt)");
      const { clipHash } = encodeRenderInput({
        format: 1,
        range,
        options: { video: false, text: false, framesPerSecond: DEFAULTS.clip.framesPerSecond, speed: DEFAULTS.clip.speed },
        events: events as eventWithTime[],
      });
      const id = renderJobId({ project: PROJECT, clipHash });
      // Refused once: with a 50 ms back-off, a retried job would have run twice more by now.
      await new Promise((resolve) => setTimeout(resolve, 400));
      const job = await client.queue("render").getJob(id);
      expect(await job?.getState()).toBe("failed");
      expect(job?.attemptsMade).toBe(1);
      expect(linesOf("render job refused", id)).toBe(1);
      expect(await blobs.has(renderBlobKeys(PROJECT, clipHash).input)).toBe(false);
    }
  });

  it("stops both workers on SIGTERM and exits 0", async () => {
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(worker.logs.find((line) => line.msg === "worker stopped")).toMatchObject({ finishedActive: true });
  });
});
