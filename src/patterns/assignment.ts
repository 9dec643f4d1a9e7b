import type { RawAssignment } from "../domain/report.ts";
import { issueKindsOf, type KeyAction, type Segment, type SessionSummary } from "../domain/summary.ts";

/** A flagged key action placed in a pattern. */
export interface Evidence {
  sessionId: string;
  segment: Segment;
  action: KeyAction;
}

/** Why an assigned event id was not used, counted for the report. */
export interface AssignmentSkips {
  /** Ids that are in none of the chunk's sessions (the model made them up or mangled them). */
  unknown: number;
  /** Ids found in two sessions of the chunk: 8 hex characters can collide; such an event is not guessed. */
  ambiguous: number;
  /** Events without any issue flag: only flagged key actions are pattern evidence. */
  unflagged: number;
  /** Events whose only issue is a non-blocking exception: noise, not evidence. */
  nonBlockingOnly: number;
  /** Patterns the model referred to that do not exist. */
  unknownPattern: number;
}

export interface ChunkAssignments {
  /** The sessions whose key actions the chunk's prompt listed. */
  sessionIds: readonly string[];
  assignments: readonly RawAssignment[];
}

export function emptySkips(): AssignmentSkips {
  return { unknown: 0, ambiguous: 0, unflagged: 0, nonBlockingOnly: 0, unknownPattern: 0 };
}

/**
 * Resolves the event ids each chunk assigned to patterns into key actions, keeping every assigned
 * occurrence (the caller keeps one example per session). Evidence is returned per pattern id, in
 * assignment order; an event is used by at most one pattern (the first that claims it).
 */
export function resolveAssignments(
  chunks: readonly ChunkAssignments[],
  summaries: ReadonlyMap<string, SessionSummary>,
  patternIds: ReadonlySet<number>,
): { evidence: Map<number, Evidence[]>; skips: AssignmentSkips } {
  const evidence = new Map<number, Evidence[]>();
  const skips = emptySkips();
  const claimed = new Set<string>();
  for (const chunk of chunks) {
    const index = indexKeyActions(chunk.sessionIds, summaries);
    for (const assignment of chunk.assignments) {
      if (!patternIds.has(assignment.pattern_id)) {
        skips.unknownPattern += 1;
        continue;
      }
      for (const eventId of assignment.event_ids) {
        const found = index.get(eventId);
        if (!found) {
          skips.unknown += 1;
          continue;
        }
        if (found === "ambiguous") {
          skips.ambiguous += 1;
          continue;
        }
        const kinds = issueKindsOf(found.action);
        if (kinds.length === 0) {
          skips.unflagged += 1;
          continue;
        }
        if (kinds.length === 1 && kinds[0] === "non_blocking_exception") {
          skips.nonBlockingOnly += 1;
          continue;
        }
        const claim = `${found.sessionId}\u0000${found.action.event_uuid}`;
        if (claimed.has(claim)) continue;
        claimed.add(claim);
        const list = evidence.get(assignment.pattern_id) ?? [];
        list.push(found);
        evidence.set(assignment.pattern_id, list);
      }
    }
  }
  return { evidence, skips };
}

function indexKeyActions(sessionIds: readonly string[], summaries: ReadonlyMap<string, SessionSummary>): Map<string, Evidence | "ambiguous"> {
  const index = new Map<string, Evidence | "ambiguous">();
  for (const sessionId of sessionIds) {
    const summary = summaries.get(sessionId);
    if (!summary) continue;
    for (const segment of summary.segments) {
      for (const action of segment.key_actions) {
        const existing = index.get(action.event_id);
        if (existing === "ambiguous") continue;
        index.set(action.event_id, existing && existing.sessionId !== sessionId ? "ambiguous" : { sessionId, segment, action });
      }
    }
  }
  return index;
}
