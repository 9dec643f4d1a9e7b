import { sessionDurationMs, type SessionMeta } from "../domain/session.ts";
import type { SessionFilter } from "./types.ts";

/**
 * The parts of a filter that session metadata alone decides (time range, first URL, duration).
 * Ids, exceptions and the limit need more than one session's metadata and are applied by each source.
 */
export function matchesFilter(meta: SessionMeta, filter: SessionFilter): boolean {
  const start = Date.parse(meta.start);
  if (filter.from && start < filter.from.getTime()) return false;
  if (filter.to && start >= filter.to.getTime()) return false;
  if (filter.urlContains !== undefined && !(meta.first_url ?? "").includes(filter.urlContains)) return false;
  if (filter.minDurationMs !== undefined && sessionDurationMs(meta) < filter.minDurationMs) return false;
  return true;
}
