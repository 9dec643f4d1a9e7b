import type { Browser } from "puppeteer-core";
import type { SessionLabel } from "../domain/labels.ts";
import type { BenignWidget, DemoApp } from "./app.ts";
import { waitForCapturedSession } from "./capture-wait.ts";
import { checkCapture, readCapturedEvents } from "./verify.ts";
import { makeCustomer } from "./customers.ts";
import { SessionRecord } from "./persona.ts";
import { Rng } from "./random.ts";
import type { SessionPlan } from "./schedule.ts";
import { ISSUE_NOT_BEFORE_MS } from "./steps.ts";
import { Visitor } from "./visitor.ts";
import type { BrowserMark } from "./visitor.ts";

/** A session lasts at least this long (the generator lingers on the last page if needed). */
export const MIN_SESSION_MS = 21_000;
export const MAX_SESSION_MS = 120_000;
/** The last labelled issue is at least this long before the tab closes. */
export const ISSUE_NOT_AFTER_MS = 6_500;
/** Pauses of short (test) sessions, relative to normal ones. */
export const SHORT_PACE = 0.55;

const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 1366, height: 768 },
  { width: 1440, height: 900 },
  { width: 1536, height: 864 },
  { width: 1920, height: 1080 },
];

/** Desktop Chrome as people run it; the headless default would announce itself as a bot. */
const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36",
];

export interface SessionRunOptions {
  browser: Browser;
  app: DemoApp;
  /** Where the app's server listens. */
  appUrl: string;
  /** Dataset directory the capture server writes; watched to know the session's data arrived. */
  out: string;
  seed: number;
  plan: SessionPlan;
  short: boolean;
  captureTimeoutMs?: number;
}

export interface SessionResult {
  sessionId: string;
  label: SessionLabel;
  /** From the first page load to closing the tab, by the browser clock. */
  durationMs: number;
  /** Problems worth a warning that did not stop the session (late data, a label out of bounds). */
  warnings: string[];
}

/**
 * One scripted visit in its own incognito browser context: lands on the app with the plan's issues
 * switched on, lets the persona act, lingers so no issue falls in the session's last seconds, closes
 * the tab (posthog-js sends `$pageleave` and flushes by sendBeacon), and waits for the capture server
 * to have written the session.
 */
export async function runSession(options: SessionRunOptions): Promise<SessionResult> {
  const { plan, seed, app } = options;
  const choices = Rng.derive(seed, plan.index, "choices");
  const motion = Rng.derive(seed, plan.index, "motion");
  const viewport = choices.pick(VIEWPORTS);
  const userAgent = choices.pick(USER_AGENTS);
  const customer = makeCustomer(choices.fork());
  const setup = plan.persona.setup(plan.variant, choices);
  const issues = [...setup.issues, ...(plan.noise ? [plan.noise] : [])];
  const warnings: string[] = [];

  const context = await options.browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.setViewport(viewport);
    await page.setUserAgent(userAgent);
    await page.goto(app.visitUrl(options.appUrl, setup.landing, issues), { waitUntil: "load", timeout: 30_000 });
    const user = new Visitor(page, motion, options.short ? SHORT_PACE : 1, viewport);
    const firstMark = (await user.marks())[0];
    if (!firstMark) throw new Error(`the ${app.name} page did not start its visit log`);
    const startedAt = firstMark.t;
    const record = new SessionRecord();

    await plan.persona.run({ user, rng: choices, variant: plan.variant, short: options.short, customer, record, startedAt });

    const lastIssueAt = Math.max(startedAt, ...record.issues.map((i) => i.at));
    const endNotBefore = Math.max(startedAt + MIN_SESSION_MS, record.issues.length > 0 ? lastIssueAt + ISSUE_NOT_AFTER_MS : 0);
    const idle = endNotBefore - (await user.now());
    if (idle > 0) await user.read(idle / user.pace);

    const closingAt = await user.now();
    const marks = await user.marks();
    for (const issue of issues) {
      const widget = app.benignWidgets[issue];
      if (widget) labelBenignNoise(widget, marks, record, startedAt, closingAt, warnings);
    }
    for (const issue of record.issues) {
      if (issue.at < startedAt + 5_000 || issue.at > closingAt - 5_000) {
        warnings.push(`${issue.patternKey} at ${new Date(issue.at).toISOString()} is within 5 s of the session's start or end`);
      }
    }
    if (closingAt - startedAt > MAX_SESSION_MS) warnings.push(`session lasted ${Math.round((closingAt - startedAt) / 1000)} s`);

    const sessionId = (await user.evaluate("window.posthog && window.posthog.get_session_id()")) as string | null;
    if (!sessionId) throw new Error("posthog-js has no session id");
    const leftAt = await user.now();
    await page.close({ runBeforeUnload: true });
    const arrived = await waitForCapturedSession({ out: options.out, sessionId, leftAt, timeoutMs: options.captureTimeoutMs ?? 20_000 });
    if (!arrived) warnings.push("the capture server did not receive the final $pageleave in time");
    const label: SessionLabel = { outcome: record.outcome, issues: record.toLabelIssues(), persona: plan.persona.name, variant: plan.variant };
    // A request posthog-js lost (rare) would leave labels pointing at missing events: the attempt is redone.
    const check = checkCapture(await readCapturedEvents(options.out, sessionId), marks, label.issues);
    if (check.problems.length > 0) throw new IncompleteCaptureError(sessionId, check.problems);
    warnings.push(...check.notes);
    return { sessionId, durationMs: leftAt - startedAt, warnings, label };
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** The capture server is missing part of what the page did; the session cannot be labelled truthfully. */
export class IncompleteCaptureError extends Error {
  constructor(
    readonly sessionId: string,
    readonly problems: string[],
  ) {
    super(`session ${sessionId} was not captured completely: ${problems.join("; ")}`);
    this.name = "IncompleteCaptureError";
  }
}

/** Labels a benign widget crash at its first occurrence inside the labelling window. */
function labelBenignNoise(spec: BenignWidget, marks: BrowserMark[], record: SessionRecord, startedAt: number, closingAt: number, warnings: string[]): void {
  const occurrence = marks.find((m) => m.type === "widget-error" && m.detail.widget === spec.widget && m.t >= startedAt + ISSUE_NOT_BEFORE_MS && m.t <= closingAt - ISSUE_NOT_AFTER_MS);
  if (!occurrence) {
    warnings.push(`no ${spec.widget} widget crash between the session's first and last seconds to label`);
    return;
  }
  record.issue({ kind: "benign_exception", patternKey: spec.patternKey, visible: false, at: occurrence.t, description: spec.description, page: occurrence.path });
}
