import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { EventType } from "@rrweb/types";
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finalizeDataset } from "../../src/capture/finalize.ts";
import { startCaptureServer, type CaptureServer } from "../../src/capture/server.ts";
import type { AnalyticsEvent } from "../../src/domain/events.ts";
import type { WindowedEvent } from "../../src/domain/recording.ts";
import { computeRecordingMetadata } from "../../src/replay/metadata.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { launchChromium } from "../../src/render/browser.ts";
import { memoryLogger } from "../fakes/logger.ts";

/*
 * The real posthog-js (installed bundle `array.full.no-external.js`, served by the capture server's
 * /static/ route) in headless Chromium, on a page of another origin: it fetches the remote config,
 * records, autocaptures clicks, catches an exception and a dead click, and flushes with sendBeacon
 * when the page goes away. Every request it makes must be accepted, and the dataset must read back.
 */

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "phc_e2e_local_token";

function shopPage(captureUrl: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Demo shop</title></head>
<body>
  <h1>Demo shop</h1>
  <button id="add">Add to cart</button>
  <div id="cart">Cart: 0</div>
  <label>Email <input id="email" type="text"></label>
  <span id="dead" style="display:inline-block;padding:16px;cursor:pointer;border:1px solid #999">Free shipping</span>
  <button id="checkout">Checkout</button>
  <script src="${captureUrl}/static/array.full.no-external.js"></script>
  <script>
    posthog.init(${JSON.stringify(TOKEN)}, {
      api_host: ${JSON.stringify(captureUrl)},
      opt_out_useragent_filter: true,
      capture_exceptions: true,
      capture_dead_clicks: true,
      capture_pageleave: true,
      persistence: "memory",
      session_recording: { maskAllInputs: false },
    });
    // What posthog-js captured, so the test waits for events instead of sleeping.
    window.__captured = [];
    posthog.on("eventCaptured", function (event) { window.__captured.push(event.event); });
    var count = 0;
    document.getElementById("add").addEventListener("click", function () {
      count += 1;
      document.getElementById("cart").textContent = "Cart: " + count;
    });
    document.getElementById("checkout").addEventListener("click", function () {
      throw new Error("Checkout failed: payment service unavailable");
    });
  </script>
</body></html>`;
}

describe("capture server with the real posthog-js in Chromium", () => {
  let out: string;
  let capture: CaptureServer;
  let site: Server;
  let siteUrl: string;
  let browser: Browser;
  const log = memoryLogger();

  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), "capture-e2e-"));
    capture = await startCaptureServer({ out, port: 0, token: TOKEN, logger: log.logger });
    site = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(shopPage(capture.url));
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    // Another port is another origin: posthog-js talks to the capture server cross-origin.
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/shop`;
    browser = await launchChromium({ executablePath: CHROMIUM, profile: "browse" });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
    await capture?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it("records a session that reads back as events and a replayable recording", async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(siteUrl, { waitUntil: "load" });
    // Strings, not functions: under tsx a function can reference helpers the page does not have.
    await page.waitForFunction("window.posthog && window.posthog.sessionRecordingStarted && window.posthog.sessionRecordingStarted()", {
      timeout: 10_000,
    });
    await page.click("#add");
    await page.click("#add");
    // posthog-js counts a click as "alive" when a DOM change, a window focus change (within 1 s either
    // side) or a selection change comes with it: let the cart update and the first click's window
    // focus pass first, and click before typing (leaving a focused input changes the selection).
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await page.click("#dead");
    await page.waitForFunction("window.__captured.includes('$dead_click')", { timeout: 10_000 }); // detection waits ~2.75 s
    await page.type("#email", "someone@example.com");
    await page.click("#checkout");
    await page.waitForFunction("window.__captured.includes('$exception')", { timeout: 5_000 });
    const sessionId = (await page.evaluate("window.posthog.get_session_id()")) as string;
    // Leaving the page makes posthog-js send $pageleave and the last recording buffer by sendBeacon.
    await page.goto("about:blank");
    await waitFor(() => (capture.stats().eventNames.$pageleave ?? 0) > 0, 10_000);
    await page.close();
    // Stop capturing before reading: while requests are still landing, a file can be a batch ahead of meta.json.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await capture.close();

    const stats = capture.stats();
    expect(stats.rejectedByCode, `requests refused: ${JSON.stringify(stats.rejectedByCode)}`).toEqual({});
    expect(stats.skippedByReason).toEqual({});
    expect(log.entries.some((entry) => entry.encoding === "gzip")).toBe(true);

    await expectReadable(out, sessionId);
    const finalized = await finalizeDataset(out, { gzip: true });
    expect(finalized.sessions).toBe(1);
    expect(finalized.problems).toEqual([]);
    await expectReadable(out, sessionId);
  });
});

async function expectReadable(out: string, sessionId: string): Promise<void> {
  const source = new DatasetSource(out);
  const metas = await source.listSessions();
  expect(metas.map((m) => m.session_id)).toEqual([sessionId]);
  const meta = metas[0]!;

  const events: AnalyticsEvent[] = [];
  for await (const event of source.streamEvents(sessionId)) events.push(event);
  const names = new Set(events.map((e) => e.event));
  for (const name of ["$pageview", "$autocapture", "$exception", "$dead_click", "$pageleave"]) {
    expect(names, `event ${name} in ${[...names].join(", ")}`).toContain(name);
  }
  const exception = events.find((e) => e.event === "$exception")!;
  expect(exception.properties.$exception_list?.[0]?.value).toContain("payment service unavailable");
  const click = events.find((e) => e.event === "$autocapture" && e.properties.$event_type === "click")!;
  expect(click.properties.$elements_chain).toContain("button");
  expect(meta.first_url).toMatch(/\/shop$/);
  expect(meta.event_count).toBe(events.length);
  expect(meta.exception_count).toBe(events.filter((e) => e.event === "$exception").length);
  expect(meta.distinct_id).toBe(events.at(-1)?.distinct_id);

  const recording: WindowedEvent[] = [];
  for await (const item of source.streamRecording(sessionId)) recording.push(item);
  expect(recording[0]?.event.type).toBe(EventType.Meta);
  expect(recording[1]?.event.type).toBe(EventType.FullSnapshot);
  const metadata = await computeRecordingMetadata(toAsync(recording));
  expect(metadata.replayable).toBe(true);
  expect(metadata.clicks).toBeGreaterThanOrEqual(4);
  expect(Date.parse(meta.start)).toBeLessThanOrEqual(metadata.startMs);
  expect(Date.parse(meta.end)).toBeGreaterThanOrEqual(metadata.endMs);
}

async function* toAsync<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
