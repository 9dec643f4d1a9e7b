import { EventType } from "@rrweb/types";
import type { eventWithTime } from "@rrweb/types";
import type { InputLocation } from "../domain/errors.ts";
import type { WindowedEvent } from "../domain/recording.ts";
import { ReadWarnings } from "../domain/warnings.ts";
import { DOM_STATE_SOURCES, incrementalSource } from "./activity.ts";
import { RecordingError } from "./errors.ts";
import { parseRecordingLine } from "./parse.ts";
import { readRecordingLines } from "./reader.ts";
import { CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, DIGIT_0, DIGIT_9 } from "../io/json-syntax.ts";

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
  /**
   * Cap on what is held between the last full snapshot and the clip's start. A recording that
   * mutates for hours without a new snapshot cannot be cut without holding all of it.
   */
  maxCatchUpBytes?: number;
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
  /** How `extractClipFromFile` read the file: lines parsed, and lines kept unparsed (then parsed if needed). */
  reading?: { linesParsed: number; linesDeferred: number; deferredLinesParsed: number };
}

const DEFAULT_ORDER_SLACK_MS = 60_000;
const DEFAULT_MAX_CATCH_UP_BYTES = 256 * 1024 * 1024;

/** Raw JSONL text kept unparsed until we know it is needed (see `extractClipFromFile`). */
interface DeferredLine {
  text: string;
  location: InputLocation;
}

interface WindowState {
  pendingMeta?: eventWithTime;
  baseline: eventWithTime[];
  baselineMs?: number;
  /** DOM-changing events (or unparsed lines holding them) between the baseline and the clip's start. */
  catchUp: Array<eventWithTime | DeferredLine>;
  catchUpBytes: number;
  inClip: eventWithTime[];
}

/**
 * Collects, per window, what a clip `[startMs, endMs]` needs to replay on its own: the last
 * Meta + FullSnapshot before the clip, the DOM-changing events between it and the clip's start
 * (needed to rebuild the page as it was), and every event inside the clip. Pointer movement before
 * the clip does not change the page and is not kept. Memory is bounded by one full-snapshot
 * interval plus the clip, not by the recording.
 */
