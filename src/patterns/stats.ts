import type { PatternExample, PatternStats } from "../domain/report.ts";
import type { SessionSummary, VisualCheck } from "../domain/summary.ts";
import type { Evidence } from "./assignment.ts";

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * Stats of one pattern, all computed here, never by a model:
 * - occurrences: flagged events assigned (several may come from one session);
 * - sessions affected, and their share of the sessions that reached pattern assignment;
 * - the share of affected segments (session × segment) that still succeeded;
 * - with the summaries: users affected (distinct ids; a session without one is its own user) and
 *   the consequences (`consequencesOf`).
 */
export function patternStats(evidence: readonly Evidence[], sessionsInAssignment: number, summaries?: ReadonlyMap<string, SessionSummary>): PatternStats {
  const sessions = new Set(evidence.map((e) => e.sessionId));
  const segments = new Map<string, boolean>();
  for (const e of evidence) segments.set(`${e.sessionId}\u0000${e.segment.index}`, e.segment.outcome.success);
  const succeeded = [...segments.values()].filter(Boolean).length;
  const stats: PatternStats = {
    occurrences: evidence.length,
    sessions_affected: sessions.size,
    sessions_affected_ratio: sessionsInAssignment === 0 ? 0 : round2(sessions.size / sessionsInAssignment),
    segments_success_ratio: segments.size === 0 ? 0 : round2(succeeded / segments.size),
  };
  if (!summaries) return stats;
  const users = new Set([...sessions].map((id) => summaries.get(id)?.distinct_id ?? `session:${id}`));
  return { ...stats, users_affected: users.size, consequences: consequencesOf(evidence, summaries) };
}

/** `once` 1, `twice` 2, `N times` N. */
function countWord(word: string): number {
  if (/^once$/i.test(word)) return 1;
  if (/^twice$/i.test(word)) return 2;
  return Number.parseInt(word, 10) || 0;
}

/** Retries a description reports ("tried again twice", "Tried "Apply" 4 times", "retried 3 times"). */
export function retriesInDescription(description: string): number {
  const again = /\b(?:tried|retried|attempted|clicked)\b[^.;]*?\bagain\b[^.;]*?\b(once|twice|\d+ times)\b/i.exec(description);
  if (again) return countWord(again[1]!);
  const attempts = /\b(?:tried|attempted|clicked|submitted)\b[^.;]*?\b(twice|\d+ times)\b/i.exec(description);
  if (attempts) return Math.max(0, countWord(attempts[1]!) - 1);
  return /\b(?:tried|retried) again\b/i.test(description) ? 1 : 0;
}

const pathOf = (url: string | undefined): string | undefined => {
  if (!url) return undefined;
  try {
    return new URL(url, "http://relative.invalid").pathname;
  } catch {
    return url.split(/[?#]/)[0];
  }
};

/**
 * What the pattern led to in its sessions, from the summaries (so it holds for any analyst), after
 * the session's first occurrence (the target):
 * - abandoned: a key action flagged abandonment at or after the target, or the target's segment is
 *   the session's last, failed, in a session that did not succeed;
 * - retries: further occurrences of the pattern in the session, retries the target's description
 *   reports (the larger of the two), plus later confusion-flagged key actions on the same page.
 */
export function consequencesOf(evidence: readonly Evidence[], summaries: ReadonlyMap<string, SessionSummary>): NonNullable<PatternStats["consequences"]> {
  const bySession = new Map<string, Evidence[]>();
  for (const e of evidence) bySession.set(e.sessionId, [...(bySession.get(e.sessionId) ?? []), e]);
  let abandoned = 0;
  let retried = 0;
  let retries = 0;
  for (const [sessionId, found] of bySession) {
    const summary = summaries.get(sessionId);
    if (!summary) continue;
    const first = [...found].sort((a, b) => a.action.ms_since_start - b.action.ms_since_start)[0]!;
    const at = first.action.ms_since_start;
    const later = summary.segments.flatMap((segment) => segment.key_actions).filter((action) => action.ms_since_start >= at);
    const lastSegment = summary.segments.at(-1);
    const gaveUp =
      later.some((action) => action.abandonment) || (lastSegment !== undefined && lastSegment.index === first.segment.index && !lastSegment.outcome.success && !summary.session_outcome.success);
    if (gaveUp) abandoned += 1;
    const evidenceIds = new Set(found.map((e) => e.action.event_uuid));
    const page = pathOf(first.action.current_url);
    const struggles = later.filter((action) => action.confusion && !evidenceIds.has(action.event_uuid) && pathOf(action.current_url) === page).length;
    const described = Math.max(...found.map((e) => retriesInDescription(e.action.description)));
    const sessionRetries = Math.max(found.length - 1, described) + struggles;
    if (sessionRetries > 0) retried += 1;
    retries += sessionRetries;
  }
  return { sessions_abandoned: abandoned, sessions_retried: retried, retries };
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
