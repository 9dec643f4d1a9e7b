import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MemorySaver } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline } from "../../graph/pipeline.ts";
import { readConfig, type AppConfig } from "../../src/config/env.ts";
import { ReportSchema, type Report } from "../../src/domain/report.ts";
import { openQueueClient } from "../../src/queue/client.ts";
import { openQueueConnection } from "../../src/queue/connection.ts";
import { queuePrefix, sessionJobId } from "../../src/queue/names.ts";
import { deleteQueueKeys } from "../../src/queue/status.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { TEST_REDIS_URL, requireRedis, runId } from "./services.ts";
import { killAll, logLines, SHORT_LOCKS, spawnWorker, waitUntil, type WorkerProcess } from "./worker-spawn.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SESSIONS = 12;

let work: string;
let dataset: string;
let ids: string[];
let poisonId: string;
const prefix = queuePrefix(runId("wreport"));
const spawned: WorkerProcess[] = [];

/** Servers and workers share the queue, the prefix and the data dir (its blob store holds the summaries). */
function queueEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SESSION_SUMMARIES_DATA_DIR: path.join(work, "queued-data"),
    SESSION_SUMMARIES_VALIDATE: "off",
    SESSION_SUMMARIES_QUEUE: TEST_REDIS_URL,
    SESSION_SUMMARIES_QUEUE_PREFIX: prefix,
    SESSION_SUMMARIES_LOG_LEVEL: "info",
  };
}

async function startWorker(options: Record<string, unknown> = {}): Promise<WorkerProcess> {
  const worker = await spawnWorker({ dataset, prefix, ...SHORT_LOCKS, ...options }, queueEnv(), work);
  spawned.push(worker);
  return worker;
}

async function runReport(config: AppConfig, reportId: string, sessionIds: string[], focus?: string): Promise<Report> {
  const pipeline = await createPipeline({ config, source: new DatasetSource(dataset), checkpointer: new MemorySaver() });
  try {
    expect(Boolean(pipeline.runtime.sessionQueue)).toBe(Boolean(config.queue));
    const input = { report_id: reportId, title: "Workers", selection: { ids: sessionIds }, ...(focus ? { focus_area: focus } : {}) };
    let reportKey: string | undefined;
    const done: string[] = [];
    for await (const [mode, chunk] of await pipeline.graph.stream(input, { configurable: { thread_id: reportId }, maxConcurrency: 8, streamMode: ["custom", "values"] })) {
      if (mode === "values") reportKey = (chunk as { report_key?: string }).report_key;
      else if ((chunk as { kind?: string }).kind === "session_done") done.push((chunk as { session_id: string }).session_id);
    }
    // Progress streams as in process: one "session done" per session, whether a worker or this process ran it.
    expect(done.sort()).toEqual([...sessionIds].sort());
    return ReportSchema.parse(await pipeline.runtime.blobs.getJson(reportKey!));
  } finally {
    await pipeline.close();
  }
}

/** What a reader sees, without what names the run (its id and time). */
function content(report: Report): unknown {
  const { id: _id, created_at: _created, ...rest } = report;
  return rest;
}

/** Each session job of a run logged "done" exactly once across all worker processes. */
function doneCounts(runIdOf: string, sessionIds: string[]): number[] {
  return sessionIds.map((sessionId) => spawned.reduce((n, w) => n + logLines(w, "session job done", sessionJobId({ project: "local", runId: runIdOf, sessionId })).length, 0));
}

beforeAll(async () => {
  await requireRedis();
  work = await mkdtemp(path.join(tmpdir(), "ss-worker-report-"));
  dataset = path.join(work, "dataset");
  const all = (await readdir(path.join(ROOT, "examples/dataset/sessions"))).sort();
  ids = all.slice(0, SESSIONS);
  poisonId = all[SESSIONS]!;
  for (const id of [...ids, poisonId]) await cp(path.join(ROOT, "examples/dataset/sessions", id), path.join(dataset, "sessions", id), { recursive: true });
  // A corrupt recording and events: a poison job.
  await writeFile(path.join(dataset, "sessions", poisonId, "recording.jsonl.gz"), "not gzip at all");
  await writeFile(path.join(dataset, "sessions", poisonId, "events.jsonl.gz"), "not gzip either");
  await mkdir(path.join(work, "queued-data"), { recursive: true });
}, 60_000);

