import { access, constants } from "node:fs/promises";
import puppeteer, { type Browser } from "puppeteer-core";
import { DEFAULTS } from "../config/defaults.ts";
import { CHROMIUM_ARGS, CHROMIUM_QUIET_ARGS } from "./chromium-args.ts";
import { RenderError } from "./errors.ts";

export { CHROMIUM_ARGS } from "./chromium-args.ts";

/**
 * Which flags a browser gets: `replay` adds the renderer's frame-fixing flags (no scrollbars, fixed
 * fonts and colours) to the quiet ones; `browse` is quiet only, so recorded pages keep their real
 * scrollbars and fonts (`generate`, posthog-js end to end).
 */
export type ChromiumProfile = "replay" | "browse";

const PROFILE_ARGS: Record<ChromiumProfile, readonly string[]> = { replay: CHROMIUM_ARGS, browse: CHROMIUM_QUIET_ARGS };

export interface LaunchOptions {
  /** Default: `DEFAULTS.render.chromiumPath` (callers with a config pass `config.chromiumPath`). */
  executablePath?: string;
  /** Default `replay`. */
  profile?: ChromiumProfile;
  /** Extra flags, e.g. a window size. */
  args?: string[];
  /** How long Chromium may take to start; default puppeteer's. */
  timeoutMs?: number;
}

/**
 * The one way this project starts Chromium: headless, with the flags of `profile`. A missing binary
 * is a `RenderError` saying how to install it; a start that fails is one too, with the cause.
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? DEFAULTS.render.chromiumPath;
  try {
    await access(executablePath, constants.X_OK);
  } catch {
    throw new RenderError("chromium_not_found", `Chromium not found at ${executablePath}: install it (apt-get install -y chromium) or set SESSION_SUMMARIES_CHROMIUM`);
  }
  try {
    return await puppeteer.launch({
      executablePath,
      headless: true,
      args: [...PROFILE_ARGS[options.profile ?? "replay"], ...(options.args ?? [])],
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    });
  } catch (error) {
    throw new RenderError("chromium_launch_failed", `Chromium at ${executablePath} did not start: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
