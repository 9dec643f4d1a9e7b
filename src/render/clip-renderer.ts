import { createHash } from "node:crypto";
import { EventType, IncrementalSource, type eventWithTime } from "@rrweb/types";
import type { Browser } from "puppeteer-core";
import type { PlayerServer } from "./player-server.ts";
import { ReplaySession, type BlockedRequest } from "./replay.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { RenderError } from "./errors.ts";
import { encodeMp4 } from "./video.ts";
import { unreplayableContent } from "./unreplayable.ts";
import { ScreenNamer } from "./screen-compare.ts";
import type { UnreplayableContent, VisualCheck } from "../domain/summary.ts";

export interface ClipRenderOptions {
  /** Frames per second of recording time. */
  framesPerSecond?: number;
  /** How much faster than real time the video plays. */
  speed?: number;
  jpegQuality?: number;
  /** Also encode an MP4 (needs ffmpeg). */
  video?: boolean;
  /**
   * Also read what the validator needs at each frame: the page's visible text (open shadow roots
   * and same-origin frames included) and which distinct screen it shows, the cursor left out.
   */
  text?: boolean;
  /** Give up after this long; defaults to `clipTimeoutMs` of the clip's length. */
  timeoutMs?: number;
}

/** Loading the replay, plus a generous allowance per frame: a stuck page fails the clip, not the run. */
export function clipTimeoutMs(range: { startMs: number; endMs: number }, framesPerSecond: number): number {
  const frames = Math.floor(((range.endMs - range.startMs) / 1000) * framesPerSecond) + 1;
  return DEFAULTS.render.loadTimeoutMs + frames * 2_000;
}

export interface RenderedClip {
  startMs: number;
  endMs: number;
  /** JPEG frames, one per `1000 / framesPerSecond` ms of recording, from `startMs`. */
  frames: Buffer[];
  frameTimes: number[];
  /** Visible text of the page at each frame (option `text`). */
  texts?: string[];
  /** Which distinct screen each frame shows, the cursor and hover left out: equal names look the same (option `text`). */
  screens?: string[];
  /** SHA-256 over all frames: equal hashes mean byte-identical renders. */
  framesHash: string;
  video?: Buffer;
  /** How many times faster than real time `video` plays (set with `video`). */
  videoSpeed?: number;
  /** What the sandbox refused to load while replaying, each URL once. */
  blocked: BlockedRequest[];
  /** Refusals counted every time, repeats included: each seek rebuilds the page and asks again. */
  blockedAttempts: number;
  /** Content of the page the replay shows blank (a canvas whose drawing was not recorded). */
  unreplayable: UnreplayableContent[];
}

/**
 * Renders `[startMs, endMs]` of a replayable window (see `extractClipWindow`) by seeking the
 * replayer to each frame time and taking a screenshot: the frames depend on the recording only,
 * not on how busy the machine is. A frame with no recorded change since the previous one repeats it.
 * The page is closed on every path; a clip that takes longer than its timeout has its page closed
 * under it and fails with `render_timeout`.
 */
