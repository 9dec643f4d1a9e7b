import { createHash } from "node:crypto";
import type { eventWithTime } from "@rrweb/types";
import type { Browser } from "puppeteer-core";
import type { PlayerServer } from "./player-server.ts";
import { ReplaySession, type BlockedRequest } from "./replay.ts";
import { encodeMp4 } from "./video.ts";

export interface ClipRenderOptions {
  /** Frames per second of recording time. */
  framesPerSecond?: number;
  /** How much faster than real time the video plays. */
  speed?: number;
  jpegQuality?: number;
  /** Also encode an MP4 (needs ffmpeg). */
  video?: boolean;
}

export interface RenderedClip {
  startMs: number;
  endMs: number;
  /** JPEG frames, one per `1000 / framesPerSecond` ms of recording, from `startMs`. */
  frames: Buffer[];
  frameTimes: number[];
  /** SHA-256 over all frames: equal hashes mean byte-identical renders. */
  framesHash: string;
  video?: Buffer;
  /** What the sandbox refused to load while replaying. */
  blocked: BlockedRequest[];
}

/**
 * Renders `[startMs, endMs]` of a replayable window (see `extractClipWindow`) by seeking the
 * replayer to each frame time and taking a screenshot: the frames depend on the recording only,
 * not on how busy the machine is. The page is closed on every path.
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
  const replay = await ReplaySession.open(browser, player, events);
  const frames: Buffer[] = [];
  const frameTimes: number[] = [];
  try {
    for (let t = range.startMs; t <= range.endMs; t += stepMs) {
      await replay.seek(t);
      frames.push(await replay.screenshot({ type: "jpeg", quality: options.jpegQuality ?? 80 }));
      frameTimes.push(t);
    }
  } finally {
    await replay.close();
  }
  const hash = createHash("sha256");
  for (const frame of frames) hash.update(frame);
  return {
    startMs: range.startMs,
    endMs: range.endMs,
    frames,
    frameTimes,
    framesHash: hash.digest("hex"),
    ...(options.video ? { video: await encodeMp4(frames, { framesPerSecond: fps, speed: options.speed ?? 8 }) } : {}),
    blocked: [...replay.blocked],
  };
}
