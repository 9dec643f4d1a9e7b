import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import type { KyselyWatchStore } from "../../src/watch/store/kysely-store.ts";
import { problemsOf, readLabels, releaseSessions } from "../fixtures/release-sessions.ts";
import { memoryLogger } from "../fakes/logger.ts";
import { ScriptedChatModel, type ScriptedCall, type ScriptedReply } from "../fakes/scripted-model.ts";
import { assignmentsFromPrompt, assignmentsYaml, patternsYaml, purposeOf, summaryYamlFromPrompt } from "../fakes/responses.ts";
import { SweepError } from "../../src/service/watch/sweeper.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATASET = path.join(ROOT, "examples/dataset");
const SECRET = "receiver-secret-1234";
const START = new Date("2027-01-04T08:00:00.000Z");

/** A local alert receiver: records every delivery; answers with the scripted statuses first, then 200. */
async function receiver(statuses: number[] = []) {
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
let picks: { problem: string; withProblem: string[]; clean: string[] };

beforeAll(async () => {
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
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface World {
  clock: ManualClock;
  store: KyselyWatchStore;
  sweeper: WatchSweeper;
  dataset: string;
  blobs: FilesystemBlobStore;
  release(from: readonly string[], tag: string, minutesAgo?: number): Promise<string[]>;
  monitor(definition: MonitorDefinitionInput, project?: string): Promise<string>;
  close(): Promise<void>;
}

/** A growing dataset, a watch store, a checkpointer and a sweeper, all on disk under one folder, with a simulated clock. */
async function world(
  name: string,
  options: Partial<WatchSweeperOptions> = {},
  pipelineOf?: (project: string, dataset: string, checkpointer: Checkpointer, blobs: FilesystemBlobStore) => Promise<Pipeline>,
): Promise<World> {
  const root = path.join(dir, name);
  const dataset = path.join(root, "dataset");
  const clock = new ManualClock(START);
  const store = await openWatchStoreAt({ kind: "sqlite", file: path.join(root, "watch.sqlite") });
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
    ...options,
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

describe("sweeps over sessions that keep arriving (offline analyst, simulated clock, real SQLite)", () => {
  it("tracks one issue that appears, continues, resolves and regresses, and delivers exactly one alert per occasion, retrying a failing receiver", async () => {
    const hook = await receiver();
    const flaky = await receiver([500, 503]);
    const w = await world("lifecycle");
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
      await w.close();
      await hook.close();
      await flaky.close();
    }
  });

  it("a sweep stopped mid-way is finished by the next run: same sweep, same sessions, each counted once", async () => {
    const w = await world("killed");
    try {
      const monitorId = await w.monitor({ name: "Shop", alerts: { rules: [{ kind: "new_issue", min_severity: "low" }], channels: [], cooldown_minutes: 0 } });
      w.clock.advance(HOUR_MS);
      const problem = Array.from({ length: 4 }, (_, n) => picks.withProblem[n % picks.withProblem.length]!);
      await w.release([...problem, ...picks.clean.slice(0, 4)], "s1");
      const stop = new AbortController();
      const progress: string[] = [];
      await expect(
        w.sweeper.runSweep("acme", monitorId, {
          signal: stop.signal,
          onProgress: (p) => {
            progress.push(p.message);
            if ((p.sessions_done ?? 0) >= 2) stop.abort(new Error("stopped by the test"));
          },
        }),
      ).rejects.toThrow();
      const [stopped] = await w.store.listSweeps("acme", monitorId);
      expect(stopped).toMatchObject({ status: "running", sessions: 0 });
      expect(await w.store.sessionsOfSweep(stopped!.id)).toHaveLength(8);
      expect(await w.store.listIssues("acme")).toEqual([]);

      // More sessions arrive meanwhile: the resumed sweep finishes its own 8, the next one takes the new.
      await w.release(picks.clean.slice(4, 6), "late", 40);
      const resumed = await w.sweeper.runSweep("acme", monitorId, { onProgress: (p) => progress.push(p.message) });
      expect(resumed).toMatchObject({ id: stopped!.id, status: "done", sessions: 8 });
      expect(progress.some((line) => line.startsWith(`Finishing sweep ${stopped!.id}`))).toBe(true);
      const [issue] = await w.store.listIssues("acme", { monitor_id: monitorId });
      expect(issue).toMatchObject({ sessions_total: 4, state: "new" });
      expect(await w.store.issueDays(issue!.id)).toEqual([expect.objectContaining({ sessions: 4 })]);

      const next = await w.sweeper.runSweep("acme", monitorId);
      expect(next).toMatchObject({ status: "done", sessions: 2 });
      expect((await w.store.listSweeps("acme", monitorId)).map((s) => s.status)).toEqual(["done", "done"]);
      expect((await w.store.getIssue("acme", issue!.id))!.sessions_total).toBe(4);
    } finally {
      await w.close();
    }
  });

  it("a monitor never backfills on its own; backfill --since shows its estimate (dry run) and then takes the older sessions once", async () => {
    const w = await world("backfill");
    try {
      await w.release(picks.clean.slice(0, 3), "old", 120);
      const monitorId = await w.monitor({ name: "Shop" });
      w.clock.advance(HOUR_MS);
      expect((await w.sweeper.estimateSweep("acme", monitorId)).sessions).toBe(0);
      expect((await w.sweeper.runSweep("acme", monitorId)).status).toBe("nothing_new");

      const since = new Date(START.getTime() - 4 * HOUR_MS).toISOString();
      const dry = await w.sweeper.backfill("acme", monitorId, { since, dryRun: true });
      expect(dry.sweep).toBeUndefined();
      expect(dry.estimate).toMatchObject({ sessions: 3, model_calls: 0, cost_usd: 0, offline: true });
      expect(dry.estimate.note).toMatch(/no model calls, \$0.00/);
      expect(await w.store.listSweeps("acme", monitorId)).toHaveLength(1);

      const done = await w.sweeper.backfill("acme", monitorId, { since });
      expect(done.sweep).toMatchObject({ status: "done", sessions: 3 });
      expect((await w.sweeper.backfill("acme", monitorId, { since, dryRun: true })).estimate.sessions).toBe(0);
      await expect(w.sweeper.backfill("acme", monitorId, { since: "last week" })).rejects.toThrow(/ISO date/);
    } finally {
      await w.close();
    }
  });

  it("keeps projects apart: another project's monitor is not found, and the same sessions count for each project's monitors", async () => {
    const w = await world("projects");
    try {
      const mine = await w.monitor({ name: "Shop" }, "acme");
      const theirs = await w.monitor({ name: "Shop" }, "globex");
      w.clock.advance(HOUR_MS);
      await w.release(picks.clean.slice(0, 2), "s1");
      await expect(w.sweeper.runSweep("globex", mine)).rejects.toThrow(SweepError);
      await expect(w.sweeper.runSweep("globex", mine)).rejects.toThrow(/no monitor .* in project "globex"/);
      expect((await w.sweeper.runSweep("acme", mine)).sessions).toBe(2);
      expect((await w.sweeper.runSweep("globex", theirs)).sessions).toBe(2);
      expect(await w.store.listSweeps("acme", theirs)).toEqual([]);
    } finally {
      await w.close();
    }
  });
});

describe("budgets (scripted model: calls, tokens and cost are real figures of the run)", () => {
  const script = (call: ScriptedCall): ScriptedReply => {
    switch (purposeOf(call.messages)) {
      case "summarize":
        return summaryYamlFromPrompt(call.human);
      case "extract":
      case "combine":
        return patternsYaml([{ pattern_name: "Add to cart fails", severity: "high" }]);
      case "assign":
        return assignmentsYaml(assignmentsFromPrompt(call.human));
      default:
        return { error: new Error("unexpected prompt") };
    }
  };
  const scripted = async (project: string, dataset: string, checkpointer: Checkpointer, blobs: FilesystemBlobStore) =>
    createPipeline({
      config: readConfig({ OPENAI_API_KEY: "unused" }),
      source: new DatasetSource(dataset),
      project,
      blobs,
      checkpointer: checkpointer.saver,
      validation: "off",
      models: { factory: ({ role }) => new ScriptedChatModel({ script, role }) },
    });

  it("stops at the daily cap: takes what fits, says so in the sweep and once a day on the alert channel, and goes on the next day", async () => {
    const hook = await receiver();
    const w = await world("budget", {}, scripted);
    try {
      const monitorId = await w.monitor({ name: "Shop", budget: { daily_model_calls: 5 }, alerts: { rules: [], channels: [{ kind: "slack", url: hook.url }], cooldown_minutes: 0 } });
      w.clock.advance(HOUR_MS);
      await w.release(picks.clean.slice(0, 6), "s1");
      const estimate = await w.sweeper.estimateSweep("acme", monitorId);
      // Each session is one summarizer call; extraction and assignment one call each: 3 sessions fit in 5 calls.
      expect(estimate).toMatchObject({ sessions: 3, over_budget: 3, offline: false });
      expect(estimate.note).toMatch(/daily limit of 5 model calls would be exceeded/);

      const first = await w.sweeper.runSweep("acme", monitorId);
      expect(first).toMatchObject({ status: "budget_reached", sessions: 3 });
      expect(first.model_calls).toBeGreaterThanOrEqual(3);
      expect(first.input_tokens).toBeGreaterThan(0);
      expect(first.cost_usd).toBeGreaterThan(0);
      expect(first.message).toMatch(/took 3 sessions, the rest wait for the budget/);
      // The sweep's report carries the same usage and cost (priced at the default table: gpt-4.1-mini).
      const report = (await readReport(w.blobs, "acme", first.report_id!))!;
      expect(report.cost).toMatchObject({ offline: false, unpriced_models: [] });
      expect(report.cost!.usd).toBeCloseTo(first.cost_usd, 4);
      expect(report.usage.model_calls).toBe(first.model_calls);

      w.clock.advance(HOUR_MS);
      const second = await w.sweeper.runSweep("acme", monitorId);
      expect(second).toMatchObject({ status: "budget_reached", sessions: 0, model_calls: 0 });
      expect(second.message).toMatch(/daily limit of 5 model calls (reached|would be exceeded)/);
      // One budget alert for the day, however many sweeps meet the cap.
      expect(hook.received.map((r) => (r.body as { text?: string }).text)).toEqual([expect.stringMatching(/^Budget reached/)]);

      w.clock.set(new Date("2027-01-05T08:00:00.000Z"));
      const nextDay = await w.sweeper.runSweep("acme", monitorId);
      expect(nextDay).toMatchObject({ status: "done", sessions: 3 });
      expect(await w.store.unclaimed(monitorId, [])).toEqual([]);
      const spent = await w.store.spentOn(monitorId, "2027-01-04");
      expect(spent.model_calls).toBe(first.model_calls);
    } finally {
      await w.close();
      await hook.close();
    }
  });
});
