import { SessionSummarySchema, type Analyst, type KeyAction, type RawKeyAction, type RawSessionSummary, type SessionSummary } from "../domain/summary.ts";
import type { EventRef } from "../encode/types.ts";

/** What enrichment needs to know about the session besides the analyst's output. */
export interface SessionContext {
  sessionId: string;
  distinctId?: string;
  firstUrl?: string;
  /** Replay start and end (epoch ms): the origin of `ms_since_start` and the session's duration. */
  startMs: number;
  endMs: number;
  /** The encoding's short id → real event map. */
  idMap: ReadonlyMap<string, EventRef>;
}

/**
 * Turns an analyst's raw summary into the stored summary: every cited event gets its real facts
 * (uuid, time, URL, window) from the id map, key actions citing unknown ids are dropped (the caller
 * already rejected summaries with too many), segment boundaries fall back to their key actions when
 * the cited ids are unknown, and all counts and durations are computed here.
 */
export function enrichSummary(raw: RawSessionSummary, context: SessionContext, analyst: Analyst, focusArea?: string): SessionSummary {
  const durationMs = Math.max(0, context.endMs - context.startMs);
  const facts = (action: RawKeyAction): KeyAction | undefined => {
    const ref = context.idMap.get(action.event_id);
    if (!ref) return undefined;
    return {
      ...action,
      event_uuid: ref.uuid,
      event: ref.event,
      timestamp: new Date(ref.timestampMs).toISOString(),
      ms_since_start: Math.max(0, ref.timestampMs - context.startMs),
      event_index: ref.index,
      ...(ref.windowId ? { window_id: ref.windowId } : {}),
      ...(ref.url ? { current_url: ref.url } : {}),
    };
  };

  const segments = raw.segments.map((segment, index) => {
    const keyActions = segment.key_actions
      .map(facts)
      .filter((a): a is KeyAction => a !== undefined)
      .sort((a, b) => a.ms_since_start - b.ms_since_start);
    const startRef = context.idMap.get(segment.start_event_id);
    const endRef = context.idMap.get(segment.end_event_id);
    const times = keyActions.map((a) => Date.parse(a.timestamp));
    const startMs = startRef?.timestampMs ?? (times.length ? Math.min(...times) : context.startMs);
    const endMs = Math.max(endRef?.timestampMs ?? (times.length ? Math.max(...times) : startMs), startMs);
    const count = (predicate: (a: KeyAction) => boolean) => keyActions.filter(predicate).length;
    return {
      index,
      name: segment.name,
      start_event_id: segment.start_event_id,
      end_event_id: segment.end_event_id,
      start: new Date(startMs).toISOString(),
      end: new Date(endMs).toISOString(),
      key_actions: keyActions,
      outcome: segment.outcome,
      stats: {
        duration_s: Math.round((endMs - startMs) / 100) / 10,
        duration_ratio: durationMs === 0 ? 0 : Math.min(1, Math.round(((endMs - startMs) / durationMs) * 100) / 100),
        key_action_count: keyActions.length,
        failure_count: count((a) => a.exception !== null || a.confusion || a.abandonment),
        exception_count: count((a) => a.exception !== null),
        confusion_count: count((a) => a.confusion),
        abandonment_count: count((a) => a.abandonment),
      },
    };
  });

  return SessionSummarySchema.parse({
    session_id: context.sessionId,
    ...(context.distinctId ? { distinct_id: context.distinctId } : {}),
    start: new Date(context.startMs).toISOString(),
    duration_s: Math.round(durationMs / 1000),
    ...(context.firstUrl ? { first_url: context.firstUrl } : {}),
    segments,
    session_outcome: raw.session_outcome,
    ...(focusArea ? { focus_area: focusArea } : {}),
    analyst,
  });
}

/** True when any key action is flagged as a blocking exception: such sessions get checked against the replay. */
export function hasBlockingIssue(summary: Pick<SessionSummary, "segments">): boolean {
  return summary.segments.some((s) => s.key_actions.some((a) => a.exception === "blocking"));
}
