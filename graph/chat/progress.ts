import type { RunProgressUpdate } from "../../src/service/progress.ts";

/** A report run's progress, streamed by `summarize_sessions` in the chat graph's `custom` mode. */
export interface ChatProgressEvent {
  kind: "report_progress";
  report_id?: string;
  stage: string;
  /** e.g. `Watching sessions 37/100`. */
  message: string;
  done?: number;
  total?: number;
}

export function toChatProgressEvent(update: Pick<RunProgressUpdate, "stage" | "message" | "done" | "total">, reportId?: string): ChatProgressEvent {
  return {
    kind: "report_progress",
    ...(reportId ? { report_id: reportId } : {}),
    stage: update.stage,
    message: update.message,
    ...(update.done === undefined ? {} : { done: update.done }),
    ...(update.total === undefined ? {} : { total: update.total }),
  };
}

export function isChatProgressEvent(value: unknown): value is ChatProgressEvent {
  return (value as { kind?: unknown } | null)?.kind === "report_progress";
}
