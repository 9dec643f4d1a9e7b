import { access, constants } from "node:fs/promises";
import puppeteer, { type Browser } from "puppeteer-core";
import { DEFAULTS } from "../config/defaults.ts";
import { CHROMIUM_ARGS } from "./chromium-args.ts";
import { RenderError } from "./errors.ts";

export { CHROMIUM_ARGS } from "./chromium-args.ts";

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
