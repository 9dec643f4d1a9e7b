import { access, constants } from "node:fs/promises";
import puppeteer, { type Browser } from "puppeteer-core";
import { DEFAULTS } from "../config/defaults.ts";
import { RenderError } from "./errors.ts";

/**
 * Flags for headless Chromium on a server: no sandbox (we run as root in containers), no GPU, and
 * none of Chromium's own background traffic (updates, sync, safe browsing): the replay must not
 * reach the network, and on a closed network those calls only fail noisily.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // No speculative DNS lookups or connections for links on the replayed page.
  "--dns-prefetch-disable",
  "--disable-default-apps",
  "--disable-extensions",
  "--no-first-run",
  "--no-default-browser-check",
  "--mute-audio",
  "--hide-scrollbars",
  // Fixed rendering so frames are identical run to run.
  "--font-render-hinting=none",
  "--force-color-profile=srgb",
];

export interface LaunchOptions {
  executablePath?: string;
  /** Extra flags, e.g. a window size. */
  args?: string[];
}

/** Launches Debian's Chromium (or the configured one); a missing binary is a `RenderError` saying how to install it. */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? DEFAULTS.render.chromiumPath;
  try {
    await access(executablePath, constants.X_OK);
  } catch {
    throw new RenderError(
      "chromium_not_found",
      `Chromium not found at ${executablePath}: install it (apt-get install -y chromium) or set SESSION_SUMMARIES_CHROMIUM`,
    );
  }
  try {
    return await puppeteer.launch({
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    });
  } catch (error) {
    throw new RenderError("chromium_launch_failed", `Chromium at ${executablePath} did not start: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
