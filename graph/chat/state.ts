import { Annotation, MessagesAnnotation } from "@langchain/langgraph";
import type { Report, Severity } from "../../src/domain/report.ts";
import { quotedPatternName } from "../../src/report/untrusted.ts";

/** One pattern of a report, as small as the conversation needs to answer "which is most common?". */
export interface PatternDigest {
  id: number;
  name: string;
  severity: Severity;
  sessions_affected: number;
  /** Share of the analysed sessions, 0..1. */
  sessions_affected_ratio: number;
  occurrences: number;
  segments_success_ratio: number;
  examples: number;
}

/** The latest report of a thread in brief; the full report stays in the blob store. */
export interface ReportDigest {
  report_id: string;
  title: string;
  focus_area?: string;
  created_at: string;
  analyst: string;
  sessions_requested: number;
  sessions_summarized: number;
  sessions_failed: number;
  sessions_skipped: number;
  patterns: PatternDigest[];
}

export function digestReport(report: Report): ReportDigest {
  return {
    report_id: report.id,
    title: report.title,
    ...(report.focus_area ? { focus_area: report.focus_area } : {}),
    created_at: report.created_at,
    analyst: report.analyst.label,
    sessions_requested: report.sessions.requested,
    sessions_summarized: report.sessions.summarized.length,
    sessions_failed: report.sessions.failed.length,
    sessions_skipped: report.sessions.skipped.length,
    patterns: report.patterns.map((p) => ({
      id: p.id,
      // The page's own words in a name stay a quotation of the page in every answer built from the digest.
      name: quotedPatternName(p),
      severity: p.severity,
      sessions_affected: p.stats.sessions_affected,
      sessions_affected_ratio: p.stats.sessions_affected_ratio,
      occurrences: p.stats.occurrences,
      segments_success_ratio: p.stats.segments_success_ratio,
      examples: p.examples.length,
    })),
  };
}

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
});
export type ChatStateType = typeof ChatState.State;
export type ChatStateUpdate = typeof ChatState.Update;
