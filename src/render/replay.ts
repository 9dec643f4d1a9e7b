import { EventType } from "@rrweb/types";
import type { eventWithTime } from "@rrweb/types";
import type { Browser, HTTPRequest, Page } from "puppeteer-core";
import { DEFAULTS } from "../config/defaults.ts";
import { RenderError } from "./errors.ts";
import type { PlayerServer } from "./player-server.ts";
import { withoutConnectionHints } from "./sanitize.ts";
import { SCREEN_COMPARE } from "./screen-compare.ts";

export interface ReplayOptions {
  /** Page size; defaults to the first Meta event's viewport. */
  viewport?: { width: number; height: number };
  loadTimeoutMs?: number;
}

/** A request the sandbox refused: the recording pointed at something outside the player. */
export interface BlockedRequest {
  url: string;
  resourceType: string;
}

function viewportOf(events: eventWithTime[]): { width: number; height: number } {
  for (const event of events) {
    if (event.type !== EventType.Meta) continue;
    const { width, height } = event.data as { width?: number; height?: number };
    if (width && height) return { width, height };
  }
  return { ...DEFAULTS.render.viewport };
}

/**
 * One recording (or clip) loaded into rrweb's Replayer in a browser page, ready to be moved to any
 * moment with `seek` and looked at with `text` and `screenshot`. Seeking (pausing at a time) instead
 * of playing makes what is shown depend only on the events, not on how busy the machine is.
 *
 * Sandbox: the page may load only from the player server. Every other request the replayed page
 * makes (images, fonts, stylesheets, iframes referenced by the recording) is aborted and recorded
 * in `blocked`; the player's CSP forbids them too, and recorded scripts never run. Connection hints
 * (`<link rel=preconnect>` and kin) and frame sources, which connect before any request is seen,
 * lose their URL first (listed in `blocked` as `stripped`).
 */
export class ReplaySession {
  /** Each refused URL once: a seek rebuilds the page, and the page asks for the same URLs again. */
  readonly blocked: BlockedRequest[] = [];
  /** Refusals counted every time, repeats included. */
  blockedAttempts = 0;
  private readonly blockedUrls = new Set<string>();
  startTime = 0;
  endTime = 0;

  private constructor(
    private readonly page: Page,
    private readonly server: PlayerServer,
    private readonly clipId: string,
  ) {}

  static async open(browser: Browser, server: PlayerServer, events: eventWithTime[], options: ReplayOptions = {}): Promise<ReplaySession> {
    if (!events.some((event) => event.type === EventType.FullSnapshot)) {
      throw new RenderError("no_full_snapshot", "cannot replay: the events contain no full snapshot");
    }
    // Connection hints and frame sources open sockets before the request filter below could refuse them.
    const safe = withoutConnectionHints(events);
    const { id, url } = server.register(safe.events);
    const page = await browser.newPage();
    const session = new ReplaySession(page, server, id);
    for (const url of safe.stripped) session.recordBlocked({ url, resourceType: "stripped" });
    try {
      await session.load(url, options.viewport ?? viewportOf(events), options.loadTimeoutMs ?? DEFAULTS.render.loadTimeoutMs);
      return session;
    } catch (error) {
      await session.close();
      if (error instanceof RenderError) throw error;
      throw new RenderError("replay_load_failed", `replay did not load: ${(error as Error).message}`, { cause: error });
    }
  }

  private async load(clipUrl: string, viewport: { width: number; height: number }, timeout: number): Promise<void> {
    const page = this.page;
    page.setDefaultTimeout(timeout);
    await page.setViewport(viewport);
    await page.setRequestInterception(true);
    page.on("request", (request) => this.filter(request));
    await page.goto(this.server.playerUrl, { waitUntil: "load", timeout });
    // Strings, not functions: page code must not depend on how this file was compiled.
    const meta = (await page.evaluate(`window.__replay.load(${JSON.stringify(clipUrl)})`)) as {
      startTime: number;
      endTime: number;
    };
    this.startTime = meta.startTime;
    this.endTime = meta.endTime;
  }

  private filter(request: HTTPRequest): void {
    if (request.isInterceptResolutionHandled()) return;
    const url = request.url();
    if (url.startsWith(`${this.server.origin}/`) || url.startsWith("data:") || url.startsWith("blob:") || url === "about:blank") {
      void request.continue();
      return;
    }
    this.recordBlocked({ url, resourceType: request.resourceType() });
    void request.abort("blockedbyclient");
  }

  private recordBlocked(request: BlockedRequest): void {
    this.blockedAttempts += 1;
    if (this.blockedUrls.has(request.url)) return;
    this.blockedUrls.add(request.url);
    this.blocked.push(request);
  }

  /** Shows the page as it was at `timestampMs` (epoch ms; before the start shows the start). */
  async seek(timestampMs: number): Promise<void> {
    // Not clamped to the end: rrweb applies an event only once the time is past it.
    const offset = Math.max(0, timestampMs - this.startTime);
    await this.page.evaluate(`window.__replay.seek(${offset})`);
  }

  /** The visible text of the replayed page. */
  async text(): Promise<string> {
    return (await this.page.evaluate("window.__replay.text()")) as string;
  }

  /**
   * A PNG of what the page itself shows: without the replay's cursor and the hover styles it gives
   * what it passes over. The cursor moves on almost every frame; a page that answered a click
   * changes under it (compare with `ScreenNamer`).
   */
  async screenWithoutPointer(): Promise<Buffer> {
    await this.page.evaluate("window.__replay.cursor(false)");
    try {
      // Half size: a quarter of the pixels to encode and compare, and a changed word still shows.
      const viewport = this.page.viewport();
      const clip = viewport ? { x: 0, y: 0, width: viewport.width, height: viewport.height, scale: SCREEN_COMPARE.captureScale } : undefined;
      return Buffer.from(await this.page.screenshot({ type: "png", optimizeForSpeed: true, captureBeyondViewport: false, ...(clip ? { clip } : {}) }));
    } finally {
      await this.page.evaluate("window.__replay.cursor(true)");
    }
  }

  async screenshot(options: { type?: "png" | "jpeg"; quality?: number } = {}): Promise<Buffer> {
    const type = options.type ?? "png";
    const bytes = await this.page.screenshot({ type, optimizeForSpeed: true, captureBeyondViewport: false, ...(type === "jpeg" ? { quality: options.quality ?? 80 } : {}) });
    return Buffer.from(bytes);
  }

  async close(): Promise<void> {
    this.server.unregister(this.clipId);
    if (!this.page.isClosed()) await this.page.close().catch(() => undefined);
  }
}
