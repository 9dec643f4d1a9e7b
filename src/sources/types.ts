import type { ReadWarnings } from "../domain/warnings.ts";
import type { AnalyticsEvent } from "../domain/events.ts";
import type { WindowedEvent } from "../domain/recording.ts";
import type { SessionMeta } from "../domain/session.ts";
import type { SessionSelection } from "../domain/selection.ts";

/**
 * The part of a session selection (`src/domain/selection.ts`) a source answers from its own
 * metadata: ids, start time, first URL, exceptions, duration and the limit. Pages visited later,
 * event names and people are matched on the events by `findSessions`.
 */
export type SessionFilter = Pick<SessionSelection, "ids" | "from" | "to" | "first_url_contains" | "has_exception" | "min_duration_ms" | "limit">;

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
