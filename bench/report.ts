/**
 * Report benchmark: N sessions cloned (new ids) from a dataset, summarized by a fake model whose
 * latency is drawn per call, through the real report graph on the SQLite checkpointer.
 *
 *   npm run bench:report -- --sessions 100 [--concurrency 16] [--scale 0.01] [--dataset examples/dataset]
 *     [--triage off|signals] [--batch] [--hedge] [--fast] [--max-in-flight 50] [--baseline [--baseline-scale 0.01]]
 *
 * Levers (issue "triage, batching, hedging"), passed to the run as configuration: `--triage`
 * (`SESSION_SUMMARIES_TRIAGE`, default `off` here: today's behaviour), `--batch`
 * (`SESSION_SUMMARIES_BATCH`), `--hedge` (`SESSION_SUMMARIES_HEDGE`, with the early gather's grace
 * scaled like the latencies), `--max-in-flight` (`SESSION_SUMMARIES_MODEL_CONCURRENCY`). `--fast`
 * turns on every lever at its default. With batching or hedging on, the run's concurrency defaults to
 * `DEFAULTS.pipeline.fastSessionConcurrency` (batches form only from sessions waiting together).
 * `--baseline` first runs the same sessions with every lever off, in the same process, and compares
 * (at `--baseline-scale`, default `--scale`: its calls and tokens do not depend on it).
 *
 * Latency model (documented, deterministic per prompt): a session summary takes 20–60 s, a
 * pattern extraction (alone or with assignment in one call) or combination 30–90 s, an assignment
 * 10–30 s, uniformly, multiplied by `--scale` (default 0.01, so 20–60 s becomes 0.2–0.6 s).
 * A slow tail: 5% of calls take 3–5× longer, drawn per prompt and attempt, so a hedged duplicate of a
 * slow call draws again. Assumption: a batch of n sessions takes the summary draw × (1 + 0.15 (n − 1)),
 * as a provider's time grows mostly with the output and a batch shares one request's overhead.
 * The sleep stops when the call is aborted (a hedge's loser), so a cancelled call frees its slot.
 *
 * The critical path is what the run could not go below at this concurrency, from the calls made:
 * the makespan of the summary calls (answered: their latency; cancelled: the time they ran)
 * list-scheduled on min(concurrency, max-in-flight) slots, plus the slowest extraction, combination
 * and assignment in sequence. It ignores the early gather's overlap of stragglers with extraction.
 * `simulated_wall_s` is wall ÷ scale: the run at real latencies, but its real CPU time is multiplied
 * too, so a small --scale overstates it. `estimated_wall_s` is the real time before the first call
 * (loading, triage, batching's wait: real time in production too) and after the last one, plus the
 * critical path ÷ scale: the work done while calls are in flight hides behind real latencies.
 * `first_issue_s` is real time: triage runs before any model call, on the CPU.
 *
 * Prints progress on stderr, the baseline's JSON line when asked, and one JSON line last.
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { createPipeline } from "../graph/pipeline.ts";
import { DEFAULTS } from "../src/config/defaults.ts";
import { readConfig } from "../src/config/env.ts";
import { ReportSchema } from "../src/domain/report.ts";
import { messageText } from "../src/llm/structured/messages.ts";
import { TRIAGE_MODES, type TriageMode } from "../src/domain/triage.ts";
import { DatasetSource } from "../src/sources/dataset.ts";
import { createCheckpointer } from "../src/store/checkpointer.ts";
import { MemoryBlobStore } from "../src/store/memory-blob-store.ts";
import { cloneDataset } from "../test/fixtures/clone-dataset.ts";
import {
  assignmentsFromPrompt,
  assignmentsYaml,
  batchSessionsIn,
  extractAssignYamlFromPrompt,
  patternsYaml,
  purposeOf,
  summariesYamlFromBatchPrompt,
  summaryYamlFromPrompt,
  type Purpose,
} from "../test/fakes/responses.ts";
import { realSleep, ScriptedChatModel, type ScriptedCall, type ScriptedReply } from "../test/fakes/scripted-model.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LATENCY_S = { summarize: [20, 60], extract: [30, 90], combine: [30, 90], assign: [10, 30] } as const;
type LatencyClass = keyof typeof LATENCY_S;
const SLOW_TAIL = { share: 0.05, factor: [3, 5] } as const;
/** Extra time per further session of a batch, as a share of one summary (an assumption, see above). */
const BATCH_EXTRA_PER_SESSION = 0.15;
/** Today's run: the bench's concurrency before the levers. */
const BASELINE_CONCURRENCY = 16;
/** The issue's targets for 100 sessions (`simulated_wall_s` with at most `maxInFlight` calls in flight). */
const TARGETS = { callsPer100Sessions: 40, inputTokensRatio: 0.5, simulatedWallS: 120, maxInFlight: 50, hedgedShare: 0.1, firstIssueS: 10 } as const;

