import type { eventWithTime } from "@rrweb/types";
import { DEFAULTS } from "../config/defaults.ts";
import { RenderError } from "./errors.ts";
import { renderClip, type ClipRenderOptions, type RenderedClip } from "./clip-renderer.ts";
import { PlayerServer } from "./player-server.ts";
import { encodeMp4 } from "./video.ts";
import { BrowserPool, type BrowserPoolOptions } from "./pool.ts";

export interface ClipRenderServiceOptions extends BrowserPoolOptions {
  framesPerSecond?: number;
  /** Playback speed of the MP4. */
  speed?: number;
}

/**
 * Renders clips for a run: one local player server and one warm browser pool, both started on
 * the first clip (a run with nothing to check never starts Chromium). A render whose browser died
 * under it is tried once more on a fresh browser.
 */
export class ClipRenderService {
  readonly pool: BrowserPool;
  private player?: Promise<PlayerServer>;

  constructor(private readonly options: ClipRenderServiceOptions = {}) {
    this.pool = new BrowserPool(options);
  }

  get framesPerSecond(): number {
    return this.options.framesPerSecond ?? 2;
  }

  get speed(): number {
    return this.options.speed ?? DEFAULTS.clip.speed;
  }

  async render(events: eventWithTime[], range: { startMs: number; endMs: number }, options: Pick<ClipRenderOptions, "video" | "text"> = {}): Promise<RenderedClip> {
    this.player ??= new PlayerServer().start();
    const player = await this.player;
    // The MP4 is encoded after the page is given back: ffmpeg need not hold a page slot.
    const attempt = () => this.pool.use((browser) => renderClip(browser, player, events, range, { text: options.text, framesPerSecond: this.framesPerSecond, speed: this.speed }));
    let rendered: RenderedClip;
    try {
      rendered = await attempt();
    } catch (error) {
      if (error instanceof RenderError || !isBrowserGone(error)) throw error;
      rendered = await attempt();
    }
    if (options.video) {
      rendered.video = await encodeMp4(rendered.frames, { framesPerSecond: this.framesPerSecond, speed: this.speed });
      rendered.videoSpeed = this.speed;
    }
    return rendered;
  }

  async close(): Promise<void> {
    await this.pool.close();
    const player = this.player;
    this.player = undefined;
    await (await player?.catch(() => undefined))?.close();
  }
}

/** Puppeteer's ways of saying the browser or its page went away mid-call. */
function isBrowserGone(error: unknown): boolean {
  const text = `${(error as Error)?.message ?? ""} ${((error as Error)?.cause as Error)?.message ?? ""}`;
  return /Target closed|Session closed|Connection closed|browser has disconnected|Protocol error.*(closed|detached)/i.test(text);
}
