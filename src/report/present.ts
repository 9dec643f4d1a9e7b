import type { Report, ReportPattern } from "../domain/report.ts";
import { keyActionsOf, type SessionSummary } from "../domain/summary.ts";

/**
 * The report as a reader gets it, computed in code: the users' outcomes, and pattern text without
 * what is not for readers (internal matching keys, counts an analyst wrote before the evidence was
 * resolved: the report's own stats are the only figures shown).
 */

type Outcomes = NonNullable<Report["outcomes"]>;

/**
 * The users' outcomes over the analysed sessions: succeeded (the session's outcome), failed (not
 * succeeded, and a blocking exception stopped the user somewhere in it), gave up (neither).
 */
export function computeOutcomes(summaries: Iterable<Pick<SessionSummary, "session_outcome" | "segments">>): Outcomes {
  const outcomes: Outcomes = { sessions: 0, succeeded: 0, failed: 0, gave_up: 0 };
  for (const summary of summaries) {
    outcomes.sessions += 1;
    outcomes[outcomeOf(summary)] += 1;
  }
  return outcomes;
}

/** One session's outcome for the user, as `computeOutcomes` counts it. */
export function outcomeOf(summary: Pick<SessionSummary, "session_outcome" | "segments">): "succeeded" | "failed" | "gave_up" {
  if (summary.session_outcome.success) return "succeeded";
  return keyActionsOf(summary).some(({ action }) => action.exception === "blocking") ? "failed" : "gave_up";
}

/** An indicator naming a matching key (`Signature: blocking_exception | /cart | …`) is the tool's bookkeeping. */
const INTERNAL_INDICATOR = /^\s*(?:signature|key|cluster|fingerprint)\s*:/i;

export function isInternalIndicator(indicator: string): boolean {
  return INTERNAL_INDICATOR.test(indicator);
}

// "in 4 sessions", "(6 flagged events)", "4 of 6 affected segments", "12 occurrences", "3 users".
const COUNTED = String.raw`\d+(?:\s+of\s+\d+)?\s+(?:affected\s+|flagged\s+|distinct\s+)?(?:sessions?|events?|occurrences?|segments?|users?)\b`;
// "4 of 4 gave up after it": a share stated in words is a count too.
const COUNT_CLAIM = new RegExp(String.raw`${COUNTED}|\b\d+\s+of\s+\d+\b`, "i");
const COUNT_PHRASE = new RegExp(String.raw`\s*(?:\(\s*${COUNTED}[^)]*\)|\b(?:in|across|over|from)\s+${COUNTED})`, "gi");

/**
 * `text` without the sentences and clauses that state counts (an analyst's counts come before
 * assignment and merging; the report's stats may differ). Quoted text is left alone.
 */
export function withoutCountClaims(text: string): string {
  const kept: string[] = [];
  for (const clause of text.split(/(?<=[.;!?])\s+/)) {
    if (!COUNT_CLAIM.test(unquoted(clause)) || isMostlyQuote(clause)) {
      kept.push(clause);
      continue;
    }
    // "Checkout fails on mobile in 12 sessions." keeps its words; "Seen in 4 sessions (6 flagged events);" has none left.
    const rest = clause.replace(COUNT_PHRASE, "");
    if (!COUNT_CLAIM.test(unquoted(rest)) && rest.trim().split(/\s+/).length >= 4) kept.push(rest.trim());
  }
  const joined = kept.join(" ").trim();
  return joined === "" ? text : joined;
}

/** An indicator with its count phrases taken out (`… on /cart in 4 sessions (6 flagged events)` → `… on /cart`). */
export function indicatorWithoutCounts(indicator: string): string {
  const stripped = indicator.replace(COUNT_PHRASE, "").trim();
  return stripped === "" ? indicator : stripped;
}

function unquoted(text: string): string {
  return text.replace(/"[^"]*"|“[^”]*”/g, '""');
}

function isMostlyQuote(clause: string): boolean {
  return unquoted(clause).length < clause.length / 2;
}

/** A pattern as readers get it: no internal indicators, no counts but the stats. */
export function presentPattern(pattern: ReportPattern): ReportPattern {
  const indicators = pattern.indicators.filter((i) => !isInternalIndicator(i)).map(indicatorWithoutCounts);
  return {
    ...pattern,
    description: withoutCountClaims(pattern.description),
    indicators: [...new Set(indicators)],
  };
}
