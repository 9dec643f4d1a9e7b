import type { RawSessionSummary } from "../../domain/summary.ts";
import { HallucinationError } from "../errors.ts";

export interface CitedIdsCheck {
  /** Citations counted (segment boundaries and key actions; a repeated id counts each time). */
  cited: number;
  /** Distinct cited ids that are not in the session's table. */
  unknownIds: string[];
  /** Unknown citations / all citations. */
  ratio: number;
}

/**
 * The hallucination rule: a summary citing more than `maxUnknownRatio` of its event ids from
 * outside the session's table is rejected with `HallucinationError` (the caller retries once).
 * Below the threshold the unknown ids are returned, for the caller to drop.
 */
export function validateCitedIds(summary: Pick<RawSessionSummary, "segments">, knownIds: ReadonlySet<string> | ReadonlyMap<string, unknown>, maxUnknownRatio = 0.15): CitedIdsCheck {
  const citations = summary.segments.flatMap((segment) => [segment.start_event_id, segment.end_event_id, ...segment.key_actions.map((action) => action.event_id)]);
  const unknown = citations.filter((id) => !knownIds.has(id.trim().toLowerCase()));
  const ratio = citations.length === 0 ? 0 : unknown.length / citations.length;
  const unknownIds = [...new Set(unknown)];
  if (ratio > maxUnknownRatio) throw new HallucinationError(unknownIds, citations.length, ratio, maxUnknownRatio);
  return { cited: citations.length, unknownIds, ratio };
}
