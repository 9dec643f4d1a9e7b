import { containsText } from "../domain/selection.ts";
import { sessionDurationMs, type SessionMeta } from "../domain/session.ts";
import type { SessionFilter } from "./types.ts";

/**
 * The parts of a filter that session metadata alone decides (time range, first URL, duration).
 * Ids, exceptions and the limit need more than one session's metadata and are applied by each source.
 */
export function matchesFilter(meta: SessionMeta, filter: SessionFilter): boolean {
  const start = Date.parse(meta.start);
  if (filter.from && start < Date.parse(filter.from)) return false;
  if (filter.to && start >= Date.parse(filter.to)) return false;
  if (filter.first_url_contains !== undefined && !containsText(meta.first_url, filter.first_url_contains)) return false;
  if (filter.min_duration_ms !== undefined && sessionDurationMs(meta) < filter.min_duration_ms) return false;
  return true;
}
