import type { AnalyticsEvent } from "../domain/events.ts";
import type { DropReason } from "./filters.ts";

/** Session-level numbers computed elsewhere (from the recording). Each is optional. */
export interface SessionSignals {
  durationMs?: number;
  activeSeconds?: number;
  clicks?: number;
  keypresses?: number;
  mouseActivity?: number;
  /** Raw URL of the first page; shown as its `url_N` alias. */
  startUrl?: string;
  /** Number of browser windows (tabs) recorded. */
  windows?: number;
  /** Loading indicators the recording showed for a while (`replay/waits.ts`), timed like `t`. */
  loadingWaits?: LoadingWaitSignal[];
}

/** A loading indicator on screen from `startS` (seconds since replay start) for `seconds`. */
export interface LoadingWaitSignal {
  startS: number;
  seconds: number;
  /** Still showing when the window's recording ended: the user left while it loaded. */
  stillLoading: boolean;
}

export interface EncodeInput {
  sessionId: string;
  events: AnalyticsEvent[];
  /** Replay start in epoch ms; defaults to the first event's timestamp. */
  replayStartMs?: number;
  /** Replay end in epoch ms; defaults to the last event's timestamp. */
  replayEndMs?: number;
  metadata?: SessionSignals;
}

/** The real event behind an `event_id`. Server-side only: none of it is sent to a model as is. */
export interface EventRef {
  sessionId: string;
  uuid: string;
  /** Position among the session's events ordered by time (the table's `index`). */
  index: number;
  timestampMs: number;
  event: string;
  windowId?: string;
  /** Un-aliased, un-redacted `$current_url`. */
  url?: string;
}

export interface EncodeStats {
  inputEvents: number;
  rows: number;
  duplicates: number;
  dropped: Record<DropReason, number>;
  redactions: number;
  /** o200k_base tokens of `text`. */
  tokens: number;
}

export interface EncodedSession {
  sessionId: string;
  /** The whole prompt section: notice, legend, metadata, url and window tables, fenced event table. */
  text: string;
  /** Header plus rows, tab-separated, unfenced. */
  eventsTable: string;
  urlTable: Array<[alias: string, url: string]>;
  windowTable: Array<[alias: string, windowId: string]>;
  idMap: Map<string, EventRef>;
  stats: EncodeStats;
}
