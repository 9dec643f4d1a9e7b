import { spawn, type ChildProcess } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MemorySaver } from "@langchain/langgraph";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import { ReportSchema } from "../../src/domain/report.ts";
import { queuePrefix } from "../../src/queue/names.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { killAll, logLines, spawnWorker, waitUntil, type WorkerProcess } from "./worker-spawn.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SESSIONS = 10;

/**
 * A Redis of this test's own (the shared one serves the other suites, which must not see it go away),
 * with an append-only file synced on every write, as a deployment runs it: what was written before the
 * restart is still there after it.
 */
class OwnRedis {
  private process?: ChildProcess;
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""], {
      stdio: "ignore",
    });
    this.process = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on("error", () => {});
      try {
        await client.connect();
        await client.ping();
        return;
      } catch (error) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        client.disconnect();
      }
    }
  }

  /** Killed, not shut down: no chance to save anything beyond what the append-only file already holds. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let work: string;
let dataset: string;
let ids: string[];
let redis: OwnRedis;
const spawned: WorkerProcess[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "ss-redis-restart-"));
  dataset = path.join(work, "dataset");
  ids = (await readdir(path.join(ROOT, "examples/dataset/sessions"))).sort().slice(-SESSIONS);
  for (const id of ids) await cp(path.join(ROOT, "examples/dataset/sessions", id), path.join(dataset, "sessions", id), { recursive: true });
  await mkdir(path.join(work, "redis"), { recursive: true });
  redis = new OwnRedis(await freePort(), path.join(work, "redis"));
  await redis.start();
}, 60_000);

afterAll(async () => {
  killAll(spawned);
  await redis?.kill();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("Redis restarted in the middle of a report on workers", { timeout: 180_000 }, () => {
  it("the workers and the report's process reconnect, and the report completes with every session", async () => {
    const prefix = queuePrefix("restart");
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SESSION_SUMMARIES_DATA_DIR: path.join(work, "data"),
      SESSION_SUMMARIES_VALIDATE: "off",
      SESSION_SUMMARIES_QUEUE: redis.url,
      SESSION_SUMMARIES_QUEUE_PREFIX: prefix,
      SESSION_SUMMARIES_LOG_LEVEL: "info",
    };
    const worker = await spawnWorker({ dataset, prefix, concurrency: 2, summarizeDelayMs: 600 }, env, work);
    spawned.push(worker);
    const pipeline = await createPipeline({ config: readConfig(env), source: new DatasetSource(dataset), checkpointer: new MemorySaver() });
    try {
      const running = pipeline.graph.invoke({ report_id: "r-restart", title: "Restart", selection: { ids } }, { configurable: { thread_id: "r-restart" }, maxConcurrency: 6 });
      await waitUntil(() => logLines(worker, "session job done").length >= 2, "no job finished before the restart", 60_000);
      await redis.kill();
      const doneBefore = logLines(worker, "session job done").length;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await redis.start();
      const state = await running;
      const report = ReportSchema.parse(await pipeline.runtime.blobs.getJson(state.report_key!));
      expect(report.sessions.failed).toEqual([]);
      expect(report.sessions.summarized.length + report.sessions.skipped.length).toBe(SESSIONS);
      // Work went on after the restart, on the same worker process.
      expect(doneBefore).toBeLessThan(SESSIONS);
      expect(logLines(worker, "session job done").length).toBeGreaterThan(doneBefore);
      expect(worker.child.exitCode).toBeNull();
    } finally {
      await pipeline.close();
    }
  });
});
