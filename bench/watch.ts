/**
 * Watch benchmark: sessions cloned from the committed datasets are released over simulated hours,
 * one sweep an hour, and the monitors' issues and alerts are scored against the datasets' labels.
 *
 *   npm run bench:watch -- --sessions 1000 --sweeps 10 [--model scripted|offline] [--concurrency 16] [--min-issue-sessions 2] [--keep]
 *
 * Setup: one project, growing dataset, pipeline and monitor per app (examples/dataset is a shop,
 * examples/campaigns-dataset an email-campaign tool: two products, so two projects, as a user would
 * set them up; their sessions share a host and no filter could tell them apart). One SQLite watch
 * store, one SQLite checkpointer and one blob folder for both, a simulated clock, and a local HTTP
 * receiver as every monitor's webhook. Session i goes to app i mod 2 and is a new copy of that app's
 * next committed session (round-robin); sweep k releases its share, ending spread over the hour
 * before the sweep and at least the idle time before it, so each sweep takes exactly its share.
 *
 * Models: `scripted` (default) is a fake model that reads its prompts (bench/reading-model.ts):
 * patterns are named from the flagged events it sees, never from labels. `offline` is the
 * rule-based analyst.
 *
 * Scoring: every example of every pattern of every sweep's report is attributed to the issue the
 * sweep matched it to (the same fingerprint and text-similarity rules as the sweeper), and votes for
 * the root problem of its session's labelled issue nearest in time, within 15 s (`(unlabelled)` when
 * none is). An issue stands for its majority vote. `root_problems_labelled`: distinct root problems
 * in the released sessions, of the kinds the eval counts as pattern-worthy (noise, i.e. benign
 * exceptions and background failures nobody sees, is counted apart: `noise_problems_labelled`).
 * `duplicate_issues`: issues beyond the first for one labelled problem (noise included);
 * `unmatched_issues`: issues that stand for nothing labelled (false positives); `noise_issues`:
 * issues that stand for noise; `problems_missed`: root problems no issue stands for.
 * `alerts_sent`: deliveries the receiver got; `duplicate_alerts`: deliveries whose dedupe key it had
 * already received. `seconds_per_sweep`: mean wall time of one sweep round (every monitor swept once).
 *
 * Prints a line per sweep on stderr, one JSON line per app on stdout, and the summary JSON line last.
 */
import { createServer, type Server } from "node:http";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createPipeline, type Pipeline } from "../graph/pipeline.ts";
import type { SummarizeStateType } from "../graph/summarize/state.ts";
import { DEFAULTS } from "../src/config/defaults.ts";
import { readConfig } from "../src/config/env.ts";
import { LabelsSchema, type LabelledIssue } from "../src/domain/labels.ts";
import { MonitorDefinitionSchema, type SweepRecord, type TrackedIssue } from "../src/domain/monitor.ts";
import { ReportSchema, type PatternExample, type Report } from "../src/domain/report.ts";
import { createLogger } from "../src/log/logger.ts";
import { sweepThreadId, WatchSweeper } from "../src/service/watch/sweeper.ts";
import { DatasetSource } from "../src/sources/dataset.ts";
import { createCheckpointer } from "../src/store/checkpointer.ts";
import { FilesystemBlobStore } from "../src/store/filesystem-blob-store.ts";
import { ALERT_KEY_HEADER } from "../src/watch/alerts/deliver.ts";
import { HOUR_MS, ManualClock, MINUTE_MS } from "../src/watch/clock.ts";
import { fingerprintParts, formatFingerprint } from "../src/watch/fingerprint.ts";
import { matchIssue } from "../src/watch/issues.ts";
import { PATTERN_WORTHY } from "../src/eval/score.ts";
import { openWatchStoreAt } from "../src/watch/store/open.ts";
import { releaseSessions, type Release } from "../test/fixtures/release-sessions.ts";
import { ScriptedChatModel } from "../test/fakes/scripted-model.ts";
import { readingScript } from "./reading-model.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APPS = [
  { app: "shop", dataset: "examples/dataset" },
  { app: "campaigns", dataset: "examples/campaigns-dataset" },
] as const;
const START = new Date("2027-01-04T08:00:00.000Z");
const SECRET = "bench-receiver-secret";
const UNLABELLED = "(unlabelled)";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1]!;
}

