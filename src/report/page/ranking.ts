import { compareSeverity, type ReportPattern } from "../../domain/report.ts";

/** Most severe first, then the larger share of sessions, then more sessions, then report order. */
export function rankPatterns(patterns: readonly ReportPattern[]): ReportPattern[] {
  return [...patterns].sort(
    (a, b) => compareSeverity(a.severity, b.severity) || b.stats.sessions_affected_ratio - a.stats.sessions_affected_ratio || b.stats.sessions_affected - a.stats.sessions_affected || a.id - b.id,
  );
}

/** A pattern is blocking when one of its examples stopped the user with an error. */
export function isBlockingPattern(pattern: ReportPattern): boolean {
  return pattern.examples.some((x) => x.target.exception === "blocking");
}

/** A pattern is validated when the replay confirmed at least one of its examples. */
export function isValidatedPattern(pattern: ReportPattern): boolean {
  return pattern.examples.some((x) => x.validation?.verdict === "confirmed");
}
