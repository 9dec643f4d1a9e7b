import { SessionSummarySchema, type KeyAction, type Outcome, type Segment, type SessionSummary, type VisualCheck } from "../domain/summary.ts";

/** A segment's failures that still stand: what keeps it from counting as a success. */
function stillFails(segment: Segment): boolean {
  return segment.key_actions.some((a) => a.exception === "blocking" || a.abandonment);
}

function withNote(outcome: Outcome, note: string): Outcome {
  const summary = `${outcome.summary} ${note}`;
  return { ...outcome, summary: summary.length > 1024 ? `${summary.slice(0, 1023)}…` : summary };
}

/**
 * Every check carries its verdict and why (`observed`), so a reader can tell "the replay showed it"
 * from "the replay could not tell": a check that could not be made says so, with its error.
 */
export function withReason(check: VisualCheck): VisualCheck {
  if (check.observed?.trim()) return check;
  const observed = check.error
    ? `The replay check could not be made: ${check.error}`
    : check.verdict === "inconclusive"
      ? "The replay did not show whether this stopped the user."
      : check.verdict === "confirmed"
        ? "The replay shows this stopped the user."
        : "The replay shows the user was not stopped by this.";
  return { ...check, observed };
}

/**
 * Applies replay checks to a summary:
 * - not confirmed → the blocking exception becomes non-blocking; a segment left with no blocking
 *   exception and no abandonment becomes a success, and so does the session when all its segments are;
 * - confirmed → kept, with the clip and evidence on the key action (`visual_confirmation`);
 * - inconclusive, or a check that failed → unchanged, marked.
 * Each check records what it changed; segment counts are recomputed.
 */
export function applyVisualChecks(summary: SessionSummary, checks: readonly VisualCheck[]): SessionSummary {
  const byEvent = new Map(checks.map((check) => [check.event_id, withReason(check)]));
  const recorded: VisualCheck[] = [];
  const segments = summary.segments.map((segment) => {
    let downgraded = false;
    const keyActions = segment.key_actions.map((action): KeyAction => {
      const check = byEvent.get(action.event_id);
      if (!check) return action;
      const changes = [...check.changes];
      let next: KeyAction = action;
      if (check.verdict === "not_confirmed" && !check.error && action.exception === "blocking") {
        next = { ...action, exception: "non-blocking" };
        changes.push("exception: blocking → non-blocking");
        downgraded = true;
      }
      const { event_id: _eventId, ...confirmation } = { ...check, changes };
      recorded.push({ ...check, changes });
      return { ...next, visual_confirmation: confirmation };
    });
    let outcome = segment.outcome;
    if (downgraded && !segment.outcome.success && !keyActions.some((a) => a.exception === "blocking" || a.abandonment)) {
      outcome = withNote({ ...segment.outcome, success: true }, "(The replay shows the error did not stop the user.)");
      for (const check of recorded.filter((c) => keyActions.some((a) => a.event_id === c.event_id))) check.changes.push(`segment "${segment.name}": failed → succeeded`);
    }
    const count = (predicate: (a: KeyAction) => boolean) => keyActions.filter(predicate).length;
    return {
      ...segment,
      key_actions: keyActions,
      outcome,
      stats: { ...segment.stats, failure_count: count((a) => a.exception !== null || a.confusion || a.abandonment), exception_count: count((a) => a.exception !== null) },
    };
  });
  let sessionOutcome = summary.session_outcome;
  const changedSegments = segments.some((segment, i) => segment.outcome.success !== summary.segments[i]!.outcome.success);
  if (changedSegments && !sessionOutcome.success && segments.every((segment) => segment.outcome.success && !stillFails(segment))) {
    sessionOutcome = withNote({ ...sessionOutcome, success: true }, "(After the replay check, nothing stopped the user.)");
    for (const check of recorded) if (check.changes.some((c) => c.startsWith("exception"))) check.changes.push("session: failed → succeeded");
  }
  // Keep the key actions' copies in step with the session-level list.
  const final = segments.map((segment) => ({
    ...segment,
    key_actions: segment.key_actions.map((action) => {
      const check = recorded.find((c) => c.event_id === action.event_id);
      if (!check) return action;
      const { event_id: _eventId, ...confirmation } = check;
      return { ...action, visual_confirmation: confirmation };
    }),
  }));
  return SessionSummarySchema.parse({
    ...summary,
    segments: final,
    session_outcome: sessionOutcome,
    visual_checks: [...(summary.visual_checks ?? []).filter((c) => !byEvent.has(c.event_id)), ...recorded],
  });
}
