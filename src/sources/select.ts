import { containsText, describeSelection, needsEvents, type SessionSelection } from "../domain/selection.ts";
import { sessionDurationMs, type SessionMeta } from "../domain/session.ts";
import { NoMatchingSessionsError } from "./errors.ts";
import type { SessionFilter, SessionSource } from "./types.ts";

export interface FoundSession {
  meta: SessionMeta;
  duration_ms: number;
}

/** Sessions whose events are read to match pages visited, event names and people; a larger pool is cut. */
export const MAX_SCANNED_SESSIONS = 1_000;

/**
 * The sessions a selection picks, newest first (in the given order for ids). Every surface (CLI,
 * reports API, chat tools, the report graph) resolves selections here, so the same selection picks
 * the same sessions. The source decides ids, time, first URL, exceptions and duration; pages
 * visited later, event names and people are matched on the sessions' events, which metadata lacks.
 */
export async function findSessions(source: SessionSource, selection: SessionSelection, signal?: AbortSignal): Promise<FoundSession[]> {
  const scan = needsEvents(selection);
  const filter: SessionFilter = {
    ...(selection.ids ? { ids: selection.ids } : {}),
    ...(selection.from ? { from: selection.from } : {}),
    ...(selection.to ? { to: selection.to } : {}),
    ...(selection.first_url_contains !== undefined ? { first_url_contains: selection.first_url_contains } : {}),
    ...(selection.has_exception !== undefined ? { has_exception: selection.has_exception } : {}),
    ...(selection.min_duration_ms !== undefined ? { min_duration_ms: selection.min_duration_ms } : {}),
    ...(scan ? { limit: MAX_SCANNED_SESSIONS } : selection.limit !== undefined ? { limit: selection.limit } : {}),
  };
  const metas = await source.listSessions(filter, signal ? { signal } : {});
  const found: FoundSession[] = [];
  for (const meta of metas) {
    if (selection.limit !== undefined && found.length >= selection.limit) break;
    if (scan && !(await eventsMatch(source, meta, selection, signal))) continue;
    found.push({ meta, duration_ms: sessionDurationMs(meta) });
  }
  return found;
}

async function eventsMatch(source: SessionSource, meta: SessionMeta, selection: SessionSelection, signal?: AbortSignal): Promise<boolean> {
  const visited = selection.visited_url_contains;
  const person = selection.person;
  let urlSeen = visited === undefined || containsText(meta.first_url, visited);
  let eventSeen = selection.event === undefined;
  let personSeen = person === undefined || containsText(meta.distinct_id, person);
  if (urlSeen && eventSeen && personSeen) return true;
  for await (const event of source.streamEvents(meta.session_id, signal ? { signal } : {})) {
    if (!urlSeen && containsText(event.properties.$current_url, visited!)) urlSeen = true;
    if (!eventSeen && event.event === selection.event) eventSeen = true;
    if (!personSeen && containsText(event.distinct_id, person!)) personSeen = true;
    if (urlSeen && eventSeen && personSeen) return true;
  }
  return false;
}

export interface ResolveSelectionOptions {
  /** Sessions one report may take (the chat's cap); default the selection's own limit. */
  maxSessions?: number;
  signal?: AbortSignal;
}

/**
 * The selection a report run is given. One that needs the sessions' events (pages visited, event
 * names, people) is resolved to ids here, before the run starts, so that one matching nothing is
 * refused at once (`NoMatchingSessionsError`) instead of failing in the background; others go as
 * they are, capped. Either way the sessions are those `findSessions` picks: the report graph
 * resolves a selection it is given with it too.
 */
export async function resolveSelection(source: SessionSource, selection: SessionSelection, options: ResolveSelectionOptions = {}): Promise<SessionSelection> {
  const limit = options.maxSessions === undefined ? selection.limit : Math.min(selection.limit ?? options.maxSessions, options.maxSessions);
  if (selection.ids) return { ids: limit === undefined ? selection.ids : selection.ids.slice(0, limit) };
  const capped: SessionSelection = { ...selection, ...(limit === undefined ? {} : { limit }) };
  if (!needsEvents(capped)) return capped;
  const found = await findSessions(source, capped, options.signal);
  if (found.length === 0) throw new NoMatchingSessionsError(describeSelection(selection));
  return { ids: found.map((f) => f.meta.session_id) };
}
