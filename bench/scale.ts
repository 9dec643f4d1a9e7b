/**
 * Scale benchmark: one report of N sessions (cloned from a dataset) whose per-session branches run as
 * jobs on BullMQ, served by 1, 2, 4… separate worker processes on this machine (`worker --queues
 * sessions,render`), with real clip rendering in Chromium for the sessions whose summaries flag a
 * blocking issue.
 *
 *   npm run bench:scale -- --sessions 400 --workers 1,2,4 [--scale 0.01] [--concurrency 8] [--dataset examples/dataset]
 *
 * Model latency is scripted: the workers' offline analyst waits 20–60 s per session (drawn from the
 * session id), times `--scale` (default 0.01: 0.2–0.6 s), so a session job costs what a model call
 * would, compressed. Each worker count starts from an empty data dir (no cached summary or clip).
 * Figures per worker count:
 * - `sessions_per_min`: sessions of the report ÷ the time until the last session was done;
 * - `clips_per_min`: clips rendered ÷ the render window (first render job started → last finished); each
 *   clone's recording is made unique, so no two sessions share a clip (equal clips are rendered once);
 * - `dispatch_ms_p50/p95`: what the queue adds to one job when a worker is free: the round trip of a job
 *   (enqueue → result seen by the waiting process) minus its processing time, over sequential probe
 *   jobs on cached sessions after the run;
 * - `peak_rss_mb`: the largest resident memory of one worker process with its Chromium (sampled);
 * - `lost`: sessions without an outcome on the report; `repeated`: session jobs finished more than once.
 * Prints progress on stderr, one JSON line per worker count, then a summary line.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { MemorySaver } from "@langchain/langgraph";
import type { Job } from "bullmq";
import { createPipeline } from "../graph/pipeline.ts";
import { readConfig } from "../src/config/env.ts";
import { ReportSchema } from "../src/domain/report.ts";
import { openQueueClient } from "../src/queue/client.ts";
import { openQueueConnection } from "../src/queue/connection.ts";
import { queuePrefix, sessionJobId, type SessionJobData } from "../src/queue/names.ts";
import { deleteQueueKeys } from "../src/queue/status.ts";
import { DatasetSource } from "../src/sources/dataset.ts";
import { summaryCacheLabel } from "../src/store/cache-labels.ts";
import { cloneDataset } from "../test/fixtures/clone-dataset.ts";
import { logLines, spawnWorker, type WorkerProcess } from "../test/services/worker-spawn.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKER_SCRIPT = path.join(ROOT, "bench/scale-worker.mjs");
const REDIS_URL = process.env.SESSION_SUMMARIES_QUEUE ?? "redis://127.0.0.1:6379";
const PROBES = 40;
const LATENCY_S = [20, 60] as const;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1]!;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** Resident memory (MB) of each process tree rooted at `pids` (a worker and its Chromium), from `ps`. */
function treeRssMb(pids: number[]): number[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,rss="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number, number]);
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const [pid, ppid, kb] of rows) {
    rss.set(pid, kb);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const total = (pid: number): number => (rss.get(pid) ?? 0) + (children.get(pid) ?? []).reduce((sum, child) => sum + total(child), 0);
  return pids.map((pid) => total(pid) / 1024);
}

interface RunFigures {
  bench: "scale";
  workers: number;
  sessions: number;
  summarized: number;
  failed: number;
  wall_s: number;
  sessions_per_min: number;
  clips: number;
  render_window_s: number;
  clips_per_min: number;
  /** Median time one render job took on its worker (Chromium start included for the first). */
  render_s_per_clip_median: number;
  dispatch_ms_p50: number;
  dispatch_ms_p95: number;
  peak_rss_mb: number;
  lost: number;
  repeated: number;
}

