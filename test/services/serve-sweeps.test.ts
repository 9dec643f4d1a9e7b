import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runServe } from "../../src/cli/serve.ts";
import { readConfig } from "../../src/config/env.ts";
import { MonitorDefinitionSchema, type SweepRecord } from "../../src/domain/monitor.ts";
import { openQueueConnection, type QueueConnection } from "../../src/queue/connection.ts";
import { queuePrefix } from "../../src/queue/names.ts";
import { deleteQueueKeys } from "../../src/queue/status.ts";
import { sweepSchedulerId } from "../../src/service/watch/queued-scheduler.ts";
import { openWatchStore } from "../../src/watch/store/open.ts";
import { TEST_REDIS_URL, requireRedis, runId } from "./services.ts";
import { waitUntil } from "./worker-spawn.ts";

const SAMPLE = fileURLToPath(new URL("../../examples/sample", import.meta.url));
const prefix = queuePrefix(runId("serve"));
let work: string;
let connection: QueueConnection;

beforeAll(async () => {
  await requireRedis();
  work = await mkdtemp(path.join(tmpdir(), "ss-serve-sweeps-"));
  connection = await openQueueConnection(TEST_REDIS_URL);
});

afterAll(async () => {
  if (connection) {
    await deleteQueueKeys(connection, prefix);
    await connection.close();
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe("serve with a queue", { timeout: 60_000 }, () => {
  it("schedules every monitor's sweeps on the queue's Redis, runs a due one through its sweeper, and leaves the schedule for the other servers when it stops", async () => {
    const config = readConfig({ SESSION_SUMMARIES_DATA_DIR: work, SESSION_SUMMARIES_QUEUE: TEST_REDIS_URL, SESSION_SUMMARIES_QUEUE_PREFIX: prefix, SESSION_SUMMARIES_VALIDATE: "off" });
    const store = await openWatchStore(config);
    const monitor = await store.createMonitor("local", MonitorDefinitionSchema.parse({ name: "Checkout", interval_minutes: 15 }), new Date());
    await store.close();

    const calls: string[] = [];
    const output: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (output.push(chunk.toString()), done()) });
    const stop = new AbortController();
    const exited = runServe({
      appConfig: config,
      dataset: SAMPLE,
      host: "127.0.0.1",
      port: 0,
      signal: stop.signal,
      stdout: sink,
      stderr: sink,
      sweeper: () => ({
        runSweep: async (project: string, monitorId: string): Promise<SweepRecord> => {
          calls.push(`${project} ${monitorId}`);
          return {
            id: `sweep-${calls.length}`,
            monitor_id: monitorId,
            project,
            started_at: new Date().toISOString(),
            status: "nothing_new",
            sessions: 0,
            model_calls: 0,
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: 0,
          };
        },
        estimateSweep: async () => {
          throw new Error("not used");
        },
        backfill: async () => {
          throw new Error("not used");
        },
      }),
    });
    const queue = new Queue("sweeps", { connection: connection.client, prefix });
    try {
      // A monitor never swept is due at once; later ones every 15 minutes, by the job scheduler.
      await waitUntil(() => calls.length === 1, `the server never swept: ${output.join("")}`, 30_000);
      expect(calls).toEqual([`local ${monitor.id}`]);
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => ({ key: s.key, every: Number(s.every) }))).toEqual([{ key: sweepSchedulerId("local", monitor.id), every: 15 * 60_000 }]);
      expect(output.join("")).toContain(`monitor sweeps: scheduled on redis://127.0.0.1:6379 (prefix ${prefix})`);
    } finally {
      stop.abort();
    }
    expect(await exited).toBe(0);
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual([sweepSchedulerId("local", monitor.id)]);
    await queue.close();
  });
});
