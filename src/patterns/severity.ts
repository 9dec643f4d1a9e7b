import type { PatternStats, Severity } from "../domain/report.ts";

export { compareSeverity } from "../domain/report.ts";

export interface SeverityRules {
  /** A medium pattern affecting more than this share of sessions is raised to high. */
  raiseMediumAboveRatio: number;
  /** A critical pattern affecting at most this share of sessions (and few sessions) is lowered to high. */
  lowerCriticalAtOrBelowRatio: number;
  lowerCriticalMaxSessions: number;
}

export const DEFAULT_SEVERITY_RULES: SeverityRules = {
  raiseMediumAboveRatio: 0.5,
  lowerCriticalAtOrBelowRatio: 0.05,
  lowerCriticalMaxSessions: 2,
};

/**
 * The final severity from the analyst's proposal and the pattern's reach: very frequent friction
 * matters more than its kind suggests; a blocker seen in a couple of sessions out of many is urgent
 * but not an outage. Returns the reason when it changed the proposal.
 */
export function adjustSeverity(proposed: Severity, stats: PatternStats, sessionsInAssignment: number, rules: SeverityRules = DEFAULT_SEVERITY_RULES): { severity: Severity; reason?: string } {
  // The exact share, not the 2-decimal one shown in the report: 2 of 39 is above 5%.
  const share = sessionsInAssignment === 0 ? 0 : stats.sessions_affected / sessionsInAssignment;
  const shown = `${Math.round(share * 100)}%`;
  if (proposed === "medium" && share > rules.raiseMediumAboveRatio) {
    return { severity: "high", reason: `affects ${shown} of sessions` };
  }
  if (proposed === "critical" && share <= rules.lowerCriticalAtOrBelowRatio && stats.sessions_affected <= rules.lowerCriticalMaxSessions) {
    return { severity: "high", reason: `seen in only ${stats.sessions_affected} sessions (${shown})` };
  }
  return { severity: proposed };
}
