import type { Report, ReportPattern } from "../domain/report.ts";

export const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;

/** `1 session`, `3 sessions`. */
export function plural(count: number, word: string, pluralWord = `${word}s`): string {
  return `${count} ${count === 1 ? word : pluralWord}`;
}

/** `12% (6 of 50)` */
export function reach(pattern: ReportPattern, sessionsAnalysed: number): string {
  return `${percent(pattern.stats.sessions_affected_ratio)} (${pattern.stats.sessions_affected} of ${sessionsAnalysed})`;
}

/**
 * A pattern's figures in the words every output uses (report.md, report.html, the page), all from
 * `pattern.stats`: one wording per figure so no two places seem to disagree.
 */
export interface PatternFigures {
  /** `4 of 64 sessions (6%)` */
  sessions: string;
  /** `4 users`, when the report counted them. */
  users?: string;
  /** `seen 6 times` */
  occurrences: string;
  /** `still succeeded in 0% of the affected steps` */
  success: string;
  /** `the user gave up after it in 4 of 4 sessions`, `retried 9 times in 3 sessions` */
  consequences: string[];
}

export function patternFigures(pattern: ReportPattern, sessionsAnalysed: number): PatternFigures {
  const stats = pattern.stats;
  const consequences: string[] = [];
  const c = stats.consequences;
  if (c && c.sessions_abandoned > 0) consequences.push(`the user gave up after it in ${c.sessions_abandoned} of ${plural(stats.sessions_affected, "session")}`);
  if (c && c.sessions_retried > 0) consequences.push(`retried ${plural(c.retries, "time")} in ${plural(c.sessions_retried, "session")}`);
  return {
    sessions: `${stats.sessions_affected} of ${plural(sessionsAnalysed, "session")} (${percent(stats.sessions_affected_ratio)})`,
    ...(stats.users_affected !== undefined ? { users: plural(stats.users_affected, "user") } : {}),
    occurrences: `seen ${plural(stats.occurrences, "time")}`,
    success: `users still succeeded in ${percent(stats.segments_success_ratio)} of the affected steps`,
    consequences,
  };
}

/** `4 of 64 sessions (6%), 4 users, seen 6 times; the user gave up after it in 4 of 4 sessions` */
export function patternFiguresLine(pattern: ReportPattern, sessionsAnalysed: number): string {
  const f = patternFigures(pattern, sessionsAnalysed);
  const head = [f.sessions, ...(f.users ? [f.users] : []), f.occurrences].join(", ");
  return [head, ...f.consequences].join("; ");
}

/**
 * The users' outcomes as a sentence a product manager reads first:
 * `Of 64 sessions, 40 succeeded, 19 failed (an error stopped the user) and 5 gave up.`
 */
export function outcomesHeadline(report: Pick<Report, "outcomes">): string | undefined {
  const o = report.outcomes;
  if (!o) return undefined;
  return `Of ${plural(o.sessions, "session")}, ${o.succeeded} succeeded, ${o.failed} failed (an error stopped the user) and ${o.gave_up} gave up.`;
}

/** `12 of 40 sessions summarized offline by triage (no issue signal; no model read them)`; undefined when none. */
export function triagedLine(report: Pick<Report, "sessions">): string | undefined {
  const triaged = report.sessions.triaged_offline?.length ?? 0;
  if (triaged === 0) return undefined;
  return `${triaged} of ${plural(report.sessions.summarized.length, "session")} summarized offline by triage (no issue signal; no model read them)`;
}

/**
 * The tool's own failures, apart from the users' outcomes: `3 sessions not analysed (1 could not be
 * summarized, 2 skipped: too short or empty)`; undefined when every session was analysed.
 */
export function notAnalysedLine(report: Pick<Report, "sessions">): string | undefined {
  const failed = report.sessions.failed.length;
  const skipped = report.sessions.skipped.length;
  if (failed + skipped === 0) return undefined;
  const parts = [...(failed ? [`${failed} could not be summarized`] : []), ...(skipped ? [`${skipped} skipped: too short or empty`] : [])];
  return `${plural(failed + skipped, "session")} not analysed (${parts.join(", ")})`;
}

/**
 * Why a pattern was left out, in a reader's words: `evidence from 0 session(s), 2 needed` (how
 * `buildReportPatterns` says it) becomes `no session could be tied to it (2 needed)`. Other reasons as written.
 */
export function leftOutReason(reason: string): string {
  const tooFew = /^evidence from (\d+) session\(s\), (\d+) needed$/.exec(reason);
  if (!tooFew) return reason;
  const [, seen, needed] = tooFew;
  return Number(seen) === 0 ? `no session could be tied to it (${needed} needed)` : `only ${plural(Number(seen), "session")} could be tied to it (${needed} needed)`;
}

/** Flagged events the analyst assigned that could not be used, as a sentence; undefined when none. */
export function assignmentSkipsLine(report: Pick<Report, "assignment_skips">): string | undefined {
  const skips = report.assignment_skips;
  if (!skips || skips.unknown + skips.ambiguous + skips.unknown_pattern === 0) return undefined;
  return `Assigned event ids not used: ${skips.unknown} unknown, ${skips.ambiguous} ambiguous (in two sessions), ${skips.unknown_pattern} for patterns that do not exist.`;
}

/** mm:ss from the start of the session. */
export function sessionClock(msSinceStart: number): string {
  const total = Math.max(0, Math.round(msSinceStart / 1000));
  return `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
}

export function issueFlags(action: { exception: string | null; confusion: boolean; abandonment: boolean; slow?: boolean }): string[] {
  const flags: string[] = [];
  if (action.exception) flags.push(`${action.exception} exception`);
  if (action.confusion) flags.push("confusion");
  if (action.abandonment) flags.push("abandonment");
  if (action.slow) flags.push("slow");
  return flags;
}

/** How a replay check's verdict reads. */
export const VERDICT_TEXT = { confirmed: "confirmed", not_confirmed: "not confirmed", inconclusive: "inconclusive" } as const;