afterAll(async () => {
  killAll(spawned);
  const connection = await openQueueConnection(TEST_REDIS_URL).catch(() => undefined);
  if (connection) {
    await deleteQueueKeys(connection, prefix);
    await connection.close();
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe("a report whose sessions run on 2 worker processes", { timeout: 180_000 }, () => {
  it("is the same report as the one made in process, and each session job ran once, spread over both workers", async () => {
    const inProcess = await runReport(readConfig({ SESSION_SUMMARIES_DATA_DIR: path.join(work, "local-data"), SESSION_SUMMARIES_VALIDATE: "off" }), "r-local", ids);
    expect(inProcess.sessions.summarized.length + inProcess.sessions.skipped.length).toBe(SESSIONS);
    expect(inProcess.patterns.length).toBeGreaterThan(0);

    const workers = [await startWorker({ concurrency: 2 }), await startWorker({ concurrency: 2 })];
    const client = await openQueueClient(TEST_REDIS_URL, { prefix });
    expect(await client.workerCount("sessions")).toBe(2);
    await client.close();
    const queued = await runReport(readConfig(queueEnv()), "r-queued", ids);
    expect(content(queued)).toEqual(content(inProcess));
    expect(doneCounts("r-queued", ids)).toEqual(ids.map(() => 1));
    for (const worker of workers) expect(logLines(worker, "session job done").length).toBeGreaterThan(0);
  });

  it("completes when a worker is SIGKILLed mid-report: its session runs again on the other worker, none is lost or summarized twice", async () => {
    // A focus not summarized before, and slow summaries: the kill lands while the worker holds a job.
    const slow = { summarizeDelayMs: 700 };
    const doomed = spawned[0]!;
    doomed.child.kill("SIGTERM");
    await doomed.exited;
    const victim = await startWorker(slow);
    const survivor = spawned[1]!;
    const running = runReport(readConfig(queueEnv()), "r-kill", ids, "checkout");
    await waitUntil(() => logLines(victim, "session job started").length > 0, "the victim never started a job", 60_000);
    const held = logLines(victim, "session job started")[0]!.job as string;
    victim.child.kill("SIGKILL");
    expect((await victim.exited).signal).toBe("SIGKILL");
    const report = await running;
    expect(report.sessions.failed).toEqual([]);
    expect(report.sessions.summarized.length + report.sessions.skipped.length).toBe(SESSIONS);
    // The held job was finished by the survivor, after the lock of the killed worker expired.
    expect(logLines(survivor, "session job done", held)).toHaveLength(1);
    expect(logLines(victim, "session job done", held)).toHaveLength(0);
    expect(doneCounts("r-kill", ids)).toEqual(ids.map(() => 1));
  });

  it("reports a poison job (a corrupt recording) as a failed session with its reason, and the others as usual", async () => {
    const report = await runReport(readConfig(queueEnv()), "r-poison", [...ids.slice(0, 3), poisonId]);
    expect(report.sessions.failed.map((f) => f.id)).toEqual([poisonId]);
    expect(report.sessions.failed[0]!.error).toMatch(/its job failed after \d attempts?:/);
    expect(report.sessions.summarized.length + report.sessions.skipped.length).toBe(3);
    const connection = await openQueueConnection(TEST_REDIS_URL);
    try {
      const { Queue } = await import("bullmq");
      const queue = new Queue("sessions", { connection: connection.client, prefix });
      const job = await queue.getJob(sessionJobId({ project: "local", runId: "r-poison", sessionId: poisonId }));
      expect(await job!.getState()).toBe("failed");
      // Not retried forever: at most the configured attempts.
      expect(job!.attemptsMade).toBeLessThanOrEqual(3);
      await queue.close();
    } finally {
      await connection.close();
    }
  });
});