/** Latency class of each prompt the pipeline sends; other prompts have none and get an error answer. */
const LATENCY_OF_PURPOSE: Partial<Record<Purpose, LatencyClass>> = {
  summarize: "summarize",
  summarize_batch: "summarize",
  extract: "extract",
  extract_assign: "extract",
  combine: "combine",
  assign: "assign",
};

interface Levers {
  triage: TriageMode;
  batch: boolean;
  hedge: boolean;
}

interface RunOptions {
  label: "baseline" | "run";
  datasetDir: string;
  workDir: string;
  sessions: number;
  concurrency: number;
  maxInFlight: number;
  scale: number;
  levers: Levers;
}

/** One model call as the fake saw it. */
interface CallRecord {
  purpose: Purpose;
  latency: LatencyClass;
  /** Drawn latency, scaled. */
  ms: number;
  slow: boolean;
  startedMs: number;
  endedMs?: number;
  outcome?: "answered" | "cancelled" | "failed";
}

function unitOf(...parts: string[]): number {
  return createHash("sha256").update(parts.join("\u0000")).digest().readUInt32BE(0) / 2 ** 32;
}

function drawLatency(latency: LatencyClass, prompt: string, attempt: number, batchSessions: number, scale: number): { ms: number; slow: boolean } {
  const [low, high] = LATENCY_S[latency];
  const base = low + unitOf(prompt) * (high - low);
  const slow = unitOf(prompt, "tail", String(attempt)) < SLOW_TAIL.share;
  const tail = slow ? SLOW_TAIL.factor[0] + unitOf(prompt, "tail factor", String(attempt)) * (SLOW_TAIL.factor[1] - SLOW_TAIL.factor[0]) : 1;
  const batch = 1 + BATCH_EXTRA_PER_SESSION * Math.max(0, batchSessions - 1);
  return { ms: base * tail * batch * 1000 * scale, slow };
}

/** Makespan of jobs taken in order by the first free of `slots` workers. */
function listSchedule(durations: number[], slots: number): number {
  const free = new Array<number>(slots).fill(0);
  for (const d of durations) {
    const i = free.indexOf(Math.min(...free));
    free[i] = free[i]! + d;
  }
  return Math.max(0, ...free);
}

const BENCH_PATTERNS = [
  { pattern_name: "Frustrated clicks on checkout", severity: "high" },
  { pattern_name: "Errors while searching", severity: "critical" },
] as const;

/** Answers by purpose: summaries that cite the prompt's events, the same two patterns, every listed event assigned to the first. */
const BUILDERS: Partial<Record<Purpose, (prompt: string) => string>> = {
  summarize: (prompt) => summaryYamlFromPrompt(prompt),
  summarize_batch: (prompt) => summariesYamlFromBatchPrompt(prompt),
  extract: () => patternsYaml(BENCH_PATTERNS),
  combine: () => patternsYaml(BENCH_PATTERNS),
  assign: (prompt) => assignmentsYaml(assignmentsFromPrompt(prompt)),
  extract_assign: (prompt) => extractAssignYamlFromPrompt(prompt, BENCH_PATTERNS),
};

/** Every call of a run: latencies drawn, calls in flight counted. */
class CallLog {
  readonly calls: CallRecord[] = [];
  readonly unknownPurposes = new Map<Purpose, number>();
  private readonly attempts = new Map<string, number>();
  private inFlight = 0;
  peakInFlight = 0;
  private started = performance.now();

