import type { ReadWarnings } from "../domain/warnings.ts";
import type { AnalyticsEvent } from "../domain/events.ts";
import type { WindowedEvent } from "../domain/recording.ts";
import type { SessionMeta } from "../domain/session.ts";

/** Which sessions to list. Every field narrows; an empty filter lists everything (up to `limit`). */
export interface SessionFilter {
  ids?: string[];
  /** Sessions that started at or after this instant. */
  from?: Date;
  /** Sessions that started before this instant. */
  to?: Date;
  /** Sessions whose first URL contains this text. */
  urlContains?: string;
  /** Sessions with at least one `$exception` event. */
  hasException?: boolean;
  minDurationMs?: number;
  limit?: number;
}

/** Options shared by the streaming reads: where recoverable problems go. */
export interface ReadOptions {
  warnings?: ReadWarnings;
  signal?: AbortSignal;
}

/**
 * Where sessions come from. Events and recordings are streamed: a recording can be far larger
 * than memory allows to hold as one string.
 */
export interface SessionSource {
  /** Human-readable name for messages, e.g. `dataset examples/sample`. */
  readonly description: string;
  /**
   * Sessions matching the filter, newest first unless ids are given (then in the given order).
   * Unreadable sessions are skipped with a warning when listing, and an error when asked for by id.
   */
  listSessions(filter?: SessionFilter, options?: ReadOptions): Promise<SessionMeta[]>;
  /** Throws `SourceError` with code `session_not_found` for an unknown id. */
  getMeta(sessionId: string): Promise<SessionMeta>;
  /** The session's analytics events in stored order (datasets and PostHog store them by time). */
  streamEvents(sessionId: string, options?: ReadOptions): AsyncIterable<AnalyticsEvent>;
  /** The session's rrweb events with their window ids, in recorded order. */
  streamRecording(sessionId: string, options?: ReadOptions): AsyncIterable<WindowedEvent>;
}
