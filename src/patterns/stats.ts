import type { PatternExample, PatternStats } from "../domain/report.ts";
import type { SessionSummary, VisualCheck } from "../domain/summary.ts";
import type { Evidence } from "./assignment.ts";

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * Stats of one pattern, all computed here, never by a model:
 * - occurrences: flagged events assigned (several may come from one session);
 * - sessions affected, and their share of the sessions that reached pattern assignment;
 * - the share of affected segments (session × segment) that still succeeded.
 */
export function patternStats(evidence: readonly Evidence[], sessionsInAssignment: number): PatternStats {
  const sessions = new Set(evidence.map((e) => e.sessionId));
  const segments = new Map<string, boolean>();
  for (const e of evidence) segments.set(`${e.sessionId}\u0000${e.segment.index}`, e.segment.outcome.success);
  const succeeded = [...segments.values()].filter(Boolean).length;
  return {
    occurrences: evidence.length,
    sessions_affected: sessions.size,
    sessions_affected_ratio: sessionsInAssignment === 0 ? 0 : round2(sessions.size / sessionsInAssignment),
    segments_success_ratio: segments.size === 0 ? 0 : round2(succeeded / segments.size),
  };
}

/** How many key actions of the segment to show before and after an example's target. */
export const EXAMPLE_CONTEXT_ACTIONS = 3;

/** One example per session (its first occurrence), with the segment's key actions around it. */
export function patternExamples(evidence: readonly Evidence[], summaries: ReadonlyMap<string, SessionSummary>): PatternExample[] {
  const seen = new Set<string>();
  const examples: PatternExample[] = [];
  for (const { sessionId, segment, action } of evidence) {
    if (seen.has(sessionId)) continue;
    seen.add(sessionId);
    const summary = summaries.get(sessionId)!;
    const position = segment.key_actions.findIndex((a) => a.event_id === action.event_id);
    const check = summary.visual_checks?.find((c) => c.event_id === action.event_id);
    examples.push({
      session_id: sessionId,
      distinct_id: summary.distinct_id,
      session_start: summary.start,
      session_duration_s: summary.duration_s,
      segment_index: segment.index,
      segment_name: segment.name,
      segment_outcome: segment.outcome.summary,
      segment_success: segment.outcome.success,
      target: action,
      before: segment.key_actions.slice(Math.max(0, position - EXAMPLE_CONTEXT_ACTIONS), Math.max(0, position)),
      after: segment.key_actions.slice(position + 1, position + 1 + EXAMPLE_CONTEXT_ACTIONS),
      ...(check ? { validation: validationOf(check) } : {}),
    });
  }
  return examples;
}

function validationOf(check: VisualCheck): NonNullable<PatternExample["validation"]> {
  const { event_id: _eventId, frames_hash: _hash, blocked_requests: _blocked, ...shown } = check;
  return shown;
}
