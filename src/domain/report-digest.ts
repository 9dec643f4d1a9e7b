import type { Severity } from "./report.ts";

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
