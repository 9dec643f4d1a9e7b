import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { createPipeline, type Pipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import { MonitorDefinitionSchema, type MonitorDefinitionInput } from "../../src/domain/monitor.ts";
import { WatchSweeper, type WatchSweeperOptions } from "../../src/service/watch/sweeper.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { createCheckpointer, type Checkpointer } from "../../src/store/checkpointer.ts";
import { FilesystemBlobStore } from "../../src/store/filesystem-blob-store.ts";
import { readReport } from "../../src/store/reports.ts";
import { SIGNATURE_HEADER, verifySignature } from "../../src/watch/alerts/deliver.ts";
import { HOUR_MS, ManualClock } from "../../src/watch/clock.ts";
import { openWatchStoreAt } from "../../src/watch/store/open.ts";
import type { WatchStore } from "../../src/watch/store/types.ts";
import { problemsOf, readLabels, releaseSessions } from "../fixtures/release-sessions.ts";
import { memoryLogger } from "../fakes/logger.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATASET = path.join(ROOT, "examples/dataset");
const SECRET = "receiver-secret-1234";
export const START = new Date("2027-01-04T08:00:00.000Z");

/** A local alert receiver: records every delivery; answers with the scripted statuses first, then 200. */
export async function receiver(statuses: number[] = []) {
  const received: Array<{ body: Record<string, unknown>; signed: boolean; key: string | undefined }> = [];
  let requests = 0;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      requests += 1;
      const status = statuses.shift() ?? 200;
      if (status === 200) {
        received.push({
          body: JSON.parse(body) as Record<string, unknown>,
          signed: verifySignature(SECRET, body, req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined),
          key: req.headers["x-session-summaries-alert"] as string | undefined,
        });
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, requests: () => requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let dir: string;
export let picks: { problem: string; withProblem: string[]; clean: string[] };

/** Call from the test file's beforeAll/afterAll: a temp folder and the dataset sessions each scenario releases. */
export async function setUpWorlds(): Promise<() => Promise<void>> {
  dir = await mkdtemp(path.join(tmpdir(), "ss-sweeps-"));
  const labels = await readLabels(DATASET);
  const ids = Object.keys(labels.sessions).sort();
  // The problem most sessions show alone: its sweeps then say nothing about other problems.
  const alone = new Map<string, string[]>();
  for (const id of ids) {
    const problems = problemsOf(labels, id);
    if (problems.length === 1) alone.set(problems[0]!, [...(alone.get(problems[0]!) ?? []), id]);
  }
  const [problem, withProblem] = [...alone.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0]!;
  const clean = ids.filter((id) => problemsOf(labels, id).length === 0 && labels.sessions[id]!.outcome === "success");
  picks = { problem, withProblem, clean };
  return () => rm(dir, { recursive: true, force: true });
}

export interface World {
  clock: ManualClock;
  store: WatchStore;
  sweeper: WatchSweeper;
  dataset: string;
  blobs: FilesystemBlobStore;
  release(from: readonly string[], tag: string, minutesAgo?: number): Promise<string[]>;
  monitor(definition: MonitorDefinitionInput, project?: string): Promise<string>;
  close(): Promise<void>;
}

/** A growing dataset, a watch store, a checkpointer and a sweeper, all on disk under one folder, with a simulated clock. */
export async function world(
  name: string,
  options: Partial<WatchSweeperOptions> & { openStore?: (root: string) => Promise<WatchStore> } = {},
  pipelineOf?: (project: string, dataset: string, checkpointer: Checkpointer, blobs: FilesystemBlobStore) => Promise<Pipeline>,
): Promise<World> {
  const root = path.join(dir, name);
  const dataset = path.join(root, "dataset");
  const clock = new ManualClock(START);
  const { openStore, ...sweeperOptions } = options;
  const store = openStore ? await openStore(root) : await openWatchStoreAt({ kind: "sqlite", file: path.join(root, "watch.sqlite") });
  const checkpointer = await createCheckpointer({ kind: "sqlite", file: path.join(root, "checkpoints.sqlite") });
  const blobs = new FilesystemBlobStore(path.join(root, "blobs"));
  const pipelines = new Map<string, Promise<Pipeline>>();
  const config = readConfig({});
  const pipelineFor = (project: string) => {
    if (!pipelines.has(project)) {
      pipelines.set(
        project,
        pipelineOf
          ? pipelineOf(project, dataset, checkpointer, blobs)
          : createPipeline({ config, source: new DatasetSource(dataset), project, blobs, checkpointer: checkpointer.saver, validation: "off" }),
      );
    }
    return pipelines.get(project)!;
  };
  const sweeper = new WatchSweeper({
    store,
    pipelineFor,
    clock,
    sessionIdleMinutes: 30,
    alertSecrets: { hook: SECRET },
    deliveryRetries: 3,
    deliveryMinTimeoutMs: 5,
    logger: memoryLogger().logger,
    ...sweeperOptions,
  });
  return {
    clock,
    store,
    sweeper,
    dataset,
    blobs,
    async release(from, tag, minutesAgo = 45) {
      const endAt = new Date(clock.now().getTime() - minutesAgo * 60_000);
      return releaseSessions(
        DATASET,
        dataset,
        from.map((id, n) => ({ from: id, as: `${name}/${tag}/${n}`, endAt: new Date(endAt.getTime() + n * 1000) })),
      );
    },
    async monitor(definition, project = "acme") {
      return (await store.createMonitor(project, MonitorDefinitionSchema.parse(definition), clock.now())).id;
    },
    async close() {
      for (const pipeline of pipelines.values()) await (await pipeline).close();
      await checkpointer.close();
      await blobs.close();
      await store.close();
    },
  };
}

/**
 * One problem over five sweeps: new, ongoing, resolved (one sweep unseen), regressed; then a sweep
 * with nothing new. Exactly one alert per occasion reaches each receiver, the failing one after retries.
 */
export async function expectLifecycle(w: World): Promise<void> {
  const hook = await receiver();
  const flaky = await receiver([500, 503]);
  try {
    const monitorId = await w.monitor({
      name: "Shop",
      resolve_after_sweeps: 1,
      resolve_after_hours: 0,
      alerts: {
        rules: [{ kind: "new_issue", min_severity: "low" }, { kind: "regression" }],
        channels: [
          { kind: "webhook", url: hook.url, secret_ref: "hook" },
          { kind: "webhook", url: flaky.url },
        ],
        cooldown_minutes: 0,
      },
    });
    // Released under new ids: the same recorded session may stand for several users.
    const [a, b, c, d, e, f] = Array.from({ length: 6 }, (_, n) => picks.withProblem[n % picks.withProblem.length]!);
    expect(picks.withProblem.length, `sessions showing ${picks.problem} alone`).toBeGreaterThanOrEqual(2);

    // Before the first sweep: sessions that ended before the monitor existed are never taken.
    await w.release([a!], "before", 10);
    w.clock.advance(HOUR_MS);
    await w.release([a!, b!, picks.clean[0]!], "s1");
    const s1 = await w.sweeper.runSweep("acme", monitorId);
    expect(s1).toMatchObject({ status: "done", sessions: 3, model_calls: 0, cost_usd: 0 });
    expect(s1.message).toMatch(/offline analyst: no model calls, \$0.00/);
    expect((await readReport(w.blobs, "acme", s1.report_id!))!.cost).toEqual({ usd: 0, offline: true, unpriced_models: [], approximate: false });
    const issues1 = await w.store.listIssues("acme", { monitor_id: monitorId });
    expect(issues1.map((i) => [i.state, i.sessions_total])).toEqual([["new", 2]]);
    const issueId = issues1[0]!.id;

    // Sessions still going (ended less than the idle time ago) wait for a later sweep.
    w.clock.advance(HOUR_MS);
    await w.release([c!, d!], "s2");
    await w.release([picks.clean[1]!], "s2-live", 5);
    const s2 = await w.sweeper.runSweep("acme", monitorId);
    expect(s2.sessions).toBe(2);
    expect((await w.store.getIssue("acme", issueId))!).toMatchObject({ state: "ongoing", sessions_total: 4 });

    w.clock.advance(HOUR_MS);
    await w.release([picks.clean[2]!, picks.clean[3]!], "s3");
    const s3 = await w.sweeper.runSweep("acme", monitorId);
    // The session that was still going in sweep 2 is taken now, once.
    expect(s3.sessions).toBe(3);
    expect((await w.store.getIssue("acme", issueId))!.state).toBe("resolved");

    w.clock.advance(HOUR_MS);
    await w.release([e!, f!], "s4");
    await w.sweeper.runSweep("acme", monitorId);
    const regressed = (await w.store.getIssue("acme", issueId))!;
    expect(regressed).toMatchObject({ state: "regressed", sessions_total: 6 });
    expect((await w.store.listIssues("acme", { monitor_id: monitorId })).length).toBe(1);

    // Nothing new: a sweep that takes nothing moves nothing and alerts nothing.
    w.clock.advance(HOUR_MS);
    expect((await w.sweeper.runSweep("acme", monitorId)).status).toBe("nothing_new");
    expect((await w.store.getIssue("acme", issueId))!.state).toBe("regressed");

    const kinds = (received: typeof hook.received) => received.map((r) => `${String(r.body.kind)}:${String(r.body.issue_id)}`);
    expect(kinds(hook.received)).toEqual([`new_issue:${issueId}`, `regression:${issueId}`]);
    expect(hook.received.every((r) => r.signed)).toBe(true);
    expect(new Set(hook.received.map((r) => r.key)).size).toBe(2);
    // The failing receiver got both alerts too, after two failed attempts at the first.
    expect(kinds(flaky.received)).toEqual([`new_issue:${issueId}`, `regression:${issueId}`]);
    expect(flaky.requests()).toBe(4);
    const alerts = await w.store.listAlerts("acme", { monitor_id: monitorId });
    const attempts = await w.store.attempts(alerts[0]!.id);
    expect(attempts.filter((x) => !x.ok).map((x) => x.status)).toEqual([500, 503]);
    expect(attempts.filter((x) => x.ok)).toHaveLength(2);
  } finally {
    await hook.close();
    await flaky.close();
  }
}