class ClipCollector {
  private readonly windows = new Map<string, WindowState>();
  private readonly maxCatchUpBytes: number;
  lastSeenMs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly request: ClipRequest,
    private readonly file: string,
  ) {
    if (!(request.endMs >= request.startMs)) {
      throw new RecordingError("invalid_clip", file, `clip end ${request.endMs} is before its start ${request.startMs}`);
    }
    this.maxCatchUpBytes = request.maxCatchUpBytes ?? DEFAULT_MAX_CATCH_UP_BYTES;
  }

  get stopAfterMs(): number {
    return this.request.endMs + (this.request.orderSlackMs ?? DEFAULT_ORDER_SLACK_MS);
  }

  hasBaseline(windowId: string): boolean {
    return this.windows.get(windowId)?.baselineMs !== undefined;
  }

  /** Returns false once reading further cannot change the clip. */
  addEvent(windowId: string, event: eventWithTime): boolean {
    const t = event.timestamp;
    if (t > this.lastSeenMs) this.lastSeenMs = t;
    if (t > this.stopAfterMs) return false;
    if (t > this.request.endMs) return true;
    const state = this.stateOf(windowId);
    if (t >= this.request.startMs) {
      // A page loaded right at the clip's start: its Meta (viewport, URL) came just before.
      if (event.type === EventType.FullSnapshot && state.pendingMeta) state.inClip.push(state.pendingMeta);
      if (event.type === EventType.FullSnapshot || event.type === EventType.Meta) state.pendingMeta = undefined;
      state.inClip.push(event);
    } else if (event.type === EventType.Meta) {
      state.pendingMeta = event;
    } else if (event.type === EventType.FullSnapshot) {
      // A newer snapshot makes everything before it unnecessary.
      state.baseline = state.pendingMeta ? [state.pendingMeta, event] : [event];
      state.baselineMs = t;
      state.pendingMeta = undefined;
      state.catchUp = [];
      state.catchUpBytes = 0;
    } else if (state.baselineMs !== undefined) {
      const source = incrementalSource(event);
      if (source !== undefined && DOM_STATE_SOURCES.has(source)) state.catchUp.push(event);
    }
    return true;
  }

  /** Keeps a line that lies wholly before the clip and holds no Meta or FullSnapshot, unparsed. */
  deferLine(windowId: string, line: DeferredLine, latestMs: number): void {
    if (latestMs > this.lastSeenMs) this.lastSeenMs = latestMs;
    const state = this.stateOf(windowId);
    if (state.baselineMs === undefined) return; // before the first snapshot: never needed
    state.catchUp.push(line);
    state.catchUpBytes += line.text.length;
    if (state.catchUpBytes > this.maxCatchUpBytes) {
      throw new RecordingError("clip_state_too_large", this.file, `more than ${this.maxCatchUpBytes} bytes of changes since the last full snapshot before the clip (window ${windowId})`);
    }
  }

  finish(warnings: ReadWarnings): ClipWindow {
    const { startMs, endMs } = this.request;
    const result: ClipWindow = { startMs, endMs, windows: [], unreplayableWindows: [] };
    for (const [windowId, state] of this.windows) {
      if (state.inClip.length === 0) continue;
      let baselineMs = state.baselineMs;
      let events: eventWithTime[];
      if (baselineMs !== undefined) {
        events = [...state.baseline, ...this.catchUpEvents(windowId, state, warnings), ...state.inClip];
      } else {
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
    if (result.windows.length > 0) return result;
    if (result.unreplayableWindows.length > 0) {
      throw new RecordingError("no_full_snapshot", this.file, `no full snapshot to replay the clip from in window(s) ${result.unreplayableWindows.join(", ")}`);
    }
    const seen = Number.isFinite(this.lastSeenMs) ? `; the recording's last event is at ${new Date(this.lastSeenMs).toISOString()}` : "";
    throw new RecordingError("clip_out_of_range", this.file, `no recorded events between ${new Date(startMs).toISOString()} and ${new Date(endMs).toISOString()}${seen}`);
  }

  deferredLinesParsed = 0;

  private catchUpEvents(windowId: string, state: WindowState, warnings: ReadWarnings): eventWithTime[] {
    const out: eventWithTime[] = [];
    for (const item of state.catchUp) {
      if (!("location" in item)) {
        out.push(item);
        continue;
      }
      this.deferredLinesParsed += 1;
      for (const { windowId: w, event } of parseRecordingLine(item.text, item.location, warnings)) {
        const source = incrementalSource(event);
        if (w === windowId && source !== undefined && DOM_STATE_SOURCES.has(source)) out.push(event);
      }
    }
    return out;
  }

  private stateOf(windowId: string): WindowState {
    let state = this.windows.get(windowId);
    if (!state) {
      state = { baseline: [], catchUp: [], catchUpBytes: 0, inClip: [] };
      this.windows.set(windowId, state);
    }
    return state;
  }
}

/** Extracts a clip from any stream of windowed events (a dataset file, the PostHog API). */
export async function extractClipWindow(events: AsyncIterable<WindowedEvent>, request: ClipRequest, file = "recording"): Promise<ClipWindow> {
  const collector = new ClipCollector(request, file);
  for await (const { windowId, event } of events) {
    if (!collector.addEvent(windowId, event)) break;
  }
  return collector.finish(new ReadWarnings());
}

const TIMESTAMP_KEY = '"timestamp"';
/** Texts without which a line cannot hold a Meta (`href`) or a FullSnapshot (`initialOffset`, or compressed: `cv`). */
const SNAPSHOT_MARKERS = ['"href"', '"initialOffset"', '"cv"'];

/**
 * Extracts a clip straight from a recording file, faster than parsing every line: a line whose
 * every `"timestamp"` (nested ones included, so the test is conservative) lies before the clip and
 * that cannot hold a Meta or FullSnapshot is kept as raw text, and parsed only if no newer snapshot
 * supersedes it. Any line the raw test is unsure about is parsed, so the result is the same as
 * `extractClipWindow` over `readRecording`.
 */
export async function extractClipFromFile(file: string, request: ClipRequest, options: { warnings?: ReadWarnings; signal?: AbortSignal } = {}): Promise<ClipWindow> {
  const warnings = options.warnings ?? new ReadWarnings();
  const collector = new ClipCollector(request, file);
  let linesParsed = 0;
  let linesDeferred = 0;
  lines: for await (const item of readRecordingLines(file, { warnings, signal: options.signal })) {
    if (item.kind === "event") {
      if (!collector.addEvent(item.windowId, item.event)) break;
      continue;
    }
    const { text, location } = item;
    const latest = latestStrictTimestamp(text);
    const windowId = latest !== undefined && latest < request.startMs ? leadingWindowId(text) : undefined;
    if (windowId !== undefined && !SNAPSHOT_MARKERS.some((marker) => text.includes(marker))) {
      linesDeferred += 1;
      collector.deferLine(windowId, { text, location }, latest!);
      continue;
    }
    linesParsed += 1;
    for (const { windowId: w, event } of parseRecordingLine(text, location, warnings)) {
      if (!collector.addEvent(w, event)) break lines;
    }
  }
  const clip = collector.finish(warnings);
  clip.reading = { linesParsed, linesDeferred, deferredLinesParsed: collector.deferredLinesParsed };
  return clip;
}

/**
 * The latest `"timestamp"` value in a line, or undefined unless every `"timestamp"` key in it is
 * followed by `:` and a plain integer, as JSON.stringify writes epoch milliseconds (anything else,
 * say `1.7e12` or a space, means: parse the line). One scan, no regex: this runs on every line.
 */
function latestStrictTimestamp(text: string): number | undefined {
  let latest = -1;
  for (let at = text.indexOf(TIMESTAMP_KEY); at !== -1; at = text.indexOf(TIMESTAMP_KEY, at + TIMESTAMP_KEY.length)) {
    let i = at + TIMESTAMP_KEY.length;
    if (text.charCodeAt(i) !== COLON) return undefined;
    let value = 0;
    let digits = 0;
    for (i += 1; digits <= 16; i++, digits++) {
      const code = text.charCodeAt(i);
      if (code < DIGIT_0 || code > DIGIT_9) break;
      value = value * 10 + (code - DIGIT_0);
    }
    const after = text.charCodeAt(i);
    if (digits === 0 || digits > 16 || (after !== COMMA && after !== CLOSE_BRACE && after !== CLOSE_BRACKET)) return undefined;
    if (value > latest) latest = value;
  }
  return latest === -1 ? undefined : latest;
}

/** The window id of a line in either snapshot shape, read without parsing; undefined if unsure. */
function leadingWindowId(text: string): string | undefined {
  const prefix = text.startsWith('{"window_id":"') ? 14 : text.startsWith('["') ? 2 : -1;
  if (prefix === -1) return undefined;
  const end = text.indexOf('"', prefix);
  if (end === -1) return undefined;
  const id = text.slice(prefix, end);
  return id.includes("\\") || id.length === 0 ? undefined : id;
}
