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

/** Patterns sharing at least this share of the smaller one's sessions, at the same page and moment, are one problem. */
export const MERGE_MIN_OVERLAP = 0.75;
/** "The same moment": in a shared session, the two patterns' first occurrences are at most this far apart. */
export const MERGE_MAX_GAP_MS = 60_000;

interface Candidate {
  pattern: RawPattern;
  found: Evidence[];
  severity: RawPattern["severity"];
  reason?: string;
  /** Names of the patterns merged into this one. */
  merged: string[];
}

/**
 * Turns the analyst's patterns and the resolved evidence into the report's patterns: stats and
 * examples computed here, severity adjusted by reach, patterns with evidence from fewer than
 * `minSessions` sessions or of low severity dropped (and said why), duplicates of one root problem
 * merged (`mergeDuplicates`), the rest ordered by severity then share of sessions, numbered 1..n
 * with unique URL-safe slugs.
 */
export function buildReportPatterns(
  patterns: readonly RawPattern[],
  evidence: ReadonlyMap<number, Evidence[]>,
  summaries: ReadonlyMap<string, SessionSummary>,
  sessionsInAssignment: number,
  options: BuildOptions = {},
): { patterns: ReportPattern[]; dropped: DroppedPattern[] } {
  const minSessions = options.minSessions ?? 2;
  const rules = options.severityRules ?? DEFAULT_SEVERITY_RULES;
  const dropped: DroppedPattern[] = [];
  const candidates: Candidate[] = [];
  for (const pattern of patterns) {
    const found = evidence.get(pattern.pattern_id) ?? [];
    const stats = patternStats(found, sessionsInAssignment);
    if (stats.sessions_affected < minSessions) {
      dropped.push({ name: pattern.pattern_name, reason: `evidence from ${stats.sessions_affected} session(s), ${minSessions} needed` });
      continue;
    }
    const { severity, reason } = adjustSeverity(pattern.severity, stats, sessionsInAssignment, rules);
    if (severity === "low") {
      dropped.push({ name: pattern.pattern_name, reason: "low severity" });
      continue;
    }
    candidates.push({ pattern, found, severity, ...(reason ? { reason } : {}), merged: [] });
  }
  const roots = mergeDuplicates(candidates);
  const kept: Array<Omit<ReportPattern, "id" | "slug"> & { merged: string[] }> = roots.map((candidate) => ({
    name: candidate.pattern.pattern_name,
    description: candidate.pattern.pattern_description,
    severity: candidate.severity,
    ...(candidate.reason ? { severity_adjustment: { from: candidate.pattern.severity, reason: candidate.reason } } : {}),
    indicators: candidate.pattern.indicators,
    stats: patternStats(candidate.found, sessionsInAssignment, summaries),
    examples: patternExamples(candidate.found, summaries),
    merged: candidate.merged,
  }));
  kept.sort(
    (a, b) => compareSeverity(a.severity, b.severity) || b.stats.sessions_affected_ratio - a.stats.sessions_affected_ratio || b.stats.occurrences - a.stats.occurrences || a.name.localeCompare(b.name),
  );
  const slugs = new Set<string>();
  const numbered = kept.map(({ merged, ...pattern }, i) => {
    for (const name of merged) dropped.push({ name, reason: `merged into #${i + 1}: same sessions, page and moment (one root problem)` });
    return { id: i + 1, slug: uniqueSlug(pattern.name, slugs), ...pattern };
  });
  return { patterns: numbered, dropped };
}

function sessionsOf(candidate: Candidate): Set<string> {
  return new Set(candidate.found.map((e) => e.sessionId));
}

/** Each session's first occurrence of the pattern. */
function firstBySession(candidate: Candidate): Map<string, Evidence> {
  const first = new Map<string, Evidence>();
  for (const e of candidate.found) {
    const known = first.get(e.sessionId);
    if (!known || e.action.ms_since_start < known.action.ms_since_start) first.set(e.sessionId, e);
  }
  return first;
}

function pagePath(url: string | undefined): string {
  if (!url) return "";
  try {
    return new URL(url, "http://relative.invalid").pathname.toLowerCase();
  } catch {
    return url.split(/[?#]/)[0]!.toLowerCase();
  }
}

/**
 * Whether two patterns are one root problem: at least `MERGE_MIN_OVERLAP` of the smaller one's
 * sessions are the other's too, and in most shared sessions both happened on the same page within
 * `MERGE_MAX_GAP_MS`. Returns which one is the root: the one that came first in most shared
 * sessions (the cause), else the blocking one, else the more severe, else the larger.
 */
function duplicateOf(a: Candidate, b: Candidate): { root: Candidate; other: Candidate; overlap: number } | undefined {
  const sessionsA = sessionsOf(a);
  const sessionsB = sessionsOf(b);
  const shared = [...sessionsA].filter((id) => sessionsB.has(id));
  const overlap = shared.length / Math.min(sessionsA.size, sessionsB.size);
  if (overlap < MERGE_MIN_OVERLAP) return undefined;
  const firstA = firstBySession(a);
  const firstB = firstBySession(b);
  let together = 0;
  let aFirst = 0;
  let bFirst = 0;
  for (const id of shared) {
    const x = firstA.get(id)!.action;
    const y = firstB.get(id)!.action;
    if (pagePath(x.current_url) !== pagePath(y.current_url) || Math.abs(x.ms_since_start - y.ms_since_start) > MERGE_MAX_GAP_MS) continue;
    together += 1;
    if (x.ms_since_start < y.ms_since_start) aFirst += 1;
    else if (y.ms_since_start < x.ms_since_start) bFirst += 1;
  }
  if (together < shared.length * MERGE_MIN_OVERLAP) return undefined;
  const blocking = (c: Candidate) => c.found.filter((e) => e.action.exception === "blocking").length;
  const order = bFirst - aFirst || blocking(b) - blocking(a) || compareSeverity(a.severity, b.severity) || sessionsB.size - sessionsA.size;
  return order <= 0 ? { root: a, other: b, overlap } : { root: b, other: a, overlap };
}

/**
 * The safety net for "one pattern per root problem", whatever analyst wrote the patterns: duplicates
 * (`duplicateOf`) are merged into their root, most overlapping pair first. The root keeps its name
 * and takes the worse severity; the other's occurrences in sessions the root lacks join it, and its
 * consequences (abandonment, retries) are counted on the root by `patternStats`.
 */
export function mergeDuplicates<T extends Candidate>(candidates: readonly T[]): T[] {
  const alive = [...candidates];
  for (;;) {
    let best: { root: Candidate; other: Candidate; overlap: number } | undefined;
    for (let i = 0; i < alive.length; i += 1) {
      for (let j = i + 1; j < alive.length; j += 1) {
        const found = duplicateOf(alive[i]!, alive[j]!);
        if (found && (!best || found.overlap > best.overlap)) best = found;
      }
    }
    if (!best) return alive;
    const { root, other } = best;
    const rootSessions = sessionsOf(root);
    root.found = [...root.found, ...other.found.filter((e) => !rootSessions.has(e.sessionId))];
    if (compareSeverity(other.severity, root.severity) < 0) {
      root.severity = other.severity;
      root.reason = `its consequence "${other.pattern.pattern_name}" is ${other.severity}`;
    }
    root.merged.push(other.pattern.pattern_name, ...other.merged);
    alive.splice(alive.indexOf(other as T), 1);
  }
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
