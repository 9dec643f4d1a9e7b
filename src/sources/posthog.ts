/**
 * Sessions from a PostHog project over its HTTP API, with a personal API key.
 *
 * Read before writing this (the API is PostHog's own, partly undocumented for public use):
 * - Query endpoint, HogQL, `values` placeholders, row limits:
 *   https://posthog.com/docs/api/queries , https://posthog.com/docs/api/query ,
 *   PostHog/posthog `posthog/hogql_queries/hogql_query_runner.py` (values become constants; no LIMIT
 *   means PostHog pages at 100 rows) and `posthog/hogql/user_query_validator.py` (OFFSET is refused for
 *   personal-API-key queries: page on `timestamp` instead), `frontend/src/queries/schema.ts`
 *   (`HogQLQuery.values`, `HogQLQueryResponse.results/columns/hasMore`).
 * - Events table fields `$session_id`, `elements_chain`: `posthog/hogql/database/schema/events.py`.
 * - Recorded sessions: `posthog/session_recordings/queries/session_recording_list_from_query.py`
 *   (aggregation over `raw_session_replay_events`) and `posthog/hogql/database/schema/session_replay_events.py`.
 * - Snapshots: https://posthog.com/docs/session-replay/snapshot-api (sources listing, blob / blob_v2 /
 *   realtime, ranges of at most 20 keys, the two line shapes) and
 *   `posthog/session_recordings/session_recording_api.py` (`SessionRecordingSnapshotsRequestSerializer`,
 *   `blob_v2=true`, JSONL bodies, 404 "Recording not found").
 * - Recordings list REST endpoint (not used; HogQL filters better): https://posthog.com/docs/api/session-recordings
 */
import { DEFAULTS } from "../config/defaults.ts";
import type { PostHogConfig } from "../config/env.ts";
import { describeIssues } from "../domain/errors.ts";
import { AnalyticsEventSchema, type AnalyticsEvent } from "../domain/events.ts";
import type { WindowedEvent } from "../domain/recording.ts";
import { SessionMetaSchema, type SessionMeta } from "../domain/session.ts";
import { ReadWarnings } from "../domain/warnings.ts";
import { parseRecordingLine } from "../replay/parse.ts";
import { SourceError } from "./errors.ts";
import { matchesFilter } from "./filter.ts";
import { eventsPageQuery, HogQLResponseSchema, rowsAsRecords, SESSION_MAX_MS, sessionCountsQuery, sessionListQuery, type HogQLQuery } from "./posthog/hogql.ts";
import type { Logger } from "../log/logger.ts";
import { defaultSleep, PostHogHttp, type FetchLike, type Sleep } from "./posthog/http.ts";
import { planSnapshotRequests, SnapshotSourcesSchema } from "./posthog/snapshots.ts";
import type { ReadOptions, SessionFilter, SessionSource } from "./types.ts";

export interface PostHogSourceOptions {
  fetch?: FetchLike;
  maxRetries?: number;
  retryBaseMs?: number;
  sleep?: Sleep;
  eventsPageSize?: number;
  /** blob_v2 keys per snapshot request (PostHog allows up to 20; fewer keeps each response small). */
  blobKeysPerRequest?: number;
  /** Longest wait for response headers, or between two chunks of a body. */
  requestTimeoutMs?: number;
  /** Sessions listed when the filter gives neither `limit` nor `from`. */
  listLimit?: number;
  /** Sessions per page of a listing. */
  listPageSize?: number;
  /** Retry notices (warn). Nothing else is logged, and never the key. */
  logger?: Logger;
}

/** PostHog caps one HogQL answer at 50k rows. */
const MAX_QUERY_ROWS = 50_000;

const SESSION_COLUMNS = ["session_id", "distinct_id", "start_time", "end_time", "first_url"] as const;
const EVENT_COLUMNS = ["uuid", "event", "timestamp", "distinct_id", "properties", "elements_chain"] as const;
const COUNT_COLUMNS = ["session_id", "event_count", "exception_count"] as const;

