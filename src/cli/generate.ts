import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Browser } from "puppeteer-core";
import { finalizeDataset, startCaptureServer } from "../capture/index.ts";
import { launchChromium } from "../render/browser.ts";
import { ConfigError } from "../domain/errors.ts";
import { LABELS_VERSION, LabelsSchema } from "../domain/labels.ts";
import type { Labels, SessionLabel } from "../domain/labels.ts";
import type { DemoApp } from "../generate/app.ts";
import { planNamedSessions, planSessions } from "../generate/schedule.ts";
import type { SessionPlan } from "../generate/schedule.ts";
import { runSession } from "../generate/session.ts";
import { upgradeLabels } from "../generate/upgrade-labels.ts";
import type { SessionResult } from "../generate/session.ts";

export interface GenerateOptions {
  /** Dataset directory to write (an existing dataset is continued; its labels are kept). */
  out: string;
  sessions: number;
  seed: number;
  /** Sessions run at once, each in its own incognito context. Default 3. */
  concurrency?: number;
  /** Chromium executable; never a downloaded browser. Default `/usr/bin/chromium`. */
  chromium?: string;
  /** Progress lines ("session 12/60 coupon-confusion 48 s"); default: stderr. */
  onProgress?: (line: string) => void;
  /** Run these personas in order (`name` or `name:variant`) instead of the seeded mix. */
  personas?: string[];
  /** Short sessions (about 20–40 s) for tests. */
  short?: boolean;
  /** Gzip the finalized files. Default true. */
  gzip?: boolean;
  /** The demo app the users visit (see `DEMO_APPS`). Default `shop`. */
  app?: string;
}

/**
 * The demo apps `generate --app` knows, each loaded from its folder only when chosen: every folder
 * exports a `DemoApp` (server, bugs, personas) as its default export.
 */
export const DEMO_APPS: Readonly<Record<string, () => Promise<{ default: DemoApp }>>> = {
  shop: () => import("../../examples/shop/app.ts"),
  campaigns: () => import("../../examples/campaigns/app.ts"),
};
export const DEFAULT_APP = "shop";

/** The demo app of this name; a name no app has is a configuration error that lists the apps. */
export async function loadDemoApp(name: string): Promise<DemoApp> {
  const load = Object.hasOwn(DEMO_APPS, name) ? DEMO_APPS[name] : undefined;
  if (!load) throw new ConfigError("unknown_app", `unknown app ${JSON.stringify(name)}; known: ${Object.keys(DEMO_APPS).join(", ")}`);
  return (await load()).default;
}
/** A session that throws is run once more from scratch before it counts as failed. */
const ATTEMPTS = 2;

/**
 * `session-summaries generate`: records sessions of scripted users on a demo app with a real
 * browser and the real posthog-js, through the capture server into a dataset directory, and writes
 * `labels.json` with what each session's script knows happened. Returns the exit code: 0 when every
 * session was recorded, 1 when some failed (the others are kept).
 */
