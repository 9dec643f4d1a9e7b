import type { TriageSignal } from "./triage.ts";
/**
 * Progress of a report run, as streamed in LangGraph's `custom` mode: the events the report and
 * session graphs write, and what the service, the CLI and the chat read from them. Types (and their
 * guards) only; counting events into progress is `RunProgressTracker` (`src/service/progress.ts`).
 */

/** Progress streamed in `custom` mode for CLIs, the chat agent and the API. */
export type ProgressEvent =
  | { kind: "sessions_resolved"; total: number }
  | { kind: "stage"; stage: "extracting" | "combining" | "assigning" | "reporting"; total?: number }
  | { kind: "chunk_done"; stage: "extracting" | "assigning"; index: number; ok: boolean; error?: string }
  | { kind: "report_ready"; report_key: string; patterns: number };

/** A progress event streamed in `custom` mode; consumers count them to show "Watching sessions 37/100". */
export interface SessionDoneEvent {
  kind: "session_done";
  session_id: string;
  status: "summarized" | "failed" | "skipped";
  cached: boolean;
  reason?: string;
}

/**
 * A session's issue signals as triage read them (offline rules, before any model call): the first
 * answers of a run, shown as preliminary until the report replaces them.
 */
export interface PreliminaryIssuesEvent {
  kind: "preliminary_issues";
  session_id: string;
  signals: TriageSignal[];
}

export type RunEvent = ProgressEvent | SessionDoneEvent | PreliminaryIssuesEvent;

/** True for the events the report graph streams in `custom` mode (tool events and others are ignored). */
export function isRunEvent(value: unknown): value is RunEvent {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return kind === "sessions_resolved" || kind === "session_done" || kind === "stage" || kind === "chunk_done" || kind === "report_ready" || kind === "preliminary_issues";
}

/** Where a report run is; `counting` stages have a done/total counter. */
export type RunStage = "starting" | "sessions" | "extracting" | "combining" | "assigning" | "reporting" | "done";

/** The run's progress after one streamed event, as people read it ("Watching sessions 37/100"). */
export interface RunProgressUpdate {
  stage: RunStage;
  /** e.g. `Watching sessions 37/100`, `Combining patterns`, `Report ready: 4 patterns`. */
  message: string;
  /** This event began the stage (a new bar, or a new line in a log). */
  started: boolean;
  /** Items of a counting stage finished so far, and how many there are. */
  done?: number;
  total?: number;
  /** Items of the current stage that failed, and sessions whose summary came from the cache. */
  failed: number;
  cached: number;
  /** e.g. `2 failed 5 cached`, `chunk 2 failed`; empty when there is nothing to add. */
  detail: string;
  sessions_total?: number;
  sessions_done: number;
  /** Patterns in the finished report. */
  patterns?: number;
}
