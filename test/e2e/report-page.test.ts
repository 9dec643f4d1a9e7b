import { MemorySaver } from "@langchain/langgraph";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline, type Pipeline } from "../../graph/pipeline.ts";
import { executeRun, writeReport } from "../../src/cli/summarize.ts";
import { readConfig } from "../../src/config/env.ts";
import { ReportSchema, type Report, type ReportPattern } from "../../src/domain/report.ts";
import { launchChromium } from "../../src/render/browser.ts";
import { encodeMp4 } from "../../src/render/video.ts";
import { embeddedBytes, exampleKey, loadReplay, loadReportPageData, renderReportPage, type ReportPageData } from "../../src/report/page/index.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import type { SessionSource } from "../../src/sources/types.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { HOSTILE, hostileReportPageData, largeReport, withConnectingNodes } from "../fixtures/report-page-data.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATASET = path.join(ROOT, "examples/dataset");
const ARTIFACTS = path.join(ROOT, ".artifacts/report-page");
const CLIP_KEY = "local/clips/report-page-test";
const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3 } as const;

let browser: Browser;
let pipeline: Pipeline;
let work: string;
let report: Report;
let pageData: ReportPageData;
let fileUrl: string;
/** The example given a clip and a confirmed verdict: the first example of the top-ranked pattern. */
let checkedPattern: ReportPattern;

/** The report's patterns as the page must list them, worked out here independently of the renderer. */
function expectedOrder(patterns: readonly ReportPattern[]): ReportPattern[] {
  return [...patterns].sort((a, b) => {
    if (a.severity !== b.severity) return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity];
    if (a.stats.sessions_affected_ratio !== b.stats.sessions_affected_ratio) return b.stats.sessions_affected_ratio - a.stats.sessions_affected_ratio;
    if (a.stats.sessions_affected !== b.stats.sessions_affected) return b.stats.sessions_affected - a.stats.sessions_affected;
    return a.id - b.id;
  });
}

/** A page that records every console error and uncaught exception. */
async function openPage(url: string, errors: string[] = []): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(url, { waitUntil: "load" });
  // A page whose script failed never gets ready: say so before the test's own timeout.
  await page
    .waitForFunction(() => window.__reportPage?.ready === true, { timeout: 10_000 })
    .catch((error: unknown) => {
      throw new Error(`the page did not get ready (errors: ${JSON.stringify(errors)}): ${String(error)}`);
    });
  return { page, errors };
}