export async function renderClip(browser: Browser, player: PlayerServer, events: eventWithTime[], range: { startMs: number; endMs: number }, options: ClipRenderOptions = {}): Promise<RenderedClip> {
  const fps = options.framesPerSecond ?? 2;
  const stepMs = 1000 / fps;
  if (!(range.endMs >= range.startMs)) throw new RenderError("bad_clip_range", `clip range ends (${range.endMs}) before it starts (${range.startMs})`);
  const timeoutMs = options.timeoutMs ?? clipTimeoutMs(range, fps);
  let replay: ReplaySession | undefined;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void replay?.close();
  }, timeoutMs);
  const frames: Buffer[] = [];
  const frameTimes: number[] = [];
  const texts: string[] = [];
  const screens: string[] = [];
  const screenNamer = new ScreenNamer();
  try {
    replay = await ReplaySession.open(browser, player, events, { loadTimeoutMs: Math.min(timeoutMs, DEFAULTS.render.loadTimeoutMs) });
    if (timedOut) throw new RenderError("render_timeout", "timed out while loading the replay");
    const times = changeTimes(events);
    const pageTimes = pageChangeTimes(events);
    let next = 0; // first event not before the previous frame
    let nextPage = 0; // first page change not before the previous frame
    for (let i = 0, t = range.startMs; t <= range.endMs; i += 1, t = range.startMs + i * stepMs) {
      // Inclusive at both ends: whether rrweb applies an event at exactly the seek time does not matter.
      const previous = frameTimes.at(-1);
      while (previous !== undefined && next < times.length && times[next]! < previous) next += 1;
      while (previous !== undefined && nextPage < pageTimes.length && pageTimes[nextPage]! < previous) nextPage += 1;
      const changed = previous === undefined || (next < times.length && times[next]! <= t);
      const pageChanged = previous === undefined || (nextPage < pageTimes.length && pageTimes[nextPage]! <= t);
      if (changed) {
        await replay.seek(t);
        frames.push(await replay.screenshot({ type: "jpeg", quality: options.jpegQuality ?? 80 }));
        if (options.text) {
          texts.push(await replay.text());
          // Only the pointer moved: the page looks as it did (hover aside), and a capture costs ~60 ms.
          screens.push(pageChanged ? screenNamer.name(await replay.screenWithoutPointer()) : screens.at(-1)!);
        }
      } else {
        // Nothing was recorded since the last frame: the page is as it was, and a screenshot costs ~80 ms.
        frames.push(frames.at(-1)!);
        if (options.text) {
          texts.push(texts.at(-1)!);
          screens.push(screens.at(-1)!);
        }
      }
      frameTimes.push(t);
    }
  } catch (error) {
    if (timedOut) throw new RenderError("render_timeout", `rendering the clip took longer than ${Math.round(timeoutMs / 1000)} s`, { cause: error });
    throw error;
  } finally {
    clearTimeout(timer);
    await replay?.close();
  }
  const hash = createHash("sha256");
  for (const frame of frames) hash.update(frame);
  return {
    startMs: range.startMs,
    endMs: range.endMs,
    frames,
    frameTimes,
    ...(options.text ? { texts, screens } : {}),
    framesHash: hash.digest("hex"),
    ...(options.video ? { video: await encodeMp4(frames, { framesPerSecond: fps, speed: options.speed ?? DEFAULTS.clip.speed }), videoSpeed: options.speed ?? DEFAULTS.clip.speed } : {}),
    blocked: [...replay!.blocked],
    blockedAttempts: replay!.blockedAttempts,
    unreplayable: unreplayableContent(events),
  };
}

/** Frames that differ from the frame before them, the cursor left out; undefined without fingerprints. */
export function changedFrameCount(screens: readonly string[] | undefined): number | undefined {
  if (!screens) return undefined;
  let changed = 0;
  for (let i = 1; i < screens.length; i++) if (screens[i] !== screens[i - 1]) changed += 1;
  return changed;
}

/** What a visual check records about the rendered clip itself, whatever judged it. */
export function clipCheckFacts(rendered: RenderedClip): Pick<VisualCheck, "frames_hash" | "clip_speed" | "blocked_requests" | "frames" | "frames_changed" | "unreplayable"> {
  const changed = changedFrameCount(rendered.screens);
  return {
    frames_hash: rendered.framesHash,
    // The page's speed control says what the clip's speed is in real time.
    ...(rendered.video && rendered.videoSpeed !== undefined ? { clip_speed: rendered.videoSpeed } : {}),
    blocked_requests: rendered.blocked.length,
    frames: rendered.frames.length,
    ...(changed !== undefined ? { frames_changed: changed } : {}),
    ...(rendered.unreplayable.length > 0 ? { unreplayable: rendered.unreplayable } : {}),
  };
}

/** rrweb sources that only move or press the pointer: the replay draws them as its cursor, not on the page (focus is not replayed). */
const POINTER_SOURCES = new Set<IncrementalSource>([IncrementalSource.MouseMove, IncrementalSource.TouchMove, IncrementalSource.Drag, IncrementalSource.MouseInteraction]);

/** When the replayed page itself can change (pointer-only events left out). */
export function pageChangeTimes(events: readonly eventWithTime[]): number[] {
  return events
    .filter((event) => event.type !== EventType.IncrementalSnapshot || !POINTER_SOURCES.has((event.data as { source: IncrementalSource }).source))
    .map((event) => event.timestamp)
    .sort((a, b) => a - b);
}

/**
 * When the replayed page can change: each event's time, and for pointer batches the time of every
 * position in them (rrweb replays those at `timestamp + timeOffset`, before the batch's own time).
 */
export function changeTimes(events: readonly eventWithTime[]): number[] {
  const times: number[] = [];
  for (const event of events) {
    times.push(event.timestamp);
    if (event.type !== EventType.IncrementalSnapshot) continue;
    const data = event.data as { source?: IncrementalSource; positions?: Array<{ timeOffset?: number }> };
    if (data.source !== IncrementalSource.MouseMove && data.source !== IncrementalSource.TouchMove && data.source !== IncrementalSource.Drag) continue;
    for (const position of data.positions ?? []) if (typeof position.timeOffset === "number") times.push(event.timestamp + position.timeOffset);
  }
  return times.sort((a, b) => a - b);
}