export class PostHogSource implements SessionSource {
  readonly description: string;
  private readonly http: PostHogHttp;
  private readonly projectPath: string;
  private readonly eventsPageSize: number;
  private readonly blobKeysPerRequest: number;
  private readonly listLimit: number;
  private readonly listPageSize: number;
  /** Metadata already fetched, so streaming a listed session's events needs no extra query for its time range. */
  private readonly metaCache = new Map<string, SessionMeta>();

  constructor(config: PostHogConfig, options: PostHogSourceOptions = {}) {
    if (!config.apiKey) {
      throw new SourceError("config_missing", "PostHog source needs a personal API key: set POSTHOG_API_KEY");
    }
    if (!config.projectId) {
      throw new SourceError("config_missing", "PostHog source needs a project id: set POSTHOG_PROJECT_ID");
    }
    let host: URL;
    try {
      host = new URL(config.host);
    } catch {
      throw new SourceError("config_invalid", `POSTHOG_HOST is not a URL: ${JSON.stringify(config.host)}`);
    }
    if (host.protocol !== "https:" && host.protocol !== "http:") {
      throw new SourceError("config_invalid", `POSTHOG_HOST must be an http(s) URL, got ${host.protocol}`);
    }
    const origin = config.host.replace(/\/+$/, "");
    this.description = `posthog ${origin} project ${config.projectId}`;
    this.projectPath = `/api/projects/${encodeURIComponent(config.projectId)}`;
    this.eventsPageSize = Math.min(options.eventsPageSize ?? DEFAULTS.posthog.eventsPageSize, MAX_QUERY_ROWS);
    this.blobKeysPerRequest = options.blobKeysPerRequest ?? DEFAULTS.posthog.blobKeysPerRequest;
    this.listLimit = options.listLimit ?? DEFAULTS.posthog.listLimit;
    this.listPageSize = Math.max(1, Math.floor(options.listPageSize ?? DEFAULTS.posthog.listPageSize));
    this.http = new PostHogHttp(origin, config.apiKey, {
      fetch: options.fetch ?? ((url, init) => fetch(url, init)),
      maxRetries: options.maxRetries ?? DEFAULTS.posthog.maxRetries,
      retryBaseMs: options.retryBaseMs ?? DEFAULTS.posthog.retryBaseMs,
      sleep: options.sleep ?? defaultSleep,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.posthog.requestTimeoutMs,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  /**
   * Server-side (HogQL): ids, from/to (on session start), first_url_contains (case-insensitive),
   * has_exception (a `$exception` event with the session id), a second-granular min_duration_ms, limit.
   * Client-side: the exact millisecond duration check. With `ids`, only the ids go to the server,
   * so an unknown id can be told from a filtered-out one; every other filter is then applied here.
   *
   * Sessions come in pages of `listPageSize`, newest first, keyed on the start time (the query
   * endpoint refuses OFFSET for personal API keys): each page asks for sessions that started before
   * the oldest one of the page before, and never for any before `from`. With `from` and no `limit`
   * the listing is a bounded window (a watch sweep from its watermark) and is read to its end; with
   * neither, `listLimit` keeps an open-ended listing from pulling the project's whole history.
   */
  async listSessions(filter: SessionFilter = {}, options: ReadOptions = {}): Promise<SessionMeta[]> {
    if (filter.ids) return this.listByIds(filter.ids, filter, options);
    const limit = filter.limit ?? (filter.from !== undefined ? Number.POSITIVE_INFINITY : this.listLimit);
    if (limit < 1) return [];
    const pageSize = Math.min(this.listPageSize, limit, MAX_QUERY_ROWS);
    const listed: SessionMeta[] = [];
    // The cursor is cut to milliseconds and inclusive of its millisecond, so sessions starting in
    // that millisecond come again and are skipped by id (PostHog times are microseconds).
    let cursor: { ms: number; ids: Set<string> } | undefined;
    for (;;) {
      const before = cursor ? new Date(cursor.ms + 1).toISOString() : undefined;
      const page = await this.queryPage(sessionListQuery({ ...filter, limit: pageSize, ...(before ? { before } : {}) }), SESSION_COLUMNS, options.signal, pageSize);
      const fresh = page.rows.filter((row) => !(cursor && cursor.ids.has(String(row.session_id))));
      for (const row of fresh) {
        const ms = typeof row.start_time === "string" ? Date.parse(row.start_time) : Number.NaN;
        if (Number.isNaN(ms)) continue;
        if (!cursor || ms < cursor.ms) cursor = { ms, ids: new Set() };
        cursor.ids.add(String(row.session_id));
      }
      const metas = this.toMetas(fresh, options.warnings).filter((meta) => matchesFilter(meta, filter));
      listed.push(...(await this.withCounts(metas.slice(0, limit - listed.length), options.signal)));
      if (!page.hasMore || listed.length >= limit) return listed;
      if (fresh.length === 0) {
        throw new SourceError(
          "posthog_paging_stuck",
          `${this.description}: more than ${pageSize} sessions start in the millisecond ${cursor ? new Date(cursor.ms).toISOString() : "?"}; raise the list page size`,
        );
      }
    }
  }

  async getMeta(sessionId: string, options: ReadOptions = {}): Promise<SessionMeta> {
    const [meta] = await this.listByIds([sessionId], {}, options);
    if (!meta) throw this.notFound(sessionId);
    return meta;
  }

  async *streamEvents(sessionId: string, options: ReadOptions = {}): AsyncGenerator<AnalyticsEvent> {
    checkSessionId(sessionId);
    const warnings = options.warnings ?? new ReadWarnings();
    const meta = this.metaCache.get(sessionId) ?? (await this.getMeta(sessionId, options));
    const from = new Date(Date.parse(meta.start) - SESSION_MAX_MS);
    const to = new Date(Date.parse(meta.end) + SESSION_MAX_MS);
    const label = `posthog events of session ${sessionId}`;

    // Keyset paging on timestamp, inclusive: rows of the cursor's millisecond come again and are
    // skipped by uuid. The cursor is cut to milliseconds so its parsing cannot round past a row.
    let cursor: { iso: string; ms: number; uuids: Set<string> } | undefined;
    let rowNo = 0;
    let valid = 0;
    for (;;) {
      const page = await this.queryPage(eventsPageQuery({ sessionIds: [sessionId], from, to, after: cursor?.iso, pageSize: this.eventsPageSize }), EVENT_COLUMNS, options.signal, this.eventsPageSize);
      let fresh = 0;
      for (const row of page.rows) {
        const uuid = typeof row.uuid === "string" ? row.uuid : undefined;
        if (cursor && uuid !== undefined && cursor.uuids.has(uuid)) continue;
        fresh += 1;
        rowNo += 1;
        const ms = typeof row.timestamp === "string" ? Date.parse(row.timestamp) : Number.NaN;
        if (!Number.isNaN(ms)) {
          if (!cursor || ms !== cursor.ms) cursor = { iso: new Date(ms).toISOString(), ms, uuids: new Set() };
          if (uuid !== undefined) cursor.uuids.add(uuid);
        }
        const event = toAnalyticsEvent(row, { file: label, line: rowNo }, warnings);
        if (event) {
          valid += 1;
          yield event;
        }
      }
      if (!page.hasMore) break;
      if (fresh === 0) {
        throw new SourceError(
          "posthog_paging_stuck",
          `${this.description}: more than ${this.eventsPageSize} events of session ${sessionId} share the ` + `millisecond ${cursor?.iso}; raise the events page size`,
        );
      }
    }
    if (rowNo > 0 && valid === 0) {
      throw new SourceError("no_valid_events", `${this.description}: none of the ${rowNo} events of session ${sessionId} is valid; ${warnings.summary().join("; ")}`);
    }
  }

  async *streamRecording(sessionId: string, options: ReadOptions = {}): AsyncGenerator<WindowedEvent> {
    checkSessionId(sessionId);
    const warnings = options.warnings ?? new ReadWarnings();
    const path = `${this.projectPath}/session_recordings/${encodeURIComponent(sessionId)}/snapshots`;
    const notFound = { code: "session_not_found", message: `${this.description}: no recording of session ${sessionId}` };

    const listing = SnapshotSourcesSchema.safeParse(await this.http.json({ method: "GET", path, search: { blob_v2: "true" }, notFound, signal: options.signal }));
    if (!listing.success) {
      throw new SourceError("posthog_bad_response", `${this.description}: the snapshot sources of session ${sessionId} are not {sources: [...]}: ${listing.error.issues[0]?.message}`);
    }
    const requests = planSnapshotRequests(listing.data.sources, this.blobKeysPerRequest);
    if (requests.length === 0) {
      throw new SourceError("no_recording_events", `${this.description}: PostHog lists no loadable snapshot source for session ${sessionId}`);
    }

    let yielded = 0;
    for (const search of requests) {
      const label = `posthog snapshots of session ${sessionId} (${new URLSearchParams(search).toString()})`;
      const lines = this.http.lines({ method: "GET", path, search, notFound, signal: options.signal }, label);
      for await (const line of lines) {
        for (const windowed of parseRecordingLine(line.text, { file: label, line: line.lineNo }, warnings)) {
          yielded += 1;
          yield windowed;
        }
      }
    }
    if (yielded === 0) {
      const skipped = warnings.total > 0 ? `; skipped: ${warnings.summary().join("; ")}` : "";
      throw new SourceError("no_recording_events", `${this.description}: the recording of session ${sessionId} contains no readable rrweb events${skipped}`);
    }
  }

  private async listByIds(ids: string[], filter: SessionFilter, options: ReadOptions): Promise<SessionMeta[]> {
    for (const id of ids) checkSessionId(id);
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    if (unique.length > MAX_QUERY_ROWS) {
      throw new SourceError("too_many_ids", `at most ${MAX_QUERY_ROWS} session ids can be listed at once`);
    }
    const rows = await this.query(sessionListQuery({ ids: unique, limit: unique.length }), SESSION_COLUMNS, options.signal);
    const byId = new Map(this.toMetas(rows, options.warnings).map((meta) => [meta.session_id, meta]));
    const missing = unique.filter((id) => !byId.has(id));
    if (missing.length === 1) throw this.notFound(missing[0]!);
    if (missing.length > 1) {
      throw new SourceError("session_not_found", `${this.description}: unknown session ids: ${missing.join(", ")}`);
    }
    let metas = await this.withCounts(
      unique.map((id) => byId.get(id)!),
      options.signal,
    );
    metas = metas.filter((meta) => matchesFilter(meta, filter));
    if (filter.has_exception !== undefined) {
      metas = metas.filter((meta) => (meta.exception_count ?? 0) > 0 === filter.has_exception);
    }
    return filter.limit === undefined ? metas : metas.slice(0, Math.max(0, filter.limit));
  }

  /** Adds event and exception counts, one query for all the sessions. */
  private async withCounts(metas: SessionMeta[], signal: AbortSignal | undefined): Promise<SessionMeta[]> {
    if (metas.length === 0) return metas;
    const starts = metas.map((meta) => Date.parse(meta.start));
    const ends = metas.map((meta) => Date.parse(meta.end));
    const rows = await this.query(
      sessionCountsQuery({
        sessionIds: metas.map((meta) => meta.session_id),
        from: new Date(Math.min(...starts) - SESSION_MAX_MS),
        to: new Date(Math.max(...ends) + SESSION_MAX_MS),
      }),
      COUNT_COLUMNS,
      signal,
    );
    const counts = new Map(rows.map((row) => [String(row.session_id), row]));
    return metas.map((meta) => {
      const row = counts.get(meta.session_id);
      const counted: SessionMeta = {
        ...meta,
        event_count: toCount(row?.event_count) ?? 0,
        exception_count: toCount(row?.exception_count) ?? 0,
      };
      this.metaCache.set(meta.session_id, counted);
      return counted;
    });
  }

  private toMetas(rows: Record<string, unknown>[], warnings: ReadWarnings | undefined): SessionMeta[] {
    const metas: SessionMeta[] = [];
    rows.forEach((row, index) => {
      const parsed = SessionMetaSchema.safeParse({
        session_id: row.session_id,
        distinct_id: typeof row.distinct_id === "string" && row.distinct_id !== "" ? row.distinct_id : undefined,
        start: normalizeTimestamp(row.start_time),
        end: normalizeTimestamp(row.end_time),
        first_url: typeof row.first_url === "string" && row.first_url !== "" ? row.first_url : undefined,
      });
      if (parsed.success) {
        metas.push(parsed.data);
        this.metaCache.set(parsed.data.session_id, parsed.data);
      } else {
        warnings?.add({
          file: `${this.description} sessions`,
          line: index + 1,
          code: "invalid_session_meta",
          problem: describeIssues(parsed.error.issues),
        });
      }
    });
    return metas;
  }

  private async query(request: HogQLQuery, fallbackColumns: readonly string[], signal: AbortSignal | undefined): Promise<Record<string, unknown>[]> {
    return (await this.queryPage(request, fallbackColumns, signal)).rows;
  }

  /** One answer of the query endpoint; `pageSize` is the query's LIMIT when it is a page of a longer list. */
  private async queryPage(request: HogQLQuery, fallbackColumns: readonly string[], signal: AbortSignal | undefined, pageSize?: number): Promise<{ rows: Record<string, unknown>[]; hasMore: boolean }> {
    const path = `${this.projectPath}/query/`;
    const body = await this.http.json({
      method: "POST",
      path,
      json: { query: request },
      signal,
      notFound: {
        code: "posthog_not_found",
        message: `${this.description}: PostHog knows no such project; check POSTHOG_PROJECT_ID and POSTHOG_HOST`,
      },
    });
    const parsed = HogQLResponseSchema.safeParse(body);
    if (!parsed.success) {
      throw new SourceError("posthog_bad_response", `${this.description}: the query endpoint answered without a results table: ${describeIssues(parsed.error.issues)}`);
    }
    const rows = rowsAsRecords(parsed.data, fallbackColumns);
    // An explicit LIMIT turns PostHog's own paging off, so a full page is the only sign of more rows.
    const hasMore = parsed.data.hasMore ?? (pageSize !== undefined && rows.length >= pageSize);
    return { rows, hasMore };
  }

  private notFound(sessionId: string): SourceError {
    return new SourceError("session_not_found", `${this.description}: no recorded session ${sessionId}`);
  }
}

/** A query row as an `AnalyticsEvent`, or a warning. `properties` arrives as a JSON string. */
function toAnalyticsEvent(row: Record<string, unknown>, location: { file: string; line: number }, warnings: ReadWarnings): AnalyticsEvent | undefined {
  let properties: unknown = row.properties ?? {};
  if (typeof properties === "string") {
    try {
      properties = properties === "" ? {} : JSON.parse(properties);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      warnings.add({ ...location, code: "invalid_event", problem: `properties are not valid JSON (${reason})` });
      return undefined;
    }
  }
  // Autocapture's element chain is a column of its own in PostHog, not a property.
  if (
    typeof row.elements_chain === "string" &&
    row.elements_chain !== "" &&
    typeof properties === "object" &&
    properties !== null &&
    !Array.isArray(properties) &&
    !("$elements_chain" in properties)
  ) {
    properties = { ...properties, $elements_chain: row.elements_chain };
  }
  const parsed = AnalyticsEventSchema.safeParse({
    uuid: row.uuid,
    event: row.event,
    timestamp: normalizeTimestamp(row.timestamp),
    distinct_id: typeof row.distinct_id === "string" ? row.distinct_id : undefined,
    properties,
  });
  if (!parsed.success) {
    warnings.add({ ...location, code: "invalid_event", problem: `not a valid event: ${describeIssues(parsed.error.issues)}` });
    return undefined;
  }
  return parsed.data;
}

/** PostHog's microsecond timestamps as the millisecond ISO form the rest of the project uses. */
function normalizeTimestamp(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

function checkSessionId(sessionId: string): void {
  if (typeof sessionId !== "string" || sessionId.length === 0 || sessionId.length > 200) {
    throw new SourceError("invalid_session_id", `invalid session id ${JSON.stringify(sessionId)}`);
  }
}

function toCount(value: unknown): number | undefined {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
