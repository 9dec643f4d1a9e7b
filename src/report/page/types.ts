import type { Report } from "../../domain/report.ts";
import type { SessionSummary } from "../../domain/summary.ts";

/** Seconds of recording a replay shows before an example's moment (the replay starts there). */
export const REPLAY_LEAD_MS = 5_000;
/** Seconds of recording a replay keeps after the moment. */
export const REPLAY_TAIL_MS = 15_000;

/** Why an example's media is left out of the page although it could be read: the page must stay small enough to open. */
export interface NotEmbedded {
  status: "not_embedded";
  reason: string;
}

/**
 * The replay of one example: the events of one window that rebuild the page from its last full
 * snapshot before `start_ms` up to `end_ms`, or why there is none.
 */
export type ExampleReplay =
  | {
      status: "ready";
      window_id: string;
      /** Epoch ms where playing starts: the moment minus `REPLAY_LEAD_MS`, or the window's first snapshot if later. */
      start_ms: number;
      /** Epoch ms of the example's key event. */
      moment_ms: number;
      end_ms: number;
      /**
       * The rrweb events (first one is the Replayer's time zero), connection hints stripped, as JSON
       * safe inside a `<script type="application/json">` block: serialized once, kept as one string.
       */
      events_json: string;
      /** URLs of connection hints and frame sources taken out of the recording (see `withoutConnectionHints`). */
      stripped: string[];
    }
  | { status: "unavailable"; reason: string }
  | NotEmbedded;

/** The rendered clip of a checked example (issue 5), or why it could not be read. */
export type ExampleClip = { status: "ready"; mime: string; data_url: string; bytes: number } | { status: "unavailable"; reason: string } | NotEmbedded;

/** What the page shows next to an example besides the report's own fields. */
export interface ExampleMedia {
  replay: ExampleReplay;
  /** Present when the example was checked and has a `validation.clip_key`. */
  clip?: ExampleClip;
}

/** One analysed session: its summary from the cache, or why it is missing. */
export interface PageSession {
  session_id: string;
  summary?: SessionSummary;
  unavailable?: string;
}

/** Everything the report page shows: the report, its sessions' summaries, and per example its media. */
export interface ReportPageData {
  report: Report;
  /** In `report.sessions.summarized` order. */
  sessions: PageSession[];
  /** Keyed by `exampleKey(pattern.id, exampleIndex)`. */
  examples: Record<string, ExampleMedia>;
}

export interface RenderReportPageOptions {
  /** Set when the page is served by `session-summaries serve`: adds the chat panel. */
  served?: { reportId: string; apiBase: string; chat: boolean };
  /** Script nonce; random per render when absent. */
  nonce?: string;
}

/** `3-0`: pattern id and the example's index within the pattern. */
export function exampleKey(patternId: number, exampleIndex: number): string {
  return `${patternId}-${exampleIndex}`;
}
