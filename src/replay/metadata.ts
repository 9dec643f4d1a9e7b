import { EventType, IncrementalSource } from "@rrweb/types";
import { DEFAULTS } from "../config/defaults.ts";
import type { WindowedEvent } from "../domain/recording.ts";
import { activeMsFromInstants, incrementalSource, isClick, isUserActivity, mouseActivityCount } from "./activity.ts";
import { LoadingWaitTracker, type LoadingWait } from "./waits.ts";

export interface Viewport {
  width: number;
  height: number;
}

export interface WindowMetadata {
  windowId: string;
  startMs: number;
  endMs: number;
  events: number;
  fullSnapshots: number;
  /** Viewport of the window's first Meta event. */
  viewport?: Viewport;
  /** Page URLs the window's Meta events announced, in order, without repeats. */
  urls: string[];
}

/** What a recording says about a session, computed in one streaming pass. */
export interface RecordingMetadata {
  startMs: number;
  endMs: number;
  durationMs: number;
  events: number;
  fullSnapshots: number;
  mutations: number;
  windows: WindowMetadata[];
  /** Viewport of the first window that announced one. */
  viewport?: Viewport;
  activeMs: number;
  activeSeconds: number;
  clicks: number;
  /** rrweb records input values, not keys: each Input event counts as one keypress. */
  keypresses: number;
  mouseActivity: number;
  /** False when no window has a FullSnapshot: nothing can be replayed. */
  replayable: boolean;
  /** Spans during which a loading indicator showed (see `waits.ts`); absent in metadata stored before they were read. */
  loadingWaits?: LoadingWait[];
  /** Each recorded click, and how soon the page answered it (see `ClickAnswer`); absent in metadata stored before they were read. */
  clickAnswers?: ClickAnswer[];
}

/**
 * A recorded click and the page's first answer to it in the same window: a DOM change, a field
 * whose value changed (an `<select>` option, a checkbox, a radio), or a new page. Whether a click
 * "did nothing" is read from this, not from the click alone.
 */
export interface ClickAnswer {
  windowId: string;
  /** Epoch ms of the click. */
  ms: number;
  /** Ms from the click to the first DOM change, input or new page, when one came within `clickAnswerHorizonMs`. */
  answeredAfterMs?: number;
  /** What answered first. */
  answeredBy?: "mutation" | "input" | "page";
}

export interface MetadataOptions {
  inactivityGapMs?: number;
  /** How long after a click an answer is looked for (the analyst decides how soon counts). */
  clickAnswerHorizonMs?: number;
}

/** Default `clickAnswerHorizonMs`: later changes are not the click's answer for any rule. */
export const CLICK_ANSWER_HORIZON_MS = 5_000;

export async function computeRecordingMetadata(events: AsyncIterable<WindowedEvent>, options: MetadataOptions = {}): Promise<RecordingMetadata> {
  const windows = new Map<string, WindowMetadata>();
  const activityInstants: number[] = [];
  let count = 0;
  let startMs = Number.POSITIVE_INFINITY;
  let endMs = Number.NEGATIVE_INFINITY;
  let fullSnapshots = 0;
  let mutations = 0;
  let clicks = 0;
  let keypresses = 0;
  let mouseActivity = 0;
  const waits = new LoadingWaitTracker();
  const clickAnswers: ClickAnswer[] = [];
  const pendingClicks = new Map<string, ClickAnswer[]>();
  const horizonMs = options.clickAnswerHorizonMs ?? CLICK_ANSWER_HORIZON_MS;
  const answerClicks = (windowId: string, t: number, by: NonNullable<ClickAnswer["answeredBy"]>): void => {
    const pending = pendingClicks.get(windowId);
    if (!pending) return;
    for (const click of pending) {
      if (t - click.ms <= horizonMs && t >= click.ms) {
        click.answeredAfterMs = t - click.ms;
        click.answeredBy = by;
      }
    }
    pendingClicks.delete(windowId);
  };

  for await (const { windowId, event } of events) {
    count += 1;
    const t = event.timestamp;
    if (t < startMs) startMs = t;
    if (t > endMs) endMs = t;
    let window = windows.get(windowId);
    if (!window) {
      window = { windowId, startMs: t, endMs: t, events: 0, fullSnapshots: 0, urls: [] };
      windows.set(windowId, window);
    }
    window.events += 1;
    waits.observe(windowId, event);
    if (t < window.startMs) window.startMs = t;
    if (t > window.endMs) window.endMs = t;

    if (event.type === EventType.FullSnapshot) {
      fullSnapshots += 1;
      window.fullSnapshots += 1;
      answerClicks(windowId, t, "page");
    } else if (event.type === EventType.Meta) {
      answerClicks(windowId, t, "page");
      const { href, width, height } = event.data as { href?: string; width?: number; height?: number };
      if (!window.viewport && typeof width === "number" && typeof height === "number") window.viewport = { width, height };
      if (typeof href === "string" && window.urls[window.urls.length - 1] !== href) window.urls.push(href);
    } else if (event.type === EventType.IncrementalSnapshot) {
      const source = incrementalSource(event);
      if (source === IncrementalSource.Mutation) {
        mutations += 1;
        answerClicks(windowId, t, "mutation");
      } else if (source === IncrementalSource.Input) {
        keypresses += 1;
        answerClicks(windowId, t, "input");
      }
      if (isClick(event)) {
        clicks += 1;
        const click: ClickAnswer = { windowId, ms: t };
        clickAnswers.push(click);
        // Clicks wait for an answer until the horizon; older ones never got one.
        const pending = (pendingClicks.get(windowId) ?? []).filter((known) => t - known.ms <= horizonMs);
        pending.push(click);
        pendingClicks.set(windowId, pending);
      }
      mouseActivity += mouseActivityCount(event);
      if (isUserActivity(event)) activityInstants.push(t);
    }
  }

  const activeMs = activeMsFromInstants(activityInstants, options.inactivityGapMs ?? DEFAULTS.replay.inactivityGapMs);
  const windowList = [...windows.values()];
  return {
    startMs: count > 0 ? startMs : 0,
    endMs: count > 0 ? endMs : 0,
    durationMs: count > 0 ? endMs - startMs : 0,
    events: count,
    fullSnapshots,
    mutations,
    windows: windowList,
    viewport: windowList.find((w) => w.viewport)?.viewport,
    activeMs,
    activeSeconds: Math.round(activeMs / 1000),
    clicks,
    keypresses,
    mouseActivity,
    replayable: fullSnapshots > 0,
    loadingWaits: waits.finish(),
    clickAnswers,
  };
}
