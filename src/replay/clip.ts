import { EventType } from "@rrweb/types";
import type { eventWithTime } from "@rrweb/types";
import type { WindowedEvent } from "../domain/recording.ts";
import { DOM_STATE_SOURCES, incrementalSource } from "./activity.ts";
import { RecordingError } from "./errors.ts";

export interface ClipRequest {
  /** Epoch ms, inclusive. */
  startMs: number;
  /** Epoch ms, inclusive. */
  endMs: number;
  /**
   * Windows are written in interleaved batches a few seconds apart, so reading stops only once an
   * event this far past `endMs` is seen.
   */
  orderSlackMs?: number;
}

/** The events of one window that replay the clip on their own. */
export interface ClipWindowEvents {
  windowId: string;
  /** Meta + FullSnapshot the replay starts from, then DOM-changing events up to the clip's start, then the clip's events. */
  events: eventWithTime[];
  /** Timestamp of the FullSnapshot the replay starts from. */
  baselineMs: number;
  /** Events that fall inside [startMs, endMs]. */
  eventsInClip: number;
}

export interface ClipWindow {
  startMs: number;
  endMs: number;
  windows: ClipWindowEvents[];
  /** Windows with events in the clip but no full snapshot to start from (left out). */
  unreplayableWindows: string[];
}

const DEFAULT_ORDER_SLACK_MS = 60_000;

interface WindowState {
  pendingMeta?: eventWithTime;
  baseline: eventWithTime[];
  baselineMs?: number;
  /** DOM-changing events between the baseline and the clip's start. */
  catchUp: eventWithTime[];
  inClip: eventWithTime[];
}

/**
 * Extracts a self-contained clip `[startMs, endMs]` from a recording stream: per window, the last
 * Meta + FullSnapshot before the clip, the DOM-changing events between it and the clip's start
 * (needed to rebuild the page as it was), and every event inside the clip. Memory is bounded by
 * one full-snapshot interval plus the clip, not by the file.
 */
export async function extractClipWindow(
  events: AsyncIterable<WindowedEvent>,
  request: ClipRequest,
  file = "recording",
): Promise<ClipWindow> {
  const { startMs, endMs } = request;
  if (!(endMs >= startMs)) throw new RecordingError("invalid_clip", file, `clip end ${endMs} is before its start ${startMs}`);
  const stopAfter = endMs + (request.orderSlackMs ?? DEFAULT_ORDER_SLACK_MS);
  const windows = new Map<string, WindowState>();
  let lastSeenMs = Number.NEGATIVE_INFINITY;

  for await (const { windowId, event } of events) {
    const t = event.timestamp;
    if (t > lastSeenMs) lastSeenMs = t;
    if (t > stopAfter) break;
    if (t > endMs) continue;
    let state = windows.get(windowId);
    if (!state) {
      state = { baseline: [], catchUp: [], inClip: [] };
      windows.set(windowId, state);
    }
    if (t >= startMs) {
      state.inClip.push(event);
      continue;
    }
    if (event.type === EventType.Meta) {
      state.pendingMeta = event;
    } else if (event.type === EventType.FullSnapshot) {
      // A newer snapshot makes everything before it unnecessary.
      state.baseline = state.pendingMeta ? [state.pendingMeta, event] : [event];
      state.baselineMs = t;
      state.pendingMeta = undefined;
      state.catchUp = [];
    } else if (state.baselineMs !== undefined) {
      const source = incrementalSource(event);
      if (source !== undefined && DOM_STATE_SOURCES.has(source)) state.catchUp.push(event);
    }
  }

  const result: ClipWindow = { startMs, endMs, windows: [], unreplayableWindows: [] };
  for (const [windowId, state] of windows) {
    if (state.inClip.length === 0) continue;
    let baselineMs = state.baselineMs;
    let events = [...state.baseline, ...state.catchUp, ...state.inClip];
    if (baselineMs === undefined) {
      // A window opened during the clip replays from its first snapshot inside the clip.
      const firstSnapshot = state.inClip.findIndex((e) => e.type === EventType.FullSnapshot);
      if (firstSnapshot === -1) {
        result.unreplayableWindows.push(windowId);
        continue;
      }
      const metaBefore = firstSnapshot > 0 && state.inClip[firstSnapshot - 1]!.type === EventType.Meta ? 1 : 0;
      events = state.inClip.slice(firstSnapshot - metaBefore);
      baselineMs = state.inClip[firstSnapshot]!.timestamp;
    }
    result.windows.push({ windowId, events, baselineMs, eventsInClip: state.inClip.length });
  }

  if (result.windows.length === 0) {
    if (result.unreplayableWindows.length > 0) {
      throw new RecordingError(
        "no_full_snapshot",
        file,
        `no full snapshot to replay the clip from in window(s) ${result.unreplayableWindows.join(", ")}`,
      );
    }
    const seen = Number.isFinite(lastSeenMs) ? `; the recording's last event is at ${new Date(lastSeenMs).toISOString()}` : "";
    throw new RecordingError(
      "clip_out_of_range",
      file,
      `no recorded events between ${new Date(startMs).toISOString()} and ${new Date(endMs).toISOString()}${seen}`,
    );
  }
  return result;
}