/** A few JPEG frames from the browser, encoded as the clip renderer does: a real H.264 MP4. */
async function makeClip(): Promise<Buffer> {
  const page = await browser.newPage();
  await page.setViewport({ width: 320, height: 240 });
  const frames: Buffer[] = [];
  for (const color of ["#b91c1c", "#c2410c", "#a16207", "#166534", "#1d4ed8", "#6d28d9"]) {
    await page.setContent(`<body style="margin:0;background:${color};font:40px sans-serif;color:#fff">frame ${color}</body>`);
    frames.push(Buffer.from(await page.screenshot({ type: "jpeg", quality: 80 })));
  }
  await page.close();
  return encodeMp4(frames, { framesPerSecond: 2, speed: 1 });
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "ss-report-page-"));
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  pipeline = await createPipeline({
    config: readConfig({}),
    source: new DatasetSource(DATASET),
    blobs: new MemoryBlobStore(),
    checkpointer: new MemorySaver(),
    validation: "off",
  });
  const ran = await executeRun(pipeline, "report-page-test", { title: "Shop week", selection: {} });
  // Validation is off here (it needs minutes); one example gets what a check leaves: a verdict, quotes, a clip.
  checkedPattern = expectedOrder(ran.patterns)[0]!;
  checkedPattern.examples[0]!.validation = {
    verdict: "confirmed",
    method: "dom",
    evidence: ['t=1.5 s: "Something went wrong" shown on screen'],
    clip_key: CLIP_KEY,
    changes: [],
  };
  await pipeline.runtime.blobs.put(CLIP_KEY, await makeClip());
  report = ReportSchema.parse(ran);
  await writeReport(report, work, pipeline.runtime);
  fileUrl = pathToFileURL(path.join(work, "report.html")).href;
  pageData = await loadReportPageData(report, pipeline.runtime);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await pipeline?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the written report page, in Chromium from file://", () => {
  it("loads with no console error and lists the patterns in order with the numbers of report.json", async () => {
    const written = ReportSchema.parse(JSON.parse(await readFile(path.join(work, "report.json"), "utf8")));
    const { page, errors } = await openPage(fileUrl);
    const shown = await page.$$eval(".pattern-item", (items) =>
      items.map((item) => ({
        id: Number((item as HTMLElement).dataset.patternId),
        name: item.querySelector(".pattern-name")!.textContent,
        severity: item.querySelector(".sev")!.textContent,
        sessions: item.querySelector('[data-stat="sessions"]')!.textContent,
        occurrences: item.querySelector('[data-stat="occurrences"]')!.textContent,
        open: (item.querySelector("details.pattern") as HTMLDetailsElement).open,
      })),
    );
    const expected = expectedOrder(written.patterns);
    expect(shown.length).toBe(written.patterns.length);
    expect(shown.map((s) => s.id)).toEqual(expected.map((p) => p.id));
    shown.forEach((s, i) => {
      const p = expected[i]!;
      expect(s).toEqual({
        id: p.id,
        name: p.name,
        severity: p.severity,
        sessions: `${p.stats.sessions_affected} session${p.stats.sessions_affected === 1 ? "" : "s"} (${Math.round(p.stats.sessions_affected_ratio * 100)}%)`,
        occurrences: `seen ${p.stats.occurrences} time${p.stats.occurrences === 1 ? "" : "s"}`,
        open: false,
      });
    });
    const header = await page.$eval("#page-header", (h) => (h as HTMLElement).innerText);
    expect(header).toContain("Shop week");
    expect(header).toContain(`${written.sessions.summarized.length} of ${written.sessions.requested} requested`);
    expect(header).toContain("offline analyst");
    // The users' outcomes lead, worded apart from the sessions the tool could not analyse.
    const o = written.outcomes!;
    expect(header).toContain(`Of ${o.sessions} sessions, ${o.succeeded} succeeded, ${o.failed} failed (an error stopped the user) and ${o.gave_up} gave up.`);
    expect(header).not.toContain("Failed sessions");
    // Every analysed session is listed with its summary's outcome.
    const sessions = await page.$$eval(".sessions > li", (items) => items.map((li) => li.querySelector(".outcome")!.textContent));
    expect(sessions.length).toBe(written.sessions.summarized.length);
    expect(sessions.filter((o) => o === "unknown")).toEqual([]);
    // The list words each session's outcome as the headline counts it.
    expect(sessions.filter((o) => o === "gave up").length).toBe(written.outcomes!.gave_up);
    expect(sessions.filter((o) => o === "failed").length).toBe(written.outcomes!.failed);
    await page.screenshot({ path: path.join(ARTIFACTS, "whole.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("filters hide the patterns they should", async () => {
    const { page, errors } = await openPage(fileUrl);
    const visible = () => page.$$eval(".pattern-item", (items) => items.filter((i) => !(i as HTMLElement).hidden).map((i) => Number((i as HTMLElement).dataset.patternId)));
    const all = await visible();
    const critical = report.patterns.filter((p) => p.severity === "critical").map((p) => p.id);
    expect(critical.length).toBeGreaterThan(0);
    await page.click('input[name="severity"][value="critical"]');
    expect((await visible()).sort()).toEqual(all.filter((id) => !critical.includes(id)).sort());
    expect(await page.$eval("#filter-count", (o) => o.textContent)).toBe(`${all.length - critical.length} of ${all.length} patterns shown`);
    await page.click('input[name="severity"][value="critical"]');
    await page.click("#filter-validated");
    expect(await visible()).toEqual([checkedPattern.id]);
    await page.click("#filter-validated");
    await page.click("#filter-blocking");
    const blocking = report.patterns.filter((p) => p.examples.some((x) => x.target.exception === "blocking")).map((p) => p.id);
    expect(blocking.length).toBeGreaterThan(0);
    expect((await visible()).sort()).toEqual([...blocking].sort());
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a pattern's fragment URL scrolls to it and opens it (the bare slug of older links too)", async () => {
    const target = expectedOrder(report.patterns).at(-2)!;
    const { page, errors } = await openPage(`${fileUrl}#pattern-${target.slug}`);
    const state = await page.$eval(`#pattern-${target.slug}`, (d) => ({ open: (d as HTMLDetailsElement).open, top: d.getBoundingClientRect().top, scrollY: window.scrollY }));
    expect(state.open).toBe(true);
    expect(state.scrollY).toBeGreaterThan(0);
    expect(Math.abs(state.top)).toBeLessThan(5);
    await page.screenshot({ path: path.join(ARTIFACTS, "pattern-open.png") });
    const other = expectedOrder(report.patterns).at(-1)!;
    await page.goto(`${fileUrl}#${other.slug}`);
    expect(await page.$eval(`#pattern-${other.slug}`, (d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("opening an example starts its replay 5 s before the moment, one player at a time", async () => {
    const { page, errors } = await openPage(`${fileUrl}#pattern-${checkedPattern.slug}`);
    const key = exampleKey(checkedPattern.id, 0);
    expect(pageData.examples[key]!.replay.status).toBe("ready");
    await page.$eval(`#example-${key}`, (d) => ((d as HTMLDetailsElement).open = true));
    await page.click(`#example-${key} button.replay-open`);
    const started = await page.evaluate(() => window.__reportPage!.player());
    expect(started?.key).toBe(key);
    // Player time 0 is the window's first event (the last full snapshot before the lead-in).
    const relative = started!.zeroMs + started!.currentTimeMs - started!.momentMs;
    expect(relative).toBeGreaterThanOrEqual(-5_050);
    expect(relative).toBeLessThan(-3_500);
    expect(started!.zeroMs + started!.startOffsetMs).toBe(Math.max(started!.momentMs - 5_000, started!.zeroMs));
    await new Promise((resolve) => setTimeout(resolve, 800));
    const later = await page.evaluate(() => window.__reportPage!.player()!.currentTimeMs);
    expect(later).toBeGreaterThan(started!.currentTimeMs + 300);
    const frame = await page.$eval(`#example-${key} .replayer-wrapper iframe`, (iframe) => ({
      sandbox: iframe.getAttribute("sandbox"),
      text: (iframe as HTMLIFrameElement).contentDocument?.body?.innerText ?? "",
    }));
    expect(frame.sandbox).not.toContain("allow-scripts");
    expect(frame.text).toContain("Fernhill");
    await page.$eval(`#example-${key}`, (d) => d.scrollIntoView());
    await page.screenshot({ path: path.join(ARTIFACTS, "replay.png") });

    // A second replay replaces the first.
    const second = exampleKey(checkedPattern.id, 1);
    await page.$eval(`#example-${second}`, (d) => ((d as HTMLDetailsElement).open = true));
    await page.click(`#example-${second} button.replay-open`);
    expect(await page.evaluate(() => window.__reportPage!.player()?.key)).toBe(second);
    expect(await page.$$eval(".replayer-wrapper", (w) => w.length)).toBe(1);
    expect(await page.$$eval("iframe", (f) => f.length)).toBe(1);
    expect(await page.$eval(`#example-${key} .replay-open`, (b) => (b as HTMLButtonElement).hidden)).toBe(false);
    // Closing the example that holds it removes it.
    await page.$eval(`#example-${second}`, (d) => ((d as HTMLDetailsElement).open = false));
    await page.waitForFunction(() => document.querySelectorAll(".replayer-wrapper").length === 0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the checked example shows its verdict, quoted evidence, and a clip that plays", async () => {
    const { page, errors } = await openPage(`${fileUrl}#example-${exampleKey(checkedPattern.id, 0)}`);
    const key = exampleKey(checkedPattern.id, 0);
    const shown = await page.$eval(`#example-${key}`, (d) => ({
      open: (d as HTMLDetailsElement).open,
      verdict: d.querySelector(".validation .verdict")?.textContent,
      evidence: Array.from(d.querySelectorAll("blockquote.evidence")).map((q) => q.textContent),
      outcome: d.querySelector(".example-facts .outcome")?.textContent,
      target: d.querySelector(".action-target .action-text")?.textContent,
    }));
    const example = checkedPattern.examples[0]!;
    expect(shown).toEqual({
      open: true,
      verdict: "✓ confirmed",
      evidence: ['t=1.5 s: "Something went wrong" shown on screen'],
      outcome: example.segment_success ? "succeeded" : "not reached",
      target: example.target.description,
    });
    const played = await page.$eval(`#example-${key} video`, async (element) => {
      const video = element as HTMLVideoElement;
      await video.play();
      await new Promise((resolve) => setTimeout(resolve, 700));
      return { currentTime: video.currentTime, readyState: video.readyState, duration: video.duration, src: video.src.slice(0, 22) };
    });
    expect(played.src).toBe("data:video/mp4;base64,");
    expect(played.duration).toBeGreaterThan(0);
    expect(played.readyState).toBeGreaterThanOrEqual(2);
    expect(played.currentTime).toBeGreaterThan(0);
    // The speed control sets the video's playback rate, and says which one is on.
    await page.click(`#example-${key} button.clip-rate[data-rate="0.5"]`);
    const speed = await page.$eval(`#example-${key} figure.clip`, (figure) => ({
      rate: figure.querySelector("video")!.playbackRate,
      pressed: Array.from(figure.querySelectorAll("button.clip-rate[aria-pressed=true]")).map((b) => (b as HTMLElement).dataset.rate),
    }));
    expect(speed).toEqual({ rate: 0.5, pressed: ["0.5"] });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("an example whose recording cannot be read says why, and the page still renders", async () => {
    const broken = structuredClone(pageData);
    const key = exampleKey(checkedPattern.id, 0);
    broken.examples[key] = { replay: { status: "unavailable", reason: "the recording could not be read: <gone>" } };
    const file = path.join(work, "broken.html");
    await writeFile(file, renderReportPage(broken));
    const { page, errors } = await openPage(`${pathToFileURL(file).href}#example-${key}`);
    expect(await page.$eval(`#example-${key} .replay-unavailable`, (p) => p.textContent)).toBe("Replay unavailable: the recording could not be read: <gone>");
    expect(await page.$$eval(".pattern-item", (items) => items.length)).toBe(report.patterns.length);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe("pattern slugs that are ids of the page", () => {
  it('a pattern named "Page config" (and others like it) leaves the page script working and its own link working', async () => {
    const data = structuredClone(pageData);
    const ranked = expectedOrder(data.report.patterns);
    const slugs = ["page-config", "filter-count", "page-filters", "chat-input"];
    ranked.slice(0, slugs.length).forEach((p, i) => {
      p.slug = slugs[i]!;
      p.name = slugs[i]!.replace("-", " ");
    });
    const file = path.join(work, "colliding.html");
    await writeFile(file, renderReportPage(data));
    const { page, errors } = await openPage(`${pathToFileURL(file).href}#pattern-page-config`);
    expect(await page.$eval("#pattern-page-config", (d) => (d as HTMLDetailsElement).open)).toBe(true);
    const critical = data.report.patterns.filter((p) => p.severity === "critical").length;
    await page.click('input[name="severity"][value="critical"]');
    expect(await page.$eval("output#filter-count", (o) => o.textContent)).toBe(`${data.report.patterns.length - critical} of ${data.report.patterns.length} patterns shown`);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe("hostile report content", () => {
  it("renders as text: no script runs, the replay iframe runs none, connects nowhere, the layout holds", async () => {
    // A local "outside" server the recording's connection hints, frame and object point at. Chromium
    // opens such connections without a request the page's policy sees: count connections, not requests.
    let outsideConnections = 0;
    const outside: Server = createServer((_req, res) => res.end("x"));
    outside.on("connection", () => (outsideConnections += 1));
    await new Promise<void>((resolve) => outside.listen(0, "127.0.0.1", resolve));
    const outsideUrl = `http://127.0.0.1:${(outside.address() as AddressInfo).port}`;
    const key = exampleKey(checkedPattern.id, 0);
    const example = checkedPattern.examples[0]!;
    // The recording carries them from the start: the page loads it the way `summarize` and `serve` do.
    const real = pipeline.runtime.source;
    const connecting: Pick<SessionSource, "streamRecording"> = {
      async *streamRecording(sessionId, options) {
        for await (const item of real.streamRecording(sessionId, options)) yield { ...item, event: withConnectingNodes([item.event], outsideUrl)[0]! };
      },
    };
    const replay = await loadReplay({ source: connecting as SessionSource }, example);
    expect(replay.status).toBe("ready");
    const withHints = structuredClone(pageData);
    withHints.examples[key] = { ...withHints.examples[key]!, replay };
    const data = hostileReportPageData(withHints, checkedPattern.id);
    const file = path.join(work, "hostile.html");
    await writeFile(file, renderReportPage(data));
    const { page } = await openPage(`${pathToFileURL(file).href}#example-${key}`);
    await page.click(`#example-${key} button.replay-open`);
    await page.waitForFunction(() => (document.querySelector(".replayer-wrapper iframe") as HTMLIFrameElement | null)?.contentDocument?.body?.innerText.includes("connecting nodes added"));
    // Hints are acted on as the snapshot is rebuilt; give a preconnect or prerender time to show up.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(outsideConnections).toBe(0);
    outside.close();
    const seen = await page.evaluate(() => {
      const iframe = document.querySelector(".replayer-wrapper iframe") as HTMLIFrameElement | null;
      return {
        pwned: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
        framePwned: ((iframe?.contentWindow as unknown as { __pwned?: unknown }) ?? {}).__pwned ?? null,
        frameText: iframe?.contentDocument?.body?.innerText ?? "",
        title: document.title,
        text: document.body.innerText,
        scripts: document.querySelectorAll("script:not([type])").length,
        images: document.querySelectorAll("main img, main svg, main iframe:not(.replayer-wrapper iframe)").length,
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      };
    });
    expect(seen.pwned).toBeNull();
    expect(seen.framePwned).toBeNull();
    expect(seen.title).toBe(HOSTILE.title);
    for (const text of [HOSTILE.name, HOSTILE.description, HOSTILE.target, HOSTILE.segment, HOSTILE.evidence]) expect(seen.text).toContain(text);
    expect(seen.frameText).toContain(HOSTILE.replayText);
    expect(seen.scripts).toBe(2);
    expect(seen.images).toBe(0);
    expect(seen.overflow).toBeLessThanOrEqual(0);
    // The hostile session summary is shown as text too.
    await page.evaluate(() => document.querySelectorAll<HTMLDetailsElement>("details.session").forEach((d) => (d.open = true)));
    expect(await page.evaluate(() => document.body.innerText)).toContain(HOSTILE.sessionOutcome);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(ARTIFACTS, "hostile.png") });
    // On a phone-sized screen too.
    await page.setViewport({ width: 375, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await page.close();
  });
});

describe("a large report", () => {
  it("1,000 sessions and 20 patterns (one with 500 examples) load, embed a bounded set of replays, keep one player at a time (load time printed, not asserted: CI runs this beside other suites)", async () => {
    const large = await largeReport(pageData, pipeline.runtime, { sessions: 1000, patterns: 20, largestPattern: 500 });
    const examples = large.report.patterns.reduce((n, p) => n + p.examples.length, 0);
    const loadStart = performance.now();
    const data = await loadReportPageData(large.report, large.runtime);
    const loadMs = performance.now() - loadStart;
    const renderStart = performance.now();
    const html = renderReportPage(data);
    const renderMs = performance.now() - renderStart;
    const file = path.join(work, "large.html");
    await writeFile(file, html);
    // Distinct windows: an example past the first five still shows a window embedded for another example of its moment.
    const embedded = new Set(Object.values(data.examples).flatMap((m) => (m.replay.status === "ready" ? [m.replay] : []))).size;
    expect(html.match(/<script type="application\/json" id="replay-events-/g)?.length).toBe(embedded);
    const { page, errors } = await openPage(pathToFileURL(file).href);
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      return { readyMs: window.__reportPage!.readyMs, domContentLoadedMs: nav.domContentLoadedEventEnd, loadMs: nav.loadEventEnd };
    });
    console.log(
      `report page, 1000 sessions / 20 patterns / ${examples} examples, ${embedded} replays embedded (${large.recordingReads()} recordings read), ${(html.length / 1048576).toFixed(1)} MB (${(embeddedBytes(data) / 1048576).toFixed(1)} MB replays and clips): data ${Math.round(loadMs)} ms, render ${Math.round(renderMs)} ms; ready ${Math.round(timing.readyMs)} ms after navigation start, DOMContentLoaded ${Math.round(timing.domContentLoadedMs)} ms, load ${Math.round(timing.loadMs)} ms`,
    );
    expect(examples).toBeGreaterThan(2_000);
    // Replays and clips of the first 5 examples per pattern only: recordings of the others are not read.
    expect(embedded).toBeLessThanOrEqual(100);
    expect(embedded).toBeGreaterThan(50);
    expect(large.recordingReads()).toBeLessThanOrEqual(100);
    expect(html.length).toBeLessThan(40 * 1048576);
    // A timing bound here failed CI at 2.4 s while other suites shared the two cores; the figure is printed above instead.
    expect(timing.readyMs).toBeGreaterThan(0);
    expect(await page.$$eval(".sessions > li", (items) => items.length)).toBe(1000);
    expect(await page.$$eval(".pattern-item", (items) => items.length)).toBe(20);
    expect(await page.$$eval('.pattern-item[data-pattern-id="1"] details.example', (items) => items.length)).toBe(500);
    // An example past the first five names its session instead of embedding the replay.
    const late = large.report.patterns[0]!.examples[321]!;
    expect(await page.$eval(`#example-${exampleKey(1, 321)} .replay-not-embedded`, (p) => p.textContent)).toContain(
      `Replay not embedded in this page (only the first 5 examples of a pattern are embedded): session ${late.session_id} at`,
    );
    expect(await page.$$eval(`#example-${exampleKey(1, 321)} .replay`, (r) => r.length)).toBe(0);
    for (const [p, i] of [
      [1, 0],
      [7, 2],
      [20, 4],
    ] as const) {
      const key = exampleKey(p, i);
      await page.goto(`${pathToFileURL(file).href}#replay-${key}`);
      await page.waitForFunction((k) => window.__reportPage?.player()?.key === k, {}, key);
      expect(await page.$$eval(".replayer-wrapper", (w) => w.length)).toBe(1);
    }
    // Opening replays in place, without reloading, also keeps one.
    for (const key of [exampleKey(2, 1), exampleKey(3, 3), exampleKey(4, 0)]) {
      await page.$eval(`#example-${key}`, (d) => {
        (d as HTMLDetailsElement).open = true;
        (d.closest("details.pattern") as HTMLDetailsElement).open = true;
      });
      await page.click(`#example-${key} button.replay-open`);
      expect(await page.evaluate(() => window.__reportPage!.player()?.key)).toBe(key);
      expect(await page.$$eval(".replayer-wrapper", (w) => w.length)).toBe(1);
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