function positiveInt(name: string, fallback: string): number {
  const value = Number(arg(name, fallback));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(arg(name, fallback))}`);
  return value;
}

/** A local webhook: counts deliveries and those whose dedupe key it had already received. */
async function receiver() {
  const keys = new Set<string>();
  const stats = { delivered: 0, duplicates: 0, byKind: {} as Record<string, number> };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      stats.delivered += 1;
      const key = req.headers[ALERT_KEY_HEADER.toLowerCase()] as string | undefined;
      if (key !== undefined && keys.has(key)) stats.duplicates += 1;
      if (key !== undefined) keys.add(key);
      const kind = String((JSON.parse(body) as { kind?: unknown }).kind ?? "unknown");
      stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, stats, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** An example shows a labelled issue of its session within this much time of it (the eval's `rootKeysOfExample` window). */
const NEAR_MS = 15_000;

/** The root problem of a labelled issue: a consequence counts for its root. */
const rootKeyOf = (issue: LabelledIssue): string => issue.consequence_of ?? issue.pattern_key;

/** What a released copy stands for: its app, its committed session and how far its times were moved. */
interface Released {
  app: string;
  from: string;
  shiftMs: number;
}

interface AppWorld {
  app: string;
  source: string;
  project: string;
  dataset: string;
  ids: string[];
  labels: Map<string, LabelledIssue[]>;
  ends: Map<string, number>;
  monitorId: string;
  pipeline: Pipeline;
  released: Map<string, Released>;
  sweeps: SweepRecord[];
  /** Wall seconds of each of its sweeps. */
  sweepSeconds: number[];
  /** Issue id → label → examples voting for it. */
  votes: Map<number, Map<string, number>>;
  /** Examples of report patterns that no issue matched (should be 0). */
  unattributed: number;
}

async function loadApp(app: string, datasetDir: string): Promise<Pick<AppWorld, "ids" | "labels" | "ends">> {
  const source = path.join(ROOT, datasetDir);
  const raw = LabelsSchema.parse(JSON.parse(await readFile(path.join(source, "labels.json"), "utf8")));
  const ids = (await readdir(path.join(source, "sessions"))).sort();
  if (ids.length === 0) throw new Error(`${app}: no sessions in ${datasetDir}`);
  const labels = new Map<string, LabelledIssue[]>();
  for (const id of ids) labels.set(id, raw.sessions[id]?.issues ?? []);
  const ends = new Map<string, number>();
  for (const id of ids) ends.set(id, Date.parse((JSON.parse(await readFile(path.join(source, "sessions", id, "meta.json"), "utf8")) as { end: string }).end));
  return { ids, labels, ends };
}

/** The root problem an example shows: its session's labelled issue nearest in time to the example's event, within `NEAR_MS`. */
function labelOf(world: AppWorld, example: PatternExample): string {
  const released = world.released.get(example.session_id);
  if (!released) return UNLABELLED;
  const at = Date.parse(example.target.timestamp);
  const near = (world.labels.get(released.from) ?? [])
    .map((issue) => ({ issue, distance: Math.abs(Date.parse(issue.timestamp) + released.shiftMs - at) }))
    .filter(({ distance }) => distance <= NEAR_MS)
    .sort((a, b) => a.distance - b.distance || rootKeyOf(a.issue).localeCompare(rootKeyOf(b.issue)));
  return near[0] ? rootKeyOf(near[0].issue) : UNLABELLED;
}

/** The issue the sweeper matched a pattern to, found again with the sweeper's own rule (`matchIssue`). */
function issueOf(examples: readonly PatternExample[], pattern: Report["patterns"][number], issues: readonly TrackedIssue[], modelWritten: boolean): TrackedIssue | undefined {
  const fingerprint = formatFingerprint(fingerprintParts({ examples: [...examples] }));
  return matchIssue(fingerprint, pattern, new Map(issues.map((issue) => [issue.fingerprint, issue])), { modelWritten });
}

async function attribute(world: AppWorld, sweep: SweepRecord, issues: readonly TrackedIssue[]): Promise<void> {
  if (sweep.sessions === 0) return;
  const state = await world.pipeline.graph.getState({ configurable: { thread_id: sweepThreadId(world.project, sweep.id) } });
  const key = (state.values as Partial<SummarizeStateType>).report_key;
  if (!key) throw new Error(`${world.app}: sweep ${sweep.id} has no report`);
  const report = ReportSchema.parse(await world.pipeline.runtime.blobs.getJson(key));
  const modelWritten = report.analyst.kind !== "heuristic";
  for (const pattern of report.patterns) {
    const examples = pattern.examples.filter((example) => world.released.has(example.session_id));
    if (examples.length === 0) continue;
    const issue = issueOf(examples, pattern, issues, modelWritten);
    if (!issue) {
      world.unattributed += examples.length;
      continue;
    }
    const votes = world.votes.get(issue.id) ?? new Map<string, number>();
    for (const example of examples) {
      const label = labelOf(world, example);
      votes.set(label, (votes.get(label) ?? 0) + 1);
    }
    world.votes.set(issue.id, votes);
  }
}

/** The label an issue stands for: most votes; a tie goes to a labelled problem, then alphabetically. */
function majority(votes: ReadonlyMap<string, number> | undefined): string {
  if (!votes || votes.size === 0) return UNLABELLED;
  return [...votes.entries()].sort((a, b) => b[1] - a[1] || Number(a[0] === UNLABELLED) - Number(b[0] === UNLABELLED) || a[0].localeCompare(b[0]))[0]![0];
}

function fileBytes(file: string): number {
  return [file, `${file}-wal`].filter((f) => existsSync(f)).reduce((sum, f) => sum + statSync(f).size, 0);
}

async function main(): Promise<void> {
  const sessions = positiveInt("sessions", "200");
  const sweeps = positiveInt("sweeps", "10");
  const concurrency = positiveInt("concurrency", "16");
  const model = arg("model", "scripted");
  if (model !== "scripted" && model !== "offline") throw new Error(`--model must be scripted or offline, got ${JSON.stringify(model)}`);
  const keep = process.argv.includes("--keep");
  // A pattern needs this many sessions in ONE sweep's report to become an issue (the pipeline's setting).
  // Sessions a problem needs across sweeps to be an issue (the monitor's `min_issue_sessions`; sweeps keep one-session patterns as candidates).
  const minIssueSessions = positiveInt("min-issue-sessions", "2");
  const idleMinutes = DEFAULTS.watch.sessionIdleMinutes;
  // Sessions end in the hour before their sweep, at least the idle time before it, and after the previous sweep's watermark.
  if (idleMinutes > 55) throw new Error(`the idle time (${idleMinutes} min) leaves no room for sessions to end within the hour between sweeps`);

  const work = await mkdtemp(path.join(tmpdir(), "ss-bench-watch-"));
  const hook = await receiver();
  const clock = new ManualClock(START);
  const storeFile = path.join(work, "watch.sqlite");
  const store = await openWatchStoreAt({ kind: "sqlite", file: storeFile });
  const checkpointer = await createCheckpointer({ kind: "sqlite", file: path.join(work, "checkpoints.sqlite") });
  const blobs = new FilesystemBlobStore(path.join(work, "blobs"));
  const config = model === "scripted" ? readConfig({ OPENAI_API_KEY: "unused" }) : readConfig({});
  const worlds: AppWorld[] = [];
  try {
    for (const { app, dataset } of APPS) {
      const project = app;
      const dir = path.join(work, app, "dataset");
      const pipeline = await createPipeline({
        config,
        source: new DatasetSource(dir),
        project,
        blobs,
        checkpointer: checkpointer.saver,
        validation: "off",
        ...(model === "scripted" ? { models: { factory: ({ role }: { role: string }) => new ScriptedChatModel({ script: readingScript, role }) } } : {}),
      });
      const definition = MonitorDefinitionSchema.parse({
        name: `${app} (bench)`,
        min_issue_sessions: minIssueSessions,
        // Hourly sweeps: resolved after 3 sweeps and 2 hours without the problem, so rare problems resolve and regress.
        resolve_after_sweeps: 3,
        resolve_after_hours: 2,
        alerts: { rules: [{ kind: "new_issue", min_severity: "low" }, { kind: "regression" }], channels: [{ kind: "webhook", url: hook.url, secret_ref: "hook" }], cooldown_minutes: 0 },
      });
      const monitor = await store.createMonitor(project, definition, clock.now());
      worlds.push({
        app,
        source: path.join(ROOT, dataset),
        project,
        dataset: dir,
        ...(await loadApp(app, dataset)),
        monitorId: monitor.id,
        pipeline,
        released: new Map(),
        sweeps: [],
        sweepSeconds: [],
        votes: new Map(),
        unattributed: 0,
      });
    }
    const sweeper = new WatchSweeper({
      store,
      pipelineFor: (project) => worlds.find((w) => w.project === project)!.pipeline,
      clock,
      sessionIdleMinutes: idleMinutes,
      alertSecrets: { hook: SECRET },
      deliveryRetries: 3,
      deliveryMinTimeoutMs: 5,
      sessionConcurrency: concurrency,
      logger: createLogger({ level: "warn" }),
    });

    process.stderr.write(`watch bench: ${sessions} sessions over ${sweeps} sweeps, ${model} model, ${APPS.map((a) => a.dataset).join(" + ")}, work dir ${work}\n`);
    const next = new Map(worlds.map((w) => [w.app, 0]));
    const sweepSeconds: number[] = [];
    for (let k = 0; k < sweeps; k++) {
      const at = clock.set(new Date(START.getTime() + (k + 1) * HOUR_MS));
      const first = Math.floor((k * sessions) / sweeps);
      const last = Math.floor(((k + 1) * sessions) / sweeps);
      const share = last - first;
      const releases = new Map<string, Release[]>(worlds.map((w) => [w.app, []]));
      for (let i = first; i < last; i++) {
        const world = worlds[i % worlds.length]!;
        const n = next.get(world.app)!;
        next.set(world.app, n + 1);
        // Ends from (at − 59 min) to (at − idle − 1 min), spread evenly over the share.
        const span = (59 - idleMinutes - 1) * MINUTE_MS;
        const endAt = new Date(at.getTime() - 59 * MINUTE_MS + (share <= 1 ? span : Math.round(((i - first) * span) / (share - 1))));
        releases.get(world.app)!.push({ from: world.ids[n % world.ids.length]!, as: `bench/${world.app}/${n}`, endAt });
      }
      for (const world of worlds) {
        const list = releases.get(world.app)!;
        const ids = await releaseSessions(world.source, world.dataset, list);
        ids.forEach((id, j) => world.released.set(id, { app: world.app, from: list[j]!.from, shiftMs: list[j]!.endAt.getTime() - world.ends.get(list[j]!.from)! }));
      }
      const started = performance.now();
      const records: SweepRecord[] = [];
      for (const world of worlds) {
        const startedApp = performance.now();
        const record = await sweeper.runSweep(world.project, world.monitorId);
        world.sweepSeconds.push((performance.now() - startedApp) / 1000);
        world.sweeps.push(record);
        records.push(record);
      }
      const seconds = (performance.now() - started) / 1000;
      sweepSeconds.push(seconds);
      for (const [j, world] of worlds.entries()) await attribute(world, records[j]!, await store.listIssues(world.project, { monitor_id: world.monitorId }));
      const issues = (await Promise.all(worlds.map((w) => store.listIssues(w.project, { monitor_id: w.monitorId })))).map((list) => list.length);
      process.stderr.write(
        `  sweep ${k + 1}/${sweeps} at ${at.toISOString()}: ${records.map((r, j) => `${worlds[j]!.app} ${r.status} ${r.sessions} sessions, ${r.model_calls} calls, ${issues[j]} issues`).join("; ")}; ${seconds.toFixed(2)} s; ${hook.stats.delivered} alerts so far\n`,
      );
    }

    const dbBytes = fileBytes(storeFile);
    const totals = { issues_created: 0, root_problems_labelled: 0, duplicate_issues: 0, unmatched_issues: 0, noise_issues: 0, problems_missed: 0, model_calls: 0, alerts_recorded: 0 };
    for (const world of worlds) {
      const issues = await store.listIssues(world.project, { monitor_id: world.monitorId });
      const labelled = [...world.released.values()].flatMap((r) => world.labels.get(r.from) ?? []);
      const problems = new Set(labelled.filter((issue) => PATTERN_WORTHY.has(issue.kind) && !issue.consequence_of).map(rootKeyOf));
      const noise = new Set(labelled.map(rootKeyOf).filter((key) => !problems.has(key)));
      // Issues by the labelled problem they stand for (noise too: two issues for one benign error are a duplicate all the same).
      const byLabel = new Map<string, TrackedIssue[]>();
      const unmatched: TrackedIssue[] = [];
      for (const issue of issues) {
        const label = majority(world.votes.get(issue.id));
        if (label === UNLABELLED) unmatched.push(issue);
        else byLabel.set(label, [...(byLabel.get(label) ?? []), issue]);
      }
      const duplicates = [...byLabel.entries()].filter(([, list]) => list.length > 1);
      const noiseIssues = [...byLabel.entries()].filter(([label]) => !problems.has(label)).flatMap(([, list]) => list);
      const missed = [...problems].filter((problem) => !byLabel.has(problem)).sort();
      const alerts = await store.listAlerts(world.project, { monitor_id: world.monitorId });
      const modelCalls = world.sweeps.reduce((sum, s) => sum + s.model_calls, 0);
      const states: Record<string, number> = {};
      for (const issue of issues) states[issue.state] = (states[issue.state] ?? 0) + 1;
      const line = {
        bench: "watch",
        app: world.app,
        dataset: path.relative(ROOT, world.source),
        sessions: world.released.size,
        sessions_taken: world.sweeps.reduce((sum, s) => sum + s.sessions, 0),
        seconds_per_sweep: Number((world.sweepSeconds.reduce((a, b) => a + b, 0) / world.sweepSeconds.length).toFixed(3)),
        model_calls: modelCalls,
        issues_created: issues.length,
        root_problems_labelled: problems.size,
        noise_problems_labelled: noise.size,
        problems_found: [...problems].filter((problem) => byLabel.has(problem)).length,
        duplicate_issues: duplicates.reduce((sum, [, list]) => sum + list.length - 1, 0),
        unmatched_issues: unmatched.length,
        noise_issues: noiseIssues.length,
        problems_missed: missed.length,
        alerts_recorded: alerts.length,
        issue_states: states,
        unattributed_examples: world.unattributed,
        issues: issues.map((i) => {
          const votes = world.votes.get(i.id);
          const total = [...(votes?.values() ?? [])].reduce((a, b) => a + b, 0);
          const problem = majority(votes);
          return { id: i.id, title: i.title.slice(0, 80), state: i.state, sessions: i.sessions_total, problem, share: total === 0 ? 0 : Number(((votes?.get(problem) ?? 0) / total).toFixed(2)) };
        }),
        duplicates: duplicates.map(([problem, list]) => ({ problem, issues: list.map((i) => ({ id: i.id, title: i.title, fingerprint: i.fingerprint })) })),
        unmatched: unmatched.map((i) => ({ id: i.id, title: i.title, fingerprint: i.fingerprint, sessions: i.sessions_total })),
        noise: noiseIssues.map((i) => ({ id: i.id, title: i.title, fingerprint: i.fingerprint, sessions: i.sessions_total, stands_for: majority(world.votes.get(i.id)) })),
        missed,
      };
      console.log(JSON.stringify(line));
      totals.issues_created += line.issues_created;
      totals.root_problems_labelled += line.root_problems_labelled;
      totals.duplicate_issues += line.duplicate_issues;
      totals.unmatched_issues += line.unmatched_issues;
      totals.noise_issues += line.noise_issues;
      totals.problems_missed += line.problems_missed;
      totals.model_calls += modelCalls;
      totals.alerts_recorded += alerts.length;
    }
    const meanSeconds = sweepSeconds.reduce((a, b) => a + b, 0) / sweepSeconds.length;
    console.log(
      JSON.stringify({
        bench: "watch",
        sessions,
        sweeps,
        seconds_per_sweep: Number(meanSeconds.toFixed(3)),
        model_calls: totals.model_calls,
        db_bytes: dbBytes,
        issues_created: totals.issues_created,
        root_problems_labelled: totals.root_problems_labelled,
        duplicate_issues: totals.duplicate_issues,
        alerts_sent: hook.stats.delivered,
        duplicate_alerts: hook.stats.duplicates,
        model,
        min_issue_sessions: minIssueSessions,
        unmatched_issues: totals.unmatched_issues,
        noise_issues: totals.noise_issues,
        problems_missed: totals.problems_missed,
        alerts_recorded: totals.alerts_recorded,
        alerts_by_kind: hook.stats.byKind,
        machine: `${cpus().length} cores, node ${process.version}`,
      }),
    );
  } finally {
    for (const world of worlds) await world.pipeline.close();
    await checkpointer.close();
    await blobs.close();
    await store.close();
    await hook.close();
    if (keep) process.stderr.write(`kept ${work}\n`);
    else await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
