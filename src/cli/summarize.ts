import { describeEstimate, estimateRun } from "../runtime/cost.ts";
import { findSessions } from "../sources/select.ts";
import { describeCost } from "../report/cost.ts";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createPipeline, type Pipeline, type PipelineOptions } from "../../graph/pipeline.ts";
import type { ModelOverrides } from "../llm/models.ts";
import { PipelineError } from "../runtime/errors.ts";
import { prepareResume } from "../../graph/summarize/resume.ts";
import type { SummarizeStateType } from "../../graph/summarize/state.ts";
import type { SessionSelection } from "../domain/selection.ts";
import { readConfig, type AppConfig, type SpeedSettings } from "../config/env.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { ReportSchema, type Report, type ReportPattern } from "../domain/report.ts";
import { loadReportPageData, renderMarkdown, renderReportPage, type ReportPageData } from "../report/index.ts";
import type { ReportPageRuntime } from "../report/page/index.ts";
import { patternTextParts, textWithQuotes, type TextPart } from "../report/untrusted.ts";
import { DatasetSource } from "../sources/dataset.ts";
import type { ValidationMode } from "../domain/validation-mode.ts";
import { formatTable } from "./output.ts";
import { RunProgress } from "./run-progress.ts";

/** What the commands that run the report graph over a dataset (`summarize`, `eval`) take. */
export interface DatasetRunOptions {
  dataset: string;
  models?: ModelOverrides;
  runId?: string;
  concurrency?: number;
  /** Instead of the configured validation mode. */
  validation?: ValidationMode;
  /** Instead of the configured triage, batching and hedging (`--triage`, `--batch`, `--hedge`, `--fast`). */
  speed?: Partial<SpeedSettings>;
  /** For tests: a different configuration and model factory. */
  config?: AppConfig;
  pipeline?: Partial<Omit<PipelineOptions, "config" | "source">>;
}

export interface SummarizeCommandOptions extends DatasetRunOptions {
  selection: SessionSelection;
  title?: string;
  focus?: string;
  out?: string;
  out_stream?: (line: string) => void;
  /** Print the sessions the run would take and its estimated model calls, tokens and cost; run nothing. */
  dryRun?: boolean;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `run-${stamp}-${randomBytes(3).toString("hex")}`;
}

/**
 * `session-summaries summarize <dataset>`: runs (or resumes, with the same `--run-id`) the report
 * graph on the embedded SQLite checkpointer, shows progress, writes report.md / report.json /
 * report.html, and prints the patterns. Returns the exit code: 0 ok, 1 the run failed.
 */
export async function runSummarize(options: SummarizeCommandOptions): Promise<number> {
  const print = options.out_stream ?? ((line: string) => process.stdout.write(`${line}\n`));
  return runOnDataset(options, "run", async (pipeline, runId) => {
    if (options.dryRun) {
      // The sessions the run would take, and what they would cost: nothing is summarized.
      const found = await findSessions(pipeline.runtime.source, options.selection);
      print(`Estimate (nothing was run): ${describeEstimate(estimateRun(pipeline.runtime, found.length), pipeline.runtime.analyst.label.label)}`);
      return;
    }
    const outDir = path.resolve(options.out ?? path.join("reports", runId));
    const report = await executeRun(pipeline, runId, {
      title: options.title ?? `Session report ${new Date().toISOString().slice(0, 10)}`,
      focus: options.focus,
      selection: options.selection,
      concurrency: options.concurrency,
    });
    await writeReport(report, outDir, pipeline.runtime);
    print(patternTable(report));
    print(`\nReport: ${path.join(outDir, "report.html")} (also report.md, report.json)`);
  });
}

/**
 * Builds the dataset's pipeline and does `work` on run `runId` (the given one, else a new one), then
 * closes the pipeline. Returns the exit code: 0 done, 1 the run stopped (what stopped it on stderr).
 */
export async function runOnDataset(options: DatasetRunOptions, what: RunWhat, work: (pipeline: Pipeline, runId: string) => Promise<void>): Promise<number> {
  const configured = options.config ?? readConfig();
  const config = options.speed ? { ...configured, speed: { ...configured.speed, ...options.speed } } : configured;
  const runId = options.runId ?? newRunId();
  const pipeline = await createPipeline({
    config,
    source: new DatasetSource(options.dataset),
    ...options.pipeline,
    ...(options.models ? { models: { ...options.pipeline?.models, overrides: options.models } } : {}),
    ...(options.validation ? { validation: options.validation } : {}),
  });
  try {
    const queue = pipeline.runtime.sessionQueue;
    if (queue) {
      // The run waits for workers: say where, and say it when there is none yet.
      const workers = await queue.workerCount("sessions");
      process.stderr.write(
        `Sessions run as jobs on ${queue.maskedUrl} (prefix ${queue.prefix}): ${
          workers === 0 ? "no worker is serving the sessions queue yet, so they wait until one starts (session-summaries worker)" : `${workers} worker${workers === 1 ? "" : "s"} serving it`
        }\n`,
      );
    }
    await work(pipeline, runId);
    return 0;
  } catch (error) {
    if (!(error instanceof PipelineError)) throw error;
    process.stderr.write(describeStop(error, runId, what));
    return 1;
  } finally {
    await pipeline.close();
  }
}

/** What a stopped run is called in its message. */
type RunWhat = "run" | "evaluation run";

