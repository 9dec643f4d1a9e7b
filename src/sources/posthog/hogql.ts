import { z } from "zod";
import type { SessionFilter } from "../types.ts";

/**
 * HogQL for the query endpoint. Untrusted text (session ids, URLs, dates) never enters the query
 * string: it travels in `values` and the query names it as a `{placeholder}`, which PostHog parses
 * as a constant (`HogQLQuery.values`). Only integers this module checks itself are inlined.
 */

export interface HogQLQuery {
  kind: "HogQLQuery";
  query: string;
  values: Record<string, unknown>;
}

/** `HogQLQueryResponse`: rows as arrays, named by `columns`. `hasMore` is set only when PostHog paged for us. */
export const HogQLResponseSchema = z.looseObject({
  results: z.array(z.array(z.unknown())),
  columns: z.array(z.string()).optional(),
  hasMore: z.boolean().nullish(),
});

/** Sessions last at most 24 hours in PostHog, so a session's events lie within a day of its recording. */
export const SESSION_MAX_MS = 24 * 60 * 60 * 1000;

/** A personal-API-key query may not page with OFFSET, so event pages are keyed on `timestamp`. */
export function eventsPageQuery(args: {
  sessionIds: string[];
  from?: Date;
  to?: Date;
  /** Inclusive lower bound (ISO, millisecond precision): rows at exactly this instant come again. */
  after?: string;
  pageSize: number;
}): HogQLQuery {
  const conditions = ["$session_id IN {session_ids}"];
  const values: Record<string, unknown> = { session_ids: args.sessionIds };
  if (args.from) {
    conditions.push("timestamp >= toDateTime({range_from})");
    values.range_from = args.from.toISOString();
  }
  if (args.to) {
    conditions.push("timestamp < toDateTime({range_to})");
    values.range_to = args.to.toISOString();
  }
  if (args.after !== undefined) {
    conditions.push("timestamp >= toDateTime({after})");
    values.after = args.after;
  }
  return {
    kind: "HogQLQuery",
    query:
      "SELECT uuid, event, timestamp, distinct_id, properties, elements_chain FROM events " + `WHERE ${conditions.join(" AND ")} ORDER BY timestamp ASC, uuid ASC LIMIT ${positiveInt(args.pageSize)}`,
    values,
  };
}

/**
 * The filter as the server applies it: the limit is always set. `before` is the paging cursor: an
 * exclusive upper bound on the session start (ISO, millisecond precision), below the `to` bound.
 */
export type SessionListQueryArgs = SessionFilter & { limit: number; before?: string };

/**
 * Recorded sessions from `raw_session_replay_events`, aggregated per session the way PostHog's own
 * recordings list does it, table alias `s` included: it keeps column references apart from the
 * aggregates aliased with the same names. Start/end bounds go in HAVING (on the whole session); the
 * WHERE bounds are a day wider so that every row of a qualifying session is still aggregated.
 */
export function sessionListQuery(args: SessionListQueryArgs): HogQLQuery {
  const where: string[] = [];
  const having: string[] = [];
  const values: Record<string, unknown> = {};
  if (args.ids) {
    where.push("s.session_id IN {session_ids}");
    values.session_ids = args.ids;
  }
  if (args.from) {
    const from = Date.parse(args.from);
    where.push("s.min_first_timestamp >= toDateTime({scan_from})");
    having.push("start_time >= toDateTime({start_from})");
    values.scan_from = new Date(from - SESSION_MAX_MS).toISOString();
    values.start_from = new Date(from).toISOString();
  }
  if (args.to) {
    const to = Date.parse(args.to);
    where.push("s.min_first_timestamp < toDateTime({scan_to})");
    having.push("start_time < toDateTime({start_to})");
    values.scan_to = new Date(to + SESSION_MAX_MS).toISOString();
    values.start_to = new Date(to).toISOString();
  }
  if (args.before !== undefined) {
    // Every row of a session starting before the cursor begins within a day of that start.
    const before = Date.parse(args.before);
    where.push("s.min_first_timestamp < toDateTime({scan_before})");
    having.push("start_time < toDateTime({start_before})");
    values.scan_before = new Date(before + SESSION_MAX_MS).toISOString();
    values.start_before = new Date(before).toISOString();
  }
  if (args.has_exception !== undefined) {
    const exceptionWhere = ["event = '$exception'"];
    if (args.from) exceptionWhere.push("timestamp >= toDateTime({scan_from})");
    if (args.to) exceptionWhere.push("timestamp < toDateTime({scan_to})");
    where.push(`s.session_id ${args.has_exception ? "IN" : "NOT IN"} ` + `(SELECT $session_id FROM events WHERE ${exceptionWhere.join(" AND ")})`);
  }
  if (args.first_url_contains !== undefined) {
    // A plain substring test (no LIKE wildcards to escape), without regard to case as on every
    // surface: both sides lower-cased. The source checks again on the metadata.
    having.push("positionUTF8(lowerUTF8(ifNull(first_url, '')), {first_url_contains}) > 0");
    values.first_url_contains = args.first_url_contains.toLowerCase();
  }
  if (args.min_duration_ms !== undefined) {
    // dateDiff counts second boundaries, so it is a loose bound here; the caller checks milliseconds.
    having.push("dateDiff('second', start_time, end_time) >= {min_duration_s}");
    values.min_duration_s = Math.max(0, Math.floor(args.min_duration_ms / 1000));
  }
  return {
    kind: "HogQLQuery",
    query:
      "SELECT s.session_id AS session_id, any(s.distinct_id) AS distinct_id, " +
      "min(s.min_first_timestamp) AS start_time, max(s.max_last_timestamp) AS end_time, " +
      "argMinMerge(s.first_url) AS first_url " +
      "FROM raw_session_replay_events s" +
      (where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "") +
      " GROUP BY s.session_id" +
      (having.length > 0 ? ` HAVING ${having.join(" AND ")}` : "") +
      // session_id breaks ties so that pages keyed on start_time come in one stable order.
      ` ORDER BY start_time DESC, session_id DESC LIMIT ${positiveInt(args.limit)}`,
    values,
  };
}

/** Events and `$exception` events per session, for `SessionMeta.event_count` / `exception_count`. */
export function sessionCountsQuery(args: { sessionIds: string[]; from: Date; to: Date }): HogQLQuery {
  return {
    kind: "HogQLQuery",
    query:
      "SELECT $session_id AS session_id, count() AS event_count, countIf(event = '$exception') AS exception_count " +
      "FROM events WHERE $session_id IN {session_ids} " +
      "AND timestamp >= toDateTime({range_from}) AND timestamp < toDateTime({range_to}) " +
      `GROUP BY session_id LIMIT ${positiveInt(args.sessionIds.length)}`,
    values: {
      session_ids: args.sessionIds,
      range_from: args.from.toISOString(),
      range_to: args.to.toISOString(),
    },
  };
}

/** Rows as objects keyed by column name; `fallback` names the columns when the response omits them. */
export function rowsAsRecords(response: z.infer<typeof HogQLResponseSchema>, fallback: readonly string[]): Record<string, unknown>[] {
  const columns = response.columns ?? fallback;
  return response.results.map((row) => Object.fromEntries(columns.map((name, i) => [name, row[i]])));
}

function positiveInt(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`expected a positive integer, got ${value}`);
  return value;
}