async function runWith(workerCount: number, sessions: number, dataset: string, work: string, scale: number, concurrency: number): Promise<RunFigures> {
  const prefix = queuePrefix(`bench-${workerCount}-${randomUUID().slice(0, 8)}`);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SESSION_SUMMARIES_DATA_DIR: path.join(work, `data-${workerCount}`),
    SESSION_SUMMARIES_QUEUE: REDIS_URL,
    SESSION_SUMMARIES_QUEUE_PREFIX: prefix,
    SESSION_SUMMARIES_LOG_LEVEL: "info",
  };
  const workers: WorkerProcess[] = [];
  const peak = new Map<number, number>();
  let sampler: NodeJS.Timeout | undefined;
  try {
    process.stderr.write(`${workerCount} worker(s): starting\n`);
    for (let i = 0; i < workerCount; i++) {
      workers.push(await spawnWorker({ dataset, prefix, queues: "sessions,render", concurrency, latency: LATENCY_S, scale }, env, work, WORKER_SCRIPT));
    }
    const pids = workers.map((w) => w.child.pid!);
    const sample = () => treeRssMb(pids).forEach((mb, i) => peak.set(i, Math.max(peak.get(i) ?? 0, mb)));
    sampler = setInterval(sample, 500);

    const config = readConfig(env);
    const pipeline = await createPipeline({ config, source: new DatasetSource(dataset), checkpointer: new MemorySaver() });
    const started = performance.now();
    let done = 0;
    let sessionsDoneMs = 0;
    let clips = 0;
    let reportKey: string | undefined;
    let report;
    let cacheLabel: string;
    try {
      const stream = await pipeline.graph.stream(
        { report_id: "bench", title: "bench", selection: {} },
        { configurable: { thread_id: "bench" }, maxConcurrency: workerCount * concurrency * 2, streamMode: ["custom", "values"] },
      );
      for await (const [mode, chunk] of stream as AsyncIterable<[string, Record<string, unknown>]>) {
        if (mode === "values") reportKey = (chunk.report_key as string | undefined) ?? reportKey;
        else if (chunk.kind === "clips_checked") clips += Number(chunk.clips ?? 0);
        else if (chunk.kind === "session_done") {
          done += 1;
          sessionsDoneMs = performance.now() - started;
          if (done % Math.max(1, Math.floor(sessions / 10)) === 0) process.stderr.write(`  ${done}/${sessions} sessions, ${clips} clips, ${(sessionsDoneMs / 1000).toFixed(1)} s\n`);
        }
      }
      report = ReportSchema.parse(await pipeline.runtime.blobs.getJson(reportKey!));
      cacheLabel = summaryCacheLabel(pipeline.runtime);
    } finally {
      await pipeline.close();
    }
    const wallMs = performance.now() - started;
    const outcomes = report.sessions.summarized.length + report.sessions.skipped.length + report.sessions.failed.length;

    // Dispatch: sequential jobs on sessions already summarized (cache hits), round trip minus processing.
    const client = await openQueueClient(REDIS_URL, { prefix });
    const dispatch: number[] = [];
    try {
      for (const sessionId of report.sessions.summarized.slice(0, PROBES)) {
        const data: SessionJobData = { project: "local", runId: "probe", sessionId, focus: null, cacheLabel, source: dataset };
        const id = sessionJobId(data);
        const sent = performance.now();
        await client.runJob("sessions", "session", data, id);
        const roundTrip = performance.now() - sent;
        const job = (await client.queue("sessions").getJob(id)) as Job | undefined;
        if (job?.processedOn && job.finishedOn) dispatch.push(roundTrip - (job.finishedOn - job.processedOn));
      }
      const renders = await completedJobs(client.queue("render"));
      const renderStart = Math.min(...renders.map((j) => j.processedOn ?? Infinity));
      const renderEnd = Math.max(...renders.map((j) => j.finishedOn ?? 0));
      const renderWindowS = renders.length > 0 ? (renderEnd - renderStart) / 1000 : sessionsDoneMs / 1000;
      const renderedClips = renders.length > 0 ? renders.length : clips;
      // Jobs of the report finished more than once (by two workers, or again after a lost lock).
      const doneById = new Map<string, number>();
      for (const worker of workers) {
        for (const line of logLines(worker, "session job done")) {
          const job = String(line.job);
          if (!job.includes(".probe.")) doneById.set(job, (doneById.get(job) ?? 0) + 1);
        }
      }
      sample();
      return {
        bench: "scale",
        workers: workerCount,
        sessions,
        summarized: report.sessions.summarized.length,
        failed: report.sessions.failed.length,
        wall_s: round(wallMs / 1000),
        sessions_per_min: round((sessions / sessionsDoneMs) * 60_000),
        clips: renderedClips,
        render_window_s: round(renderWindowS),
        clips_per_min: round(renderWindowS > 0 ? (renderedClips / renderWindowS) * 60 : 0),
        render_s_per_clip_median: round(
          percentile(
            renders.map((j) => ((j.finishedOn ?? 0) - (j.processedOn ?? 0)) / 1000),
            50,
          ),
          2,
        ),
        dispatch_ms_p50: round(percentile(dispatch, 50)),
        dispatch_ms_p95: round(percentile(dispatch, 95)),
        peak_rss_mb: Math.round(Math.max(0, ...peak.values())),
        lost: sessions - outcomes,
        repeated: [...doneById.values()].filter((n) => n > 1).length,
      };
    } finally {
      await client.close();
    }
  } finally {
    clearInterval(sampler);
    for (const worker of workers) worker.child.kill("SIGTERM");
    await Promise.all(workers.map((w) => w.exited));
    const connection = await openQueueConnection(REDIS_URL);
    await deleteQueueKeys(connection, prefix);
    await connection.close();
  }
}

