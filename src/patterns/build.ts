import type { RawPattern, ReportPattern } from "../domain/report.ts";
import type { SessionSummary } from "../domain/summary.ts";
import type { Evidence } from "./assignment.ts";
import { adjustSeverity, compareSeverity, DEFAULT_SEVERITY_RULES, type SeverityRules } from "./severity.ts";
import { patternExamples, patternStats } from "./stats.ts";

export interface BuildOptions {
  /** A pattern needs evidence from at least this many sessions. */
  minSessions?: number;
  severityRules?: SeverityRules;
}

export interface DroppedPattern {
  name: string;
  reason: string;
}

/**
 * Turns the analyst's patterns and the resolved evidence into the report's patterns: stats and
 * examples computed here, severity adjusted by reach, patterns with evidence from fewer than
 * `minSessions` sessions or of low severity dropped (and said why), the rest ordered by severity
 * then share of sessions, numbered 1..n with unique URL-safe slugs.
 */
export function buildReportPatterns(
  patterns: readonly RawPattern[],
  evidence: ReadonlyMap<number, Evidence[]>,
  summaries: ReadonlyMap<string, SessionSummary>,
  sessionsInAssignment: number,
  options: BuildOptions = {},
): { patterns: ReportPattern[]; dropped: DroppedPattern[] } {
  const minSessions = options.minSessions ?? 2;
  const dropped: DroppedPattern[] = [];
  const kept: Array<Omit<ReportPattern, "id" | "slug">> = [];
  for (const pattern of patterns) {
    const found = evidence.get(pattern.pattern_id) ?? [];
    const stats = patternStats(found, sessionsInAssignment);
    if (stats.sessions_affected < minSessions) {
      dropped.push({ name: pattern.pattern_name, reason: `evidence from ${stats.sessions_affected} session(s), ${minSessions} needed` });
      continue;
    }
    const { severity, reason } = adjustSeverity(pattern.severity, stats, sessionsInAssignment, options.severityRules ?? DEFAULT_SEVERITY_RULES);
    if (severity === "low") {
      dropped.push({ name: pattern.pattern_name, reason: "low severity" });
      continue;
    }
    kept.push({
      name: pattern.pattern_name,
      description: pattern.pattern_description,
      severity,
      ...(reason ? { severity_adjustment: { from: pattern.severity, reason } } : {}),
      indicators: pattern.indicators,
      stats,
      examples: patternExamples(found, summaries),
    });
  }
  kept.sort(
    (a, b) =>
      compareSeverity(a.severity, b.severity) ||
      b.stats.sessions_affected_ratio - a.stats.sessions_affected_ratio ||
      b.stats.occurrences - a.stats.occurrences ||
      a.name.localeCompare(b.name),
  );
  const slugs = new Set<string>();
  const numbered = kept.map((pattern, i) => ({ id: i + 1, slug: uniqueSlug(pattern.name, slugs), ...pattern }));
  return { patterns: numbered, dropped };
}

function uniqueSlug(name: string, taken: Set<string>): string {
  const base =
    name
      .normalize("NFKD")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60) || "pattern";
  let slug = base;
  for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`;
  taken.add(slug);
  return slug;
}