  constructor(private readonly scale: number) {}

  /** Times are from here on. */
  start(): void {
    this.started = performance.now();
  }

  begin(role: string, messages: readonly BaseMessage[]): CallRecord | undefined {
    const purpose = purposeOf(messages);
    const latency = LATENCY_OF_PURPOSE[purpose];
    if (!latency) return undefined;
    const human = messages.find((message) => message.getType() === "human");
    const prompt = human ? messageText(human) : "";
    const key = `${role}\u0000${prompt}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const batchSessions = purpose === "summarize_batch" ? batchSessionsIn(prompt).length : 1;
    const record: CallRecord = { purpose, latency, ...drawLatency(latency, prompt, attempt, batchSessions, this.scale), startedMs: performance.now() - this.started };
    this.calls.push(record);
    this.peakInFlight = Math.max(this.peakInFlight, ++this.inFlight);
    return record;
  }

  end(record: CallRecord, outcome: NonNullable<CallRecord["outcome"]>): void {
    this.inFlight -= 1;
    record.endedMs = performance.now() - this.started;
    record.outcome = outcome;
  }

  noteUnknown(purpose: Purpose): void {
    this.unknownPurposes.set(purpose, (this.unknownPurposes.get(purpose) ?? 0) + 1);
  }
}

/** The scripted model with the bench's latency: drawn per call, slept after the answer is built, stopped by an abort. */
class LatencyModel extends ScriptedChatModel {
  constructor(
    private readonly log: CallLog,
    role: string,
  ) {
    super({ role, script: (call) => answer(call, log) });
  }

  override async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    const record = this.log.begin(this.role, messages);
    if (!record) return super._generate(messages, options, runManager);
    try {
      const result = await super._generate(messages, options, runManager);
      await realSleep(record.ms, options.signal);
      this.log.end(record, "answered");
      return result;
    } catch (error) {
      this.log.end(record, options.signal?.aborted ? "cancelled" : "failed");
      throw error;
    }
  }
}

function answer(call: ScriptedCall, log: CallLog): ScriptedReply {
  const purpose = purposeOf(call.messages);
  const builder = BUILDERS[purpose];
  if (builder) return builder(call.human);
  log.noteUnknown(purpose);
  return { error: new Error(`bench: no scripted answer for the ${purpose} prompt`) };
}

async function runReport(options: RunOptions) {
  const { levers, scale } = options;
  const log = new CallLog(scale);
  const config = readConfig({
    OPENAI_API_KEY: "unused",
    SESSION_SUMMARIES_TRIAGE: levers.triage,
    SESSION_SUMMARIES_BATCH: levers.batch ? "on" : "off",
    SESSION_SUMMARIES_HEDGE: levers.hedge ? "on" : "off",
    SESSION_SUMMARIES_MODEL_CONCURRENCY: String(options.maxInFlight),
  });
  const hedge = DEFAULTS.speed.hedge;
  const checkpointFile = path.join(options.workDir, `checkpoints-${options.label}.sqlite`);
  const checkpointer = await createCheckpointer({ kind: "sqlite", file: checkpointFile });
  const pipeline = await createPipeline({
    config,
    source: new DatasetSource(options.datasetDir),
    blobs: new MemoryBlobStore(),
    checkpointer: checkpointer.saver,
    models: { factory: ({ role }) => new LatencyModel(log, role) },
    // The grace is real time, like the latencies it waits for: compressed by the same scale.
    ...(levers.hedge ? { settings: { earlyGather: { readyRatio: hedge.gatherReadyRatio, graceMs: hedge.stragglerGraceMs * scale } } } : {}),
  });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  log.start();
  let done = 0;
  let firstIssueMs: number | undefined;
  const stream = await pipeline.graph.stream(
    { report_id: "bench", title: "bench", selection: {} },
    { configurable: { thread_id: "bench" }, maxConcurrency: options.concurrency, streamMode: ["custom"], subgraphs: true },
  );
  for await (const [, mode, event] of stream as AsyncIterable<[string[], string, { kind: string }]>) {
    if (mode !== "custom") continue;
    if (event.kind === "preliminary_issues") firstIssueMs ??= performance.now() - started;
    if (event.kind === "session_done" && ++done % Math.max(1, Math.floor(options.sessions / 10)) === 0) {
      process.stderr.write(`  [${options.label}] ${done}/${options.sessions} sessions, ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const state = (await pipeline.graph.getState({ configurable: { thread_id: "bench" } })).values;
  const report = ReportSchema.parse(await pipeline.runtime.blobs.getJson(state.report_key!));
  await pipeline.close();
  await checkpointer.close();

  const slots = Math.min(options.concurrency, options.maxInFlight);
  const occupied = (call: CallRecord) => (call.outcome === "cancelled" && call.endedMs !== undefined ? call.endedMs - call.startedMs : call.ms);
  const of = (latency: LatencyClass) => log.calls.filter((call) => call.latency === latency).map(occupied);
  const firstCallMs = Math.min(wallMs, ...log.calls.map((call) => call.startedMs));
  const afterLastCallMs = wallMs - Math.max(firstCallMs, ...log.calls.map((call) => call.endedMs ?? wallMs));
  const criticalMs = listSchedule(of("summarize"), slots) + Math.max(0, ...of("extract")) + Math.max(0, ...of("combine")) + Math.max(0, ...of("assign"));
  const modelCalls = report.usage.model_calls;
  const hedgedCalls = report.usage.hedged_calls ?? 0;
  const round = (value: number, digits = 2) => Number(value.toFixed(digits));
  if (log.unknownPurposes.size > 0) process.stderr.write(`  [${options.label}] prompts the bench cannot answer yet: ${JSON.stringify(Object.fromEntries(log.unknownPurposes))}\n`);
  return {
    bench: "report",
    run: options.label,
    sessions: options.sessions,
    summarized: report.sessions.summarized.length,
    failed: report.sessions.failed.length,
    triage: levers.triage,
    batch: levers.batch,
    hedge: levers.hedge,
    concurrency: options.concurrency,
    max_in_flight_cap: options.maxInFlight,
    latency_scale: scale,
    model_calls: modelCalls,
    calls_by_purpose: countBy(log.calls.map((call) => call.purpose)),
    input_tokens: report.usage.input_tokens,
    output_tokens: report.usage.output_tokens,
    hedged_calls: hedgedCalls,
    cancelled_calls: log.calls.filter((call) => call.outcome === "cancelled").length,
    slow_tail_calls: log.calls.filter((call) => call.slow).length,
    unanswerable_calls: [...log.unknownPurposes.values()].reduce((sum, count) => sum + count, 0),
    triage_skipped: report.sessions.triaged_offline?.length ?? 0,
    wall_s: round(wallMs / 1000),
    simulated_wall_s: round(wallMs / 1000 / scale, 1),
    estimated_wall_s: round((firstCallMs + criticalMs / scale + afterLastCallMs) / 1000, 1),
    critical_path_s: round(criticalMs / 1000),
    overhead_ratio: round(wallMs / criticalMs, 3),
    // Real time before any model call (loading, triage, batching's wait) and the process's CPU time: simulated_wall_s multiplies both by 1 / scale.
    first_call_s: round(firstCallMs / 1000, 3),
    cpu_s: round((cpu.user + cpu.system) / 1e6),
    first_issue_s: firstIssueMs === undefined ? null : round(firstIssueMs / 1000, 3),
    max_in_flight: log.peakInFlight,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    checkpoint_bytes: statSync(checkpointFile).size,
    state_bytes: JSON.stringify(state).length,
    patterns: report.patterns.length,
  };
}

type RunFigures = Awaited<ReturnType<typeof runReport>>;

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** The issue's targets for 100 sessions, each with its value and whether it passed. */
function targetsOf(run: RunFigures, baseline: RunFigures | undefined) {
  const target = (value: number | null, limit: number, pass: boolean) => ({ value, limit, pass });
  const callsPer100 = (run.model_calls / run.sessions) * 100;
  const tokensRatio = baseline && baseline.input_tokens > 0 ? run.input_tokens / baseline.input_tokens : null;
  const hedgedShare = run.model_calls > 0 ? run.hedged_calls / run.model_calls : 0;
  return {
    calls_per_100_sessions: target(Number(callsPer100.toFixed(1)), TARGETS.callsPer100Sessions, callsPer100 <= TARGETS.callsPer100Sessions),
    input_tokens_ratio: target(tokensRatio === null ? null : Number(tokensRatio.toFixed(3)), TARGETS.inputTokensRatio, tokensRatio !== null && tokensRatio <= TARGETS.inputTokensRatio),
    simulated_wall_s: target(run.simulated_wall_s, TARGETS.simulatedWallS, run.simulated_wall_s <= TARGETS.simulatedWallS && run.max_in_flight <= TARGETS.maxInFlight),
    hedged_share: target(Number(hedgedShare.toFixed(3)), TARGETS.hedgedShare, hedgedShare <= TARGETS.hedgedShare),
    first_issue_s: target(run.first_issue_s, TARGETS.firstIssueS, run.first_issue_s !== null && run.first_issue_s <= TARGETS.firstIssueS),
  };
}

function readArgs() {
  const { values } = parseArgs({
    options: {
      sessions: { type: "string", default: "100" },
      concurrency: { type: "string" },
      scale: { type: "string", default: "0.01" },
      dataset: { type: "string" },
      triage: { type: "string" },
      batch: { type: "boolean", default: false },
      hedge: { type: "boolean", default: false },
      fast: { type: "boolean", default: false },
      "max-in-flight": { type: "string" },
      baseline: { type: "boolean", default: false },
      "baseline-scale": { type: "string" },
    },
  });
  const triage = values.triage ?? (values.fast ? DEFAULTS.speed.triage : "off");
  if (!(TRIAGE_MODES as readonly string[]).includes(triage)) throw new Error(`--triage must be one of ${TRIAGE_MODES.join(", ")}`);
  const levers: Levers = { triage: triage as TriageMode, batch: values.batch || values.fast, hedge: values.hedge || values.fast };
  return {
    sessions: Number(values.sessions),
    concurrency: Number(values.concurrency ?? (levers.batch || levers.hedge ? DEFAULTS.pipeline.fastSessionConcurrency : BASELINE_CONCURRENCY)),
    maxInFlight: Number(values["max-in-flight"] ?? DEFAULTS.models.maxConcurrency),
    scale: Number(values.scale),
    dataset: values.dataset ?? (existsSync(path.join(ROOT, "examples/dataset/labels.json")) ? "examples/dataset" : "examples/sample"),
    levers,
    baseline: values.baseline,
    baselineScale: Number(values["baseline-scale"] ?? values.scale),
  };
}

async function main(): Promise<void> {
  const args = readArgs();
  const workDir = await mkdtemp(path.join(tmpdir(), "ss-bench-report-"));
  try {
    process.stderr.write(`cloning ${args.sessions} sessions from ${args.dataset}\n`);
    const datasetDir = path.join(workDir, "dataset");
    await cloneDataset(path.resolve(ROOT, args.dataset), datasetDir, args.sessions);
    const common = { datasetDir, workDir, sessions: args.sessions, maxInFlight: args.maxInFlight };
    let baseline: RunFigures | undefined;
    if (args.baseline) {
      baseline = await runReport({ ...common, label: "baseline", scale: args.baselineScale, concurrency: BASELINE_CONCURRENCY, levers: { triage: "off", batch: false, hedge: false } });
      console.log(JSON.stringify(baseline));
    }
    const run = await runReport({ ...common, label: "run", scale: args.scale, concurrency: args.concurrency, levers: args.levers });
    const compared = baseline
      ? {
          baseline: {
            model_calls: baseline.model_calls,
            input_tokens: baseline.input_tokens,
            simulated_wall_s: baseline.simulated_wall_s,
            critical_path_s: baseline.critical_path_s,
            patterns: baseline.patterns,
          },
          input_tokens_ratio: Number((run.input_tokens / Math.max(1, baseline.input_tokens)).toFixed(3)),
        }
      : {};
    console.log(JSON.stringify({ ...run, dataset: args.dataset, ...compared, targets: targetsOf(run, baseline), machine: `${cpus().length} cores, node ${process.version}` }));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
