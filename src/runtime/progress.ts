import type { RunEvent, RunProgressUpdate, RunStage } from "../domain/progress.ts";

export const STAGE_LABELS: Record<RunStage, string> = {
  starting: "Starting",
  sessions: "Watching sessions",
  extracting: "Extracting patterns",
  combining: "Combining patterns",
  assigning: "Assigning examples",
  reporting: "Writing the report",
  done: "Report ready",
};

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

  /**
   * A run resumed from its checkpoint: `done` of its `total` sessions were finished before it
   * stopped, so the count goes on from there (no `sessions_resolved` event comes again).
   */
  resumeSessions(total: number, done: number): RunProgressUpdate {
    this.update = { ...this.begin("sessions", total), sessions_total: total, sessions_done: done, done, message: `${STAGE_LABELS.sessions} ${done}/${total}` };
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
