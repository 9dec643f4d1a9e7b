import type { SessionSelection } from "../../graph/summarize/state.ts";
import { sessionDurationMs, type SessionMeta } from "../domain/session.ts";
import type { SessionFilter, SessionSource } from "../sources/types.ts";
import { NoMatchingSessionsError } from "./errors.ts";

/** What a person asks for when looking for sessions; every field narrows. */
export interface SessionCriteria {
  /** ISO instants: sessions that started at or after `from`, before `to`. */
  from?: string;
  to?: string;
  /** A page: some event of the session was on a URL containing this text. */
  url_contains?: string;
  /** Some event of the session has this name (e.g. `$exception`, `$rageclick`, `order_placed`). */
  event?: string;
  has_exception?: boolean;
  /** The person's distinct id (exact, or contained in it). */
  person?: string;
  min_duration_ms?: number;
  limit?: number;
}

export interface FoundSession {
  meta: SessionMeta;
  duration_ms: number;
}

/** Sessions whose events are read to match URL, event and person criteria; a larger pool is cut. */
export const MAX_SCANNED_SESSIONS = 1_000;

/**
 * Sessions matching the criteria, newest first. The source's filter decides time, exceptions and
 * duration; URLs, event names and people are matched on the sessions' events, since a page visited
 * later in a session is not in its metadata.
 */
export async function findSessions(source: SessionSource, criteria: SessionCriteria, signal?: AbortSignal): Promise<FoundSession[]> {
  const needsEvents = criteria.url_contains !== undefined || criteria.event !== undefined || criteria.person !== undefined;
  const filter: SessionFilter = {
    ...(criteria.from ? { from: new Date(criteria.from) } : {}),
    ...(criteria.to ? { to: new Date(criteria.to) } : {}),
    ...(criteria.has_exception !== undefined ? { hasException: criteria.has_exception } : {}),
    ...(criteria.min_duration_ms !== undefined ? { minDurationMs: criteria.min_duration_ms } : {}),
    limit: needsEvents ? MAX_SCANNED_SESSIONS : criteria.limit,
  };
  const metas = await source.listSessions(filter, signal ? { signal } : {});
  const found: FoundSession[] = [];
  for (const meta of metas) {
    if (criteria.limit !== undefined && found.length >= criteria.limit) break;
    if (needsEvents && !(await eventsMatch(source, meta, criteria, signal))) continue;
    found.push({ meta, duration_ms: sessionDurationMs(meta) });
  }
  return found;
}

async function eventsMatch(source: SessionSource, meta: SessionMeta, criteria: SessionCriteria, signal?: AbortSignal): Promise<boolean> {
  const url = criteria.url_contains?.toLowerCase();
  const person = criteria.person?.toLowerCase();
  let urlSeen = url === undefined || (meta.first_url ?? "").toLowerCase().includes(url);
  let eventSeen = criteria.event === undefined;
  let personSeen = person === undefined || (meta.distinct_id ?? "").toLowerCase().includes(person);
  if (urlSeen && eventSeen && personSeen) return true;
  for await (const event of source.streamEvents(meta.session_id, signal ? { signal } : {})) {
    if (!urlSeen && (event.properties.$current_url ?? "").toLowerCase().includes(url!)) urlSeen = true;
    if (!eventSeen && event.event === criteria.event) eventSeen = true;
    if (!personSeen && (event.distinct_id ?? "").toLowerCase().includes(person!)) personSeen = true;
    if (urlSeen && eventSeen && personSeen) return true;
  }
  return false;
}

/** Sessions to summarize: exact ids, or criteria. */
export type SelectionRequest = SessionCriteria & { ids?: readonly string[] };

export interface ResolveSelectionOptions {
  /** Sessions one report may take (the chat's cap); default the request's own limit. */
  maxSessions?: number;
  signal?: AbortSignal;
}

/**
 * The report graph's selection for a request. Pages, events and people are matched on the sessions'
 * events, which the report graph's filter does not read (it sees only the first URL): such requests
 * are resolved to session ids here, so the chat and the reports API pick the same sessions.
 * Throws `NoMatchingSessionsError` when such a request matches nothing.
 */
export async function resolveSelection(source: SessionSource, request: SelectionRequest, options: ResolveSelectionOptions = {}): Promise<SessionSelection> {
  if (request.ids?.length) return { ids: [...new Set(request.ids)] };
  const limit = options.maxSessions === undefined ? request.limit : Math.min(request.limit ?? options.maxSessions, options.maxSessions);
  if (request.url_contains !== undefined || request.event !== undefined || request.person !== undefined) {
    const { ids: _ids, ...criteria } = request;
    const found = await findSessions(source, { ...criteria, ...(limit === undefined ? {} : { limit }) }, options.signal);
    if (found.length === 0) throw new NoMatchingSessionsError(describeSelectionRequest(request));
    return { ids: found.map((f) => f.meta.session_id) };
  }
  return {
    ...(request.from ? { from: request.from } : {}),
    ...(request.to ? { to: request.to } : {}),
    ...(request.has_exception !== undefined ? { has_exception: request.has_exception } : {}),
    ...(request.min_duration_ms !== undefined ? { min_duration_ms: request.min_duration_ms } : {}),
    ...(limit === undefined ? {} : { limit }),
  };
}

/** e.g. `with errors, on pages containing "checkout", newest 10`. */
export function describeSelectionRequest(criteria: SessionCriteria): string {
  const parts: string[] = [];
  if (criteria.has_exception === true) parts.push("with errors");
  if (criteria.has_exception === false) parts.push("without errors");
  if (criteria.url_contains) parts.push(`on pages containing ${JSON.stringify(criteria.url_contains)}`);
  if (criteria.event) parts.push(`with a ${JSON.stringify(criteria.event)} event`);
  if (criteria.person) parts.push(`of person ${JSON.stringify(criteria.person)}`);
  if (criteria.from) parts.push(`from ${criteria.from}`);
  if (criteria.to) parts.push(`before ${criteria.to}`);
  if (criteria.min_duration_ms !== undefined) parts.push(`lasting at least ${Math.round(criteria.min_duration_ms / 1000)} s`);
  if (criteria.limit !== undefined) parts.push(`newest ${criteria.limit}`);
  return parts.length ? parts.join(", ") : "all sessions";
}
