import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runQueuesStatus } from "../../src/cli/queues.ts";
import { readConfig } from "../../src/config/env.ts";
import { openQueueConnection, type QueueConnection } from "../../src/queue/connection.ts";
import { createQueue, createWorker, enqueueOnce, jobOptions } from "../../src/queue/jobs.ts";
import { queuePrefix, renderJobId, sessionJobId, type RenderJobData, type SessionJobData } from "../../src/queue/names.ts";
import { deleteQueueKeys } from "../../src/queue/status.ts";
import { TEST_REDIS_URL, requireRedis, runId } from "./services.ts";

const prefix = queuePrefix(runId("qcli"));
let producer: QueueConnection;
let workerConnection: QueueConnection;

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) } };
}

beforeAll(async () => {
  await requireRedis();
  producer = await openQueueConnection(TEST_REDIS_URL);
  workerConnection = await openQueueConnection(TEST_REDIS_URL, { role: "worker" });
  // Two sessions waiting (no sessions worker), one render job failed for good.
  const sessions = createQueue<SessionJobData>(producer, "sessions", prefix);
  for (const sessionId of ["s-1", "s-2"]) {
    const data: SessionJobData = { project: "acme", runId: "r", sessionId, focus: "secret focus text", cacheLabel: "m" };
    await enqueueOnce(sessions, "summarize", data, sessionJobId(data));
  }
  await sessions.close();
  const render = createQueue<RenderJobData>(producer, "render", prefix);
  const clipHash = "c".repeat(64);
  const clip: RenderJobData = { project: "acme", clipHash, inputKey: `acme/renders/${clipHash}/input`, resultKey: `acme/renders/${clipHash}/result`, sessionId: "s-9", startMs: 1_000, endMs: 6_000 };
  const failed = new Promise<void>((resolve) => {
    const worker = createWorker<RenderJobData>(workerConnection, "render", prefix, async () => {
      throw new Error("Chromium crashed\n    at render (clip.ts:10)");
    });
    worker.on("failed", () => void worker.close().then(resolve));
  });
  await enqueueOnce(render, "clip", clip, renderJobId(clip), { jobOptions: jobOptions({ attempts: 1 }) });
  await failed;
  await render.close();
});

afterAll(async () => {
  if (producer) await deleteQueueKeys(producer, prefix);
  await workerConnection?.close();
  await producer?.close();
});

describe("queues status", () => {
  const config = () => readConfig({ SESSION_SUMMARIES_QUEUE: TEST_REDIS_URL });

  it("prints each queue's counts and its latest failures as a table", async () => {
    const { out, err, io } = captured();
    expect(await runQueuesStatus({ config: config(), prefix, ...io })).toBe(0);
    expect(err).toEqual([]);
    const text = out.join("\n");
    expect(text).toMatch(/queue\s+waiting\s+active\s+delayed\s+completed\s+failed/);
    expect(text).toMatch(/sessions\s+2\s+0\s+0\s+0\s+0/);
    expect(text).toMatch(/render\s+0\s+0\s+0\s+0\s+1/);
    expect(text).toMatch(/sweeps\s+0\s+0\s+0\s+0\s+0/);
    expect(text).toContain("Latest failures in render:");
    expect(text).toContain(renderJobId({ project: "acme", clipHash: "c".repeat(64) }));
    // The reason on one line; the job's data never shown.
    expect(text).toContain("Chromium crashed at render (clip.ts:10)");
    expect(text).not.toContain("secret focus text");
  });

  it("prints JSON with --json", async () => {
    const { out, io } = captured();
    expect(await runQueuesStatus({ config: config(), prefix, json: true, ...io })).toBe(0);
    const parsed = JSON.parse(out.join("")) as { prefix: string; queues: Array<{ queue: string; waiting: number; failed: number; recentFailures: Array<{ reason: string; attempts: number }> }> };
    expect(parsed.prefix).toBe(prefix);
    expect(parsed.queues.map(({ queue, waiting, failed }) => ({ queue, waiting, failed }))).toEqual([
      { queue: "sessions", waiting: 2, failed: 0 },
      { queue: "render", waiting: 0, failed: 1 },
      { queue: "sweeps", waiting: 0, failed: 0 },
    ]);
    expect(parsed.queues[1]!.recentFailures[0]).toMatchObject({ attempts: 1, reason: "Chromium crashed at render (clip.ts:10)" });
  });

  it("exits 2 with a clear message when SESSION_SUMMARIES_QUEUE is not set", async () => {
    const { out, err, io } = captured();
    expect(await runQueuesStatus({ config: readConfig({}), ...io })).toBe(2);
    expect(out).toEqual([]);
    expect(err.join("\n")).toContain("set SESSION_SUMMARIES_QUEUE=redis://");
  });

  it("exits 2 naming the masked URL when Redis is unreachable", async () => {
    const port = await closedPort();
    const { out, err, io } = captured();
    const started = Date.now();
    expect(await runQueuesStatus({ config: readConfig({ SESSION_SUMMARIES_QUEUE: `redis://ops:hunter2@127.0.0.1:${port}` }), connectTimeoutMs: 1_000, ...io })).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(out).toEqual([]);
    const message = err.join("\n");
    expect(message).toContain(`redis://ops:***@127.0.0.1:${port}`);
    expect(message).toContain("unreachable");
    expect(message).not.toContain("hunter2");
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
