import { Annotation, MessagesAnnotation } from "@langchain/langgraph";
import type { ReportDigest } from "../../src/domain/report-digest.ts";
import type { ReportRequest } from "../../src/domain/report-request.ts";

/** Report ids seen in a thread, oldest first, each once. */
export function mergeReportIds(current: readonly string[], update: readonly string[]): string[] {
  return [...new Set([...current, ...update])];
}

/** The newest report replaces the previous one; an update without a report keeps it. */
export function keepLatestReport(current: ReportDigest | undefined, update: ReportDigest | undefined): ReportDigest | undefined {
  return update ?? current;
}

/**
 * A conversation. The messages are the transcript (tool results included); `report` is the latest
 * report in brief, so follow-ups are answered without running the pipeline again.
 */
export const ChatState = Annotation.Root({
  ...MessagesAnnotation.spec,
  /** Digest of the latest report made (or opened) in this thread. */
  report: Annotation<ReportDigest | undefined>({ reducer: keepLatestReport, default: () => undefined }),
  /** Every report made in this thread, oldest first (search_summaries looks through these). */
  report_ids: Annotation<string[]>({ reducer: mergeReportIds, default: () => [] }),
  /** The report being made in this thread, if any (see `ReportRequest`). */
  report_request: Annotation<ReportRequest | null>({ reducer: (_, update) => update, default: () => null }),
});
export type ChatStateType = typeof ChatState.State;
export type ChatStateUpdate = typeof ChatState.Update;
