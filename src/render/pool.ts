import type { Browser } from "puppeteer-core";
import { launchChromium, type LaunchOptions } from "./browser.ts";
import { RenderError } from "./errors.ts";

export interface BrowserPoolOptions extends LaunchOptions {
  /** Pages rendering at once; each replays one clip. */
  maxPages?: number;
  /** For tests: how a browser is started. */
  launch?: (options: LaunchOptions) => Promise<Browser>;
}

/**
 * A warm headless Chromium shared by clip renders: started on first use, at most `maxPages`
 * renders at once (the rest wait their turn), and replaced when it crashes or is killed, so one
 * bad recording cannot take validation down for the rest of a run.
 */
export class BrowserPool {
  private browser?: Promise<Browser>;
  private active = 0;
  private readonly waiting: Array<(closed: boolean) => void> = [];
  private closed = false;
  /** Browsers started so far, replacements included. */
  launches = 0;

  constructor(private readonly options: BrowserPoolOptions = {}) {}

  get maxPages(): number {
    return Math.max(1, this.options.maxPages ?? 2);
  }

  /** Runs `work` with a live browser once a page slot is free. */
  async use<T>(work: (browser: Browser) => Promise<T>): Promise<T> {
    if (this.closed) throw poolClosed();
    if (this.active >= this.maxPages) {
      const closed = await new Promise<boolean>((resolve) => this.waiting.push(resolve));
      if (closed) throw poolClosed();
    }
    this.active += 1;
    try {
      return await work(await this.liveBrowser());
    } finally {
      this.active -= 1;
      this.waiting.shift()?.(false);
    }
  }

  private liveBrowser(): Promise<Browser> {
    const current = this.browser;
    if (current) {
      return current.then(
        (browser) => (browser.connected ? browser : this.relaunch(current)),
        () => this.relaunch(current),
      );
    }
    return this.relaunch(undefined);
  }

  private relaunch(stale: Promise<Browser> | undefined): Promise<Browser> {
    if (this.closed) return Promise.reject(poolClosed());
    // Concurrent callers that saw the same dead browser share one replacement.
    if (this.browser !== stale) return this.liveBrowser();
    this.launches += 1;
    const launch = this.options.launch ?? launchChromium;
    const next = launch({ executablePath: this.options.executablePath, args: this.options.args });
    this.browser = next;
    next.then(
      (browser) =>
        browser.once("disconnected", () => {
          if (this.browser === next) this.browser = undefined;
        }),
      () => {
        if (this.browser === next) this.browser = undefined;
      },
    );
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake(true);
    const current = this.browser;
    this.browser = undefined;
    const browser = await current?.catch(() => undefined);
    if (browser?.connected) await browser.close().catch(() => undefined);
  }
}

function poolClosed(): RenderError {
  return new RenderError("pool_closed", "the browser pool is closed");
}