async function completedJobs(queue: { getJobs(types: ["completed"], start: number, end: number): Promise<Job[]> }): Promise<Job[]> {
  return (await queue.getJobs(["completed"], 0, -1)).filter(Boolean);
}

async function main(): Promise<void> {
  const sessions = Number(arg("sessions", "400"));
  const workerCounts = arg("workers", "1,2,4")
    .split(",")
    .map((w) => Number(w.trim()));
  const scale = Number(arg("scale", "0.01"));
  const concurrency = Number(arg("concurrency", "8"));
  const datasetArg = arg("dataset", existsSync(path.join(ROOT, "examples/dataset/labels.json")) ? "examples/dataset" : "examples/sample");
  if (!Number.isInteger(sessions) || sessions < 1 || workerCounts.some((w) => !Number.isInteger(w) || w < 1)) throw new Error("--sessions and --workers take whole numbers ≥ 1");
  const work = await mkdtemp(path.join(tmpdir(), "ss-bench-scale-"));
  const results: RunFigures[] = [];
  try {
    process.stderr.write(`cloning ${sessions} sessions from ${datasetArg}\n`);
    const dataset = path.join(work, "dataset");
    // Recordings made unique too: every clip is a render of its own (the render queue renders equal clips once).
    await cloneDataset(path.resolve(ROOT, datasetArg), dataset, sessions, { uniqueRecordings: true });
    for (const count of workerCounts) {
      const figures = await runWith(count, sessions, dataset, work, scale, concurrency);
      results.push(figures);
      console.log(JSON.stringify({ ...figures, machine: `${cpus().length} cores, node ${process.version}` }));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const byCount = (n: number) => results.find((r) => r.workers === n);
  const one = byCount(1);
  const two = byCount(2);
  console.log(
    JSON.stringify({
      bench: "scale",
      sessions,
      workers: workerCounts,
      latency_scale: scale,
      render_speedup_2v1: one && two && one.clips_per_min > 0 ? round(two.clips_per_min / one.clips_per_min, 2) : null,
      sessions_speedup_2v1: one && two ? round(two.sessions_per_min / one.sessions_per_min, 2) : null,
      dispatch_ms_p95: round(Math.max(0, ...results.map((r) => r.dispatch_ms_p95))),
      lost: results.reduce((n, r) => n + r.lost, 0),
      repeated: results.reduce((n, r) => n + r.repeated, 0),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
