import type { Report } from "../domain/report.ts";
import type { ReportDigest } from "../domain/report-digest.ts";
import { quotedPatternName } from "./untrusted.ts";

/** A finished report in brief, for a conversation's state (`ReportDigest`). */
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
