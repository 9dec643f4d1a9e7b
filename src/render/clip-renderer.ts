import { createHash } from "node:crypto";
import { EventType, IncrementalSource, type eventWithTime } from "@rrweb/types";
import type { Browser } from "puppeteer-core";
import type { PlayerServer } from "./player-server.ts";
import { ReplaySession, type BlockedRequest } from "./replay.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { RenderError } from "./errors.ts";
import { encodeMp4 } from "./video.ts";

export interface ClipRenderOptions {
  /** Frames per second of recording time. */
  framesPerSecond?: number;
  /** How much faster than real time the video plays. */
  speed?: number;
  jpegQuality?: number;
  /** Also encode an MP4 (needs ffmpeg). */
  video?: boolean;
  /** Also read the visible text of the replayed page at each frame (for the offline validator). */
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
  /** SHA-256 over all frames: equal hashes mean byte-identical renders. */
  framesHash: string;
  video?: Buffer;
  /** What the sandbox refused to load while replaying. */
  blocked: BlockedRequest[];
}

/**
 * Renders `[startMs, endMs]` of a replayable window (see `extractClipWindow`) by seeking the
 * replayer to each frame time and taking a screenshot: the frames depend on the recording only,
 * not on how busy the machine is. A frame with no recorded change since the previous one repeats it.
 * The page is closed on every path; a clip that takes longer than its timeout has its page closed
 * under it and fails with `render_timeout`.
 */
export async function renderClip(
  browser: Browser,
  player: PlayerServer,
  events: eventWithTime[],
  range: { startMs: number; endMs: number },
  options: ClipRenderOptions = {},
): Promise<RenderedClip> {
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
  try {
    replay = await ReplaySession.open(browser, player, events, { loadTimeoutMs: Math.min(timeoutMs, DEFAULTS.render.loadTimeoutMs) });
    if (timedOut) throw new RenderError("render_timeout", "timed out while loading the replay");
    const times = changeTimes(events);
    let next = 0; // first event not before the previous frame
    for (let i = 0, t = range.startMs; t <= range.endMs; i += 1, t = range.startMs + i * stepMs) {
      // Inclusive at both ends: whether rrweb applies an event at exactly the seek time does not matter.
      const previous = frameTimes.at(-1);
      while (previous !== undefined && next < times.length && times[next]! < previous) next += 1;
      const changed = previous === undefined || (next < times.length && times[next]! <= t);
      if (changed) {
        await replay.seek(t);
        frames.push(await replay.screenshot({ type: "jpeg", quality: options.jpegQuality ?? 80 }));
        if (options.text) texts.push(await replay.text());
      } else {
        // Nothing was recorded since the last frame: the page is as it was, and a screenshot costs ~80 ms.
        frames.push(frames.at(-1)!);
        if (options.text) texts.push(texts.at(-1)!);
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
    ...(options.text ? { texts } : {}),
    framesHash: hash.digest("hex"),
    ...(options.video ? { video: await encodeMp4(frames, { framesPerSecond: fps, speed: options.speed ?? 8 }) } : {}),
    blocked: [...replay!.blocked],
  };
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