export async function runGenerate(options: GenerateOptions): Promise<number> {
  const progress = options.onProgress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const concurrency = options.concurrency ?? 3;
  if (!Number.isInteger(options.sessions) || options.sessions < 1) throw new ConfigError("invalid_sessions", "--sessions must be a positive integer");
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError("invalid_concurrency", "--concurrency must be a positive integer");
  if (!Number.isInteger(options.seed)) throw new ConfigError("invalid_seed", "--seed must be an integer");
  const app = await loadDemoApp(options.app ?? DEFAULT_APP);
  const plans = options.personas ? planNamedSessions(options.personas, options.sessions, app.personas) : planSessions(options.sessions, options.seed, app.personas, app.cast);
  const out = path.resolve(options.out);
  await mkdir(out, { recursive: true });
  const labels = await readExistingLabels(out, { generator: "scripted-users", ...app.labelSource, seed: options.seed });
  const sessionsBefore = new Set(await sessionDirs(out));
  const started = Date.now();

  const capture = await startCaptureServer({ out, port: 0 });
  const server = await app.start({ captureUrl: capture.url, token: app.token });
  let browser: Browser | undefined;
  const results: SessionResult[] = [];
  const failures: string[] = [];
  try {
    // Quiet, without the renderer's frame-fixing flags: recorded pages keep their real scrollbars and fonts.
    browser = await launchChromium({ ...(options.chromium !== undefined ? { executablePath: options.chromium } : {}), profile: "browse" });
    const activeBrowser = browser;
    let done = 0;
    const runOne = async (plan: SessionPlan): Promise<void> => {
      const name = `${plan.persona.name}${plan.variant ? ` (${plan.variant})` : ""}`;
      for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
        try {
          const result = await runSession({ browser: activeBrowser, app, appUrl: server.url, out, seed: options.seed, plan, short: options.short ?? false });
          results.push(result);
          labels.sessions[result.sessionId] = result.label;
          done += 1;
          progress(`session ${done}/${plans.length} ${name} ${Math.round(result.durationMs / 1000)} s ${result.label.outcome}, ${result.label.issues.length} issue(s)`);
          for (const warning of result.warnings) progress(`  warning: ${result.sessionId} ${name}: ${warning}`);
          return;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          progress(`  ${name} attempt ${attempt} failed: ${message}`);
          if (attempt === ATTEMPTS) {
            done += 1;
            failures.push(`${name}: ${message}`);
            progress(`session ${done}/${plans.length} ${name} FAILED`);
          }
        }
      }
    };
    await runPool(plans, concurrency, runOne);
  } finally {
    await browser?.close().catch(() => undefined);
    await server.close();
    await capture.close();
  }
  const captured = capture.stats();
  if (captured.skipped > 0 || captured.rejected > 0) {
    progress(`  capture server: ${captured.skipped} event(s) skipped ${JSON.stringify(captured.skippedByReason)}, ${captured.rejected} request(s) rejected ${JSON.stringify(captured.rejectedByCode)}`);
  }

  // Sessions a failed attempt left behind have no label: they are removed, not passed off as real.
  await removeUnlabelledSessions(out, sessionsBefore, labels, progress);
  const finalized = await finalizeDataset(out, { gzip: options.gzip ?? true });
  for (const problem of finalized.problems) progress(`  finalize: ${problem}`);
  const valid = LabelsSchema.parse(labels);
  await writeFile(path.join(out, "labels.json"), `${JSON.stringify(sortedLabels(valid), null, 2)}\n`);

  const seconds = (Date.now() - started) / 1000;
  progress(
    `generated ${results.length} session(s) in ${seconds.toFixed(0)} s (${(seconds / Math.max(1, results.length)).toFixed(1)} s per session at concurrency ${concurrency}); ` +
      `${finalized.events} events, ${finalized.recordingLines} recording lines; ${failures.length} failed`,
  );
  return failures.length === 0 ? 0 : 1;
}

/** Runs `work` over the items with at most `limit` at once. */
async function runPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function readExistingLabels(out: string, source: NonNullable<Labels["source"]>): Promise<Labels> {
  try {
    const parsed = LabelsSchema.safeParse(JSON.parse(await readFile(path.join(out, "labels.json"), "utf8")));
    // A dataset labelled before consequences were marked is continued in today's convention.
    if (parsed.success) return { ...upgradeLabels(parsed.data), source };
  } catch {
    // no labels yet
  }
  return { version: LABELS_VERSION, source, sessions: {} };
}

async function sessionDirs(out: string): Promise<string[]> {
  try {
    return await readdir(path.join(out, "sessions"));
  } catch {
    return [];
  }
}

/** Removes sessions this run created but did not label (left behind by a failed attempt). */
async function removeUnlabelledSessions(out: string, before: Set<string>, labels: Labels, progress: (line: string) => void): Promise<void> {
  for (const id of await sessionDirs(out)) {
    if (before.has(id) || labels.sessions[id]) continue;
    progress(`  removing ${id}: left behind by a failed attempt, no label`);
    await rm(path.join(out, "sessions", id), { recursive: true, force: true });
  }
}

function sortedLabels(labels: Labels): Labels {
  const sessions: Record<string, SessionLabel> = {};
  for (const id of Object.keys(labels.sessions).sort()) sessions[id] = labels.sessions[id] as SessionLabel;
  return { ...labels, sessions };
}
