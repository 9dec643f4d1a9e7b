import { EventEmitter, once, setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type { Pipeline } from "../../graph/pipeline.ts";
import type { SummarizeStateType } from "../../graph/summarize/state.ts";
import type { SessionSelection } from "../domain/selection.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { SessionSummariesError } from "../domain/errors.ts";
import { ReportSchema, type Report } from "../domain/report.ts";
import { keySegment } from "../store/keys.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { isPlausibleId, newReportId, readReport } from "../store/reports.ts";
import { ServiceClosedError, ServiceError, TooManyRunsError } from "./errors.ts";
import { RunProgressTracker } from "../runtime/progress.ts";
import { isRunEvent, type RunStage } from "../domain/progress.ts";
import { PRELIMINARY_LIMITS, PreliminaryIssues, type PreliminaryIssueList } from "../report/preliminary.ts";

/** What to summarize. */
export interface ReportRunRequest {
  title: string;
  focus_area?: string;
  selection: SessionSelection;
}

/** A run's progress as the API and the chat show it. */
export interface ReportRunProgress {
  stage: RunStage;
  /** e.g. `Watching sessions 37/100`. */
  message: string;
  sessions_total?: number;
  sessions_done: number;
  /** The current counting stage's items done / total (sessions, extraction or assignment chunks). */
  done?: number;
  total?: number;
}

export interface ReportRunStatus {
  report_id: string;
  status: "running" | "done" | "failed";
  progress: ReportRunProgress;
  /**
   * Issues triage saw in the sessions so far, before any model read them: while the run is not done
   * (runs of this process). Absent once the report is ready: the report replaces them.
   */
  preliminary_issues?: PreliminaryIssueList;
  error?: { code: string; message: string };
  /** ISO times; `started_at` is known only for runs of this process. */
  started_at?: string;
  finished_at?: string;
}

export interface ReportRunsOptions {
  /** The report pipeline of a project (its runtime's project must be that project). */
  pipelineFor(project: string): Promise<Pipeline> | Pipeline;
  /** Runs under way at once per project, background and foreground together. */
  maxRunsPerProject?: number;
  /** Sessions summarized at once within one run. */
  sessionConcurrency?: number;
  /** Report ids (tests); default `report-<time>-<random>`. */
  newReportId?: () => string;
  /** Where details of unexpected run failures go (their status shows a generic message); default: a logger on stderr. */
  logger?: Logger;
  /** `follow` yields a run's status at most this often (progress and preliminary issues change many times a second). */
  followIntervalMs?: number;
}

/** Finished runs of this process kept for `status` (their errors are not in the checkpoint). */
const FINISHED_KEPT = 500;

/**
 * The report graph's checkpoint thread of a project's report. Both parts are escaped (see
 * `keySegment`), so no project can name a thread of another.
 */
export function reportThreadId(project: string, reportId: string): string {
  return `report:${keySegment(project)}:${keySegment(reportId)}`;
}

interface RunRecord {
  project: string;
  reportId: string;
  tracker: RunProgressTracker;
  preliminary: PreliminaryIssues;
  /** Bumped, and `change` emitted on `changes`, whenever the status may read differently. */
  version: number;
  changes: EventEmitter;
  controller: AbortController;
  status: ReportRunStatus["status"];
  error?: ReportRunStatus["error"];
  startedAt: string;
  finishedAt?: string;
  result: Promise<Report>;
}

/**
 * Runs report graphs for many projects over one checkpointer and blob store: in the background
 * (`start`, polled with `status`), at most `maxRunsPerProject` at once per project, counting the
 * chat's reports (`admit`). Finished reports are found again after a restart.
 */
export class ReportRuns {
  private readonly maxRunsPerProject: number;
  /** Sessions summarized at once within one run; unset: the pipeline's (higher with batching or hedging). */
  readonly sessionConcurrency: number | undefined;
  private readonly newId: () => string;
  private readonly records = new Map<string, RunRecord>();
  private readonly logger: Logger;
  private readonly followIntervalMs: number;
  private closed = false;

  constructor(private readonly options: ReportRunsOptions) {
    this.maxRunsPerProject = options.maxRunsPerProject ?? DEFAULTS.server.maxRunsPerProject;
    this.sessionConcurrency = options.sessionConcurrency;
    this.newId = options.newReportId ?? (() => newReportId());
    this.logger = options.logger ?? createLogger();
    this.followIntervalMs = options.followIntervalMs ?? PRELIMINARY_LIMITS.updateIntervalMs;
  }

  /** Runs under way in a project. */
  running(project: string): number {
    let count = 0;
    for (const record of this.records.values()) if (record.project === project && record.status === "running") count += 1;
    return count;
  }

  /** Starts a run in the background. Throws `TooManyRunsError` at the project's limit. */
  start(project: string, request: ReportRunRequest): ReportRunStatus {
    const record = this.begin(project, request);
    record.result.catch(() => undefined); // the outcome is read through `status`
    return toStatus(record);
  }

  /**
   * Counts a report run elsewhere (the chat's report subgraph) against the project's limit of runs
   * under way; returns its release. Throws `TooManyRunsError` at the limit, `ServiceClosedError` once closed.
   */
  admit(project: string, reportId: string): () => void {
    this.checkAdmission(project);
    const key = recordKey(project, reportId);
    const record: RunRecord = {
      project,
      reportId,
      tracker: new RunProgressTracker(),
      ...newChangeState(),
      controller: new AbortController(),
      status: "running",
      startedAt: new Date().toISOString(),
      result: Promise.resolve(undefined as never),
    };
    this.records.set(key, record);
    // Its outcome is the report in the blob store (or none): `status` reads it from there once released.
    return () => {
      if (this.records.get(key) === record) this.records.delete(key);
      changed(record);
    };
  }

  async status(project: string, reportId: string): Promise<ReportRunStatus | undefined> {
    if (!isPlausibleId(project) || !isPlausibleId(reportId)) return undefined;
    const record = this.records.get(recordKey(project, reportId));
    if (record) return toStatus(record);
    const finished = await this.getReport(project, reportId);
    if (finished) return doneStatus(finished);
    const pipeline = await this.pipeline(project);
    const state = await pipeline.graph.getState(this.thread(project, reportId));
    const values = state.values as Partial<SummarizeStateType>;
    if (values.report_id === undefined) return undefined;
    const progress: ReportRunProgress = {
      stage: "done",
      message: "",
      ...(values.session_ids ? { sessions_total: values.session_ids.length } : {}),
      sessions_done: values.session_results?.length ?? 0,
    };
    const stage = stageOfNode(state.next[0]);
    return {
      report_id: reportId,
      status: "failed",
      progress: { ...progress, stage, message: `Stopped at: ${STAGE_MESSAGES[stage]}` },
      error: { code: "interrupted", message: "the run stopped before it finished (it failed, or the process ended); start a new run" },
    };
  }

  /**
   * A run's status now and each time it changes, at most once per `followIntervalMs` (changes in
   * between go out together), until it is done or failed (the last one yielded). Nothing for a run
   * this project does not have. Ends quietly when `signal` aborts.
   */
  async *follow(project: string, reportId: string, signal: AbortSignal): AsyncIterable<ReportRunStatus> {
    const key = recordKey(project, reportId);
    for (;;) {
      const record = this.records.get(key);
      if (!record) {
        // Finished before this process, or a chat's run that was released: its outcome is in the store.
        const status = await this.status(project, reportId);
        if (status && !signal.aborted) yield status;
        return;
      }
      const seen = record.version;
      yield toStatus(record);
      if (record.status !== "running") return;
      try {
        await sleep(this.followIntervalMs, undefined, { signal });
        if (record.version === seen) await once(record.changes, "change", { signal });
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
    }
  }

  /** The finished report, only from this project. */
  async getReport(project: string, reportId: string): Promise<Report | undefined> {
    const pipeline = await this.pipeline(project);
    return readReport(pipeline.runtime.blobs, project, reportId);
  }

  /** Refuses new runs, aborts those under way and waits for them to stop. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.records.values()].filter((record) => record.status === "running");
    for (const record of running) record.controller.abort(new ServiceClosedError());
    await Promise.allSettled(running.map((record) => record.result));
  }

  private begin(project: string, request: ReportRunRequest): RunRecord {
    this.checkAdmission(project);
    const controller = new AbortController();
    const signal = controller.signal;
    // Every node and model call of the run listens to it: far more than the default 10.
    setMaxListeners(0, signal);
    const record: RunRecord = {
      project,
      reportId: this.newId(),
      tracker: new RunProgressTracker(),
      ...newChangeState(),
      controller,
      status: "running",
      startedAt: new Date().toISOString(),
      result: Promise.resolve(undefined as never),
    };
    this.records.set(recordKey(project, record.reportId), record);
    record.result = this.execute(record, request, signal).then(
      (report) => {
        record.status = "done";
        record.finishedAt = new Date().toISOString();
        changed(record);
        return report;
      },
      (error: unknown) => {
        record.status = "failed";
        record.finishedAt = new Date().toISOString();
        record.error = describeError(error, signal);
        if (record.error.code === "run_failed") this.logger.error({ err: error, project: record.project, report: record.reportId }, "report run failed");
        changed(record);
        throw error;
      },
    );
    void record.result.finally(() => this.forgetOldRecords()).catch(() => undefined);
    return record;
  }

  private checkAdmission(project: string): void {
    if (this.closed) throw new ServiceClosedError();
    if (this.running(project) >= this.maxRunsPerProject) throw new TooManyRunsError(project, this.maxRunsPerProject);
  }

  private async execute(record: RunRecord, request: ReportRunRequest, signal: AbortSignal): Promise<Report> {
    const pipeline = await this.pipeline(record.project);
    const thread = {
      ...this.thread(record.project, record.reportId),
      maxConcurrency: this.sessionConcurrency ?? pipeline.runtime.settings.sessionConcurrency ?? DEFAULTS.pipeline.sessionConcurrency,
      signal,
    };
    const input = { report_id: record.reportId, title: request.title, focus_area: request.focus_area, selection: request.selection };
    // With the subgraphs' own events: the sessions' progress comes from the session subgraph.
    const stream = await pipeline.graph.stream(input, { ...thread, streamMode: ["custom"], subgraphs: true });
    for await (const [, , event] of stream as AsyncIterable<[string[], string, unknown]>) {
      if (!isRunEvent(event)) continue;
      if (event.kind === "preliminary_issues") {
        if (record.preliminary.add(event)) changed(record);
      } else {
        record.tracker.handle(event);
        changed(record);
      }
    }
    signal.throwIfAborted();
    const state = await pipeline.graph.getState(this.thread(record.project, record.reportId));
    const key = (state.values as Partial<SummarizeStateType>).report_key;
    const stored = key ? await pipeline.runtime.blobs.getJson(key) : undefined;
    if (!stored) throw new ServiceError("no_report", `report run ${record.reportId} ended without a report`);
    return ReportSchema.parse(stored);
  }

  private async pipeline(project: string): Promise<Pipeline> {
    const pipeline = await this.options.pipelineFor(project);
    // A mix-up here would file one project's reports under another's keys.
    if (pipeline.runtime.project !== project) throw new ServiceError("wrong_project", `the pipeline for project ${JSON.stringify(project)} belongs to ${JSON.stringify(pipeline.runtime.project)}`);
    return pipeline;
  }

  private thread(project: string, reportId: string) {
    return { configurable: { thread_id: reportThreadId(project, reportId) } };
  }

  private forgetOldRecords(): void {
    const finished = [...this.records.entries()].filter(([, record]) => record.status !== "running");
    for (const [key] of finished.slice(0, Math.max(0, finished.length - FINISHED_KEPT))) this.records.delete(key);
  }
}

const STAGE_MESSAGES: Record<RunStage, string> = {
  starting: "choosing the sessions",
  sessions: "watching sessions",
  extracting: "extracting patterns",
  combining: "combining patterns",
  assigning: "assigning examples",
  reporting: "writing the report",
  done: "done",
};

/** The stage a stopped run was about to run. */
export function stageOfNode(node: string | undefined): RunStage {
  switch (node) {
    case "session":
    case "gather":
      return "sessions";
    case "extract_patterns":
      return "extracting";
    case "combine_patterns":
      return "combining";
    case "assign_patterns":
      return "assigning";
    case "build_report":
      return "reporting";
    default:
      return "starting";
  }
}

function newChangeState(): Pick<RunRecord, "preliminary" | "version" | "changes"> {
  const changes = new EventEmitter();
  // One listener per client following the run.
  changes.setMaxListeners(0);
  return { preliminary: new PreliminaryIssues(), version: 0, changes };
}

function changed(record: RunRecord): void {
  record.version += 1;
  record.changes.emit("change");
}

function recordKey(project: string, reportId: string): string {
  return reportThreadId(project, reportId);
}

function doneStatus(report: Report): ReportRunStatus {
  const patterns = report.patterns.length;
  return {
    report_id: report.id,
    status: "done",
    progress: {
      stage: "done",
      message: `Report ready: ${patterns} pattern${patterns === 1 ? "" : "s"}`,
      sessions_total: report.sessions.requested,
      sessions_done: report.sessions.summarized.length + report.sessions.failed.length + report.sessions.skipped.length,
    },
    finished_at: report.created_at,
  };
}

function toStatus(record: RunRecord): ReportRunStatus {
  const { stage, message, sessions_total, sessions_done, done, total } = record.tracker.current;
  return {
    report_id: record.reportId,
    status: record.status,
    progress: { stage, message, ...(sessions_total === undefined ? {} : { sessions_total }), sessions_done, ...(done === undefined ? {} : { done }), ...(total === undefined ? {} : { total }) },
    // The report replaces the preliminary list; a failed run keeps it (the only answer it gave).
    ...(record.status !== "done" && !record.preliminary.empty ? { preliminary_issues: record.preliminary.list() } : {}),
    ...(record.error ? { error: record.error } : {}),
    started_at: record.startedAt,
    ...(record.finishedAt ? { finished_at: record.finishedAt } : {}),
  };
}

function describeError(error: unknown, signal: AbortSignal): { code: string; message: string } {
  if (signal.aborted) {
    const reason = signal.reason;
    return { code: "aborted", message: reason instanceof Error ? reason.message : "the run was cancelled" };
  }
  if (error instanceof SessionSummariesError) return { code: error.code, message: error.message };
  // Anything else may name files, hosts or queries: its details go to the log only.
  return { code: "run_failed", message: "the run failed unexpectedly: the details are in the server's log" };
}
