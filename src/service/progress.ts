import type { SessionDoneEvent } from "../../graph/session/nodes/finalize.ts";
import type { ProgressEvent } from "../../graph/summarize/state.ts";

/** Where a report run is; `counting` stages have a done/total counter. */
export type RunStage = "starting" | "sessions" | "extracting" | "combining" | "assigning" | "reporting" | "done";

export const STAGE_LABELS: Record<RunStage, string> = {
  starting: "Starting",
  sessions: "Watching sessions",
  extracting: "Extracting patterns",
  combining: "Combining patterns",
  assigning: "Assigning examples",
  reporting: "Writing the report",
  done: "Report ready",
};

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

export type RunEvent = ProgressEvent | SessionDoneEvent;

/** True for the events the report graph streams in `custom` mode (tool events and others are ignored). */
export function isRunEvent(value: unknown): value is RunEvent {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return kind === "sessions_resolved" || kind === "session_done" || kind === "stage" || kind === "chunk_done" || kind === "report_ready";
}

/**
 * Counts a report run's streamed events into progress. Pure: the CLI's bars, the service's status
 * and the chat's progress messages all read the same numbers from here.
 */
export class RunProgressTracker {
  private update: RunProgressUpdate = { stage: "starting", message: "Starting", started: true, failed: 0, cached: 0, detail: "", sessions_done: 0 };

  get current(): RunProgressUpdate {
    return this.update;
  }

  handle(event: RunEvent): RunProgressUpdate {
    const previous = this.update;
    switch (event.kind) {
      case "sessions_resolved":
        this.update = { ...this.begin("sessions", event.total), sessions_total: event.total, sessions_done: 0 };
        break;
      case "session_done": {
        const failed = previous.failed + (event.status === "failed" ? 1 : 0);
        const cached = previous.cached + (event.cached ? 1 : 0);
        const sessions = previous.stage === "sessions" ? previous : this.begin("sessions", previous.sessions_total);
        this.update = this.advance({ ...sessions, failed, cached, sessions_done: previous.sessions_done + 1 }, `${failed ? `${failed} failed ` : ""}${cached ? `${cached} cached` : ""}`.trim());
        break;
      }
      case "stage":
        this.update = this.begin(event.stage, event.stage === "extracting" || event.stage === "assigning" ? (event.total ?? 0) : undefined);
        break;
      case "chunk_done": {
        const failed = previous.failed + (event.ok ? 0 : 1);
        const stage = previous.stage === event.stage ? previous : this.begin(event.stage, undefined);
        this.update = this.advance({ ...stage, failed }, event.ok ? "" : `chunk ${event.index + 1} failed`);
        break;
      }
      case "report_ready":
        this.update = { ...this.begin("done", undefined), patterns: event.patterns, message: `Report ready: ${event.patterns} pattern${event.patterns === 1 ? "" : "s"}` };
        break;
    }
    return this.update;
  }

  private begin(stage: RunStage, total: number | undefined): RunProgressUpdate {
    const { sessions_total, sessions_done } = this.update;
    return {
      stage,
      message: total === undefined ? STAGE_LABELS[stage] : `${STAGE_LABELS[stage]} 0/${total}`,
      started: true,
      ...(total === undefined ? {} : { done: 0, total }),
      failed: 0,
      cached: 0,
      detail: "",
      ...(sessions_total === undefined ? {} : { sessions_total }),
      sessions_done,
    };
  }

  private advance(update: RunProgressUpdate, detail: string): RunProgressUpdate {
    const done = (update.done ?? 0) + 1;
    const total = update.total;
    return { ...update, started: false, done, detail, message: `${STAGE_LABELS[update.stage]} ${done}${total === undefined ? "" : `/${total}`}` };
  }
}