/**
 * What a stopped run prints. Stopped by its data, it says what is wrong with the sessions and
 * offers no resume (the same data stops it again); stopped by model errors or time-outs, it gives
 * the `--run-id` that retries only what failed.
 */
export function describeStop(error: PipelineError, runId: string, what: RunWhat): string {
  if (error.stoppedBy === "data") {
    return `error: the ${what} stopped because of the selected sessions' data: ${error.message}\nRunning it again gives the same result: change the data or the selection (see the README's Data section), then start a new run.\n`;
  }
  return `error: the ${what} stopped: ${error.message}\nRun id ${runId}: after fixing the cause, re-run with --run-id ${runId} to go on.\n`;
}

export interface RunInput {
  title: string;
  focus?: string;
  selection: SessionSelection;
  concurrency?: number;
}

/**
 * Runs the report graph on thread `runId`, or resumes it when it stopped, or just reads it when it
 * finished; shows progress on stderr; returns the report.
 */
export async function executeRun(pipeline: Pipeline, runId: string, input: RunInput): Promise<Report> {
  const thread = { configurable: { thread_id: runId }, maxConcurrency: input.concurrency ?? pipeline.runtime.settings.sessionConcurrency ?? DEFAULTS.pipeline.sessionConcurrency };
  const existing = await pipeline.graph.getState(thread);
  const started = existing.values.report_id !== undefined;
  if (started && existing.next.length === 0 && existing.values.report_key) {
    process.stderr.write(`Run ${runId} already finished; using its report.\n`);
  } else {
    process.stderr.write(
      started
        ? `Resuming run ${runId}: finished sessions are not summarized again.\n`
        : `Run ${runId} with ${pipeline.runtime.analyst.label.label} (re-run with --run-id ${runId} to resume if it stops)\n`,
    );
    const graphInput = started ? null : { report_id: runId, title: input.title, focus_area: input.focus, selection: input.selection };
    const progress = new RunProgress();
    if (started) {
      const replayed = await prepareResume(pipeline.graph, thread);
      if (replayed) process.stderr.write(`The run had stopped at ${replayed.replace("_", " ")}: retrying what failed.\n`);
      const values = existing.values as SummarizeStateType;
      const pending = values.session_ids.length - values.session_results.filter((r) => r.status !== "failed").length;
      if (pending > 0 && replayed !== "combine_patterns" && replayed !== "build_report") progress.handle({ kind: "sessions_resolved", total: pending });
    }
    const stream = await pipeline.graph.stream(graphInput, { ...thread, streamMode: ["custom"], subgraphs: true });
    for await (const [, mode, event] of stream as AsyncIterable<[string[], string, never]>) {
      if (mode === "custom") progress.handle(event);
    }
  }
  const state = await pipeline.graph.getState(thread);
  const report = state.values.report_key ? await pipeline.runtime.blobs.getJson(state.values.report_key) : undefined;
  if (!report) throw new PipelineError("no_report", `run ${runId} ended without a report${state.values.report_key ? ` (${state.values.report_key} is missing from the blob store)` : ""}`);
  return ReportSchema.parse(report);
}

/**
 * Writes report.json, report.md and report.html. With the runtime, the page embeds the sessions'
 * summaries, the replays and the clips; without it, the patterns only.
 */
export async function writeReport(report: Report, outDir: string, runtime?: ReportPageRuntime): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(outDir, "report.md"), renderMarkdown(report));
  const page: ReportPageData = runtime
    ? await loadReportPageData(report, runtime)
    : { report, sessions: report.sessions.summarized.map((id) => ({ session_id: id, unavailable: "not loaded" })), examples: {} };
  await writeFile(path.join(outDir, "report.html"), renderReportPage(page));
}

export function patternTable(report: Report): string {
  const analysed = report.sessions.summarized.length;
  const head = `${report.title}: ${analysed} sessions summarized by ${report.analyst.label}, ${report.sessions.failed.length} failed, ${report.sessions.skipped.length} skipped, ${report.usage.model_calls} model calls${report.cost ? `, ${describeCost(report.cost)}` : ""}`;
  if (report.patterns.length === 0) return `${head}\nNo issue was seen in at least two sessions.`;
  return `${head}\n\n${formatTable(
    ["#", "pattern", "severity", "sessions", "share", "occurrences", "success"],
    report.patterns.map((p) => [
      p.id,
      tableName(p),
      p.severity,
      p.stats.sessions_affected,
      `${Math.round(p.stats.sessions_affected_ratio * 100)}%`,
      p.stats.occurrences,
      `${Math.round(p.stats.segments_success_ratio * 100)}%`,
    ]),
  )}`;
}

/** Characters of a pattern's name the table shows; the origin of a quotation is added to them, never cut. */
const TABLE_NAME_CHARS = 60;

/** A pattern's name for the terminal: page or error text in it is quoted with its origin, never printed as the tool's words. */
function tableName(pattern: ReportPattern): string {
  let budget = TABLE_NAME_CHARS;
  const kept: TextPart[] = [];
  for (const part of patternTextParts(pattern).name) {
    if (budget <= 0) break;
    kept.push({ ...part, text: part.text.length > budget ? `${part.text.slice(0, budget - 1)}…` : part.text });
    budget -= part.text.length;
  }
  return textWithQuotes(kept);
}
