import type { Browser, HTTPRequest } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportSchema, type Report, type ReportPattern } from "../../src/domain/report.ts";
import { launchChromium } from "../../src/render/browser.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import type { SessionSource } from "../../src/sources/types.ts";
import { pollReport, startTestServer, tempDir, type TestServer } from "./server-client.ts";

/**
 * The report page as `session-summaries serve` shows it at /reports/:id: a report made through the
 * API, opened in Chromium with the key in the URL, and a question asked in its chat panel, which
 * streams the answer from the real thread API.
 */

const KEY = "report-page-key-0001";
const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3 } as const;
let dir: { dir: string; remove(): Promise<void> };
let server: TestServer;
let browser: Browser;
let report: Report;
/** Recordings the server has read (the report run and the page). */
let recordingReads = 0;

/** The project's dataset, counting the recordings read. */
function countingSource(dataset: string): SessionSource {
  const real = new DatasetSource(dataset);
  return {
    description: real.description,
    listSessions: (filter, options) => real.listSessions(filter, options),
    getMeta: (sessionId) => real.getMeta(sessionId),
    streamEvents: (sessionId, options) => real.streamEvents(sessionId, options),
    streamRecording: (sessionId, options) => {
      recordingReads += 1;
      return real.streamRecording(sessionId, options);
    },
  };
}

function expectedOrder(patterns: readonly ReportPattern[]): ReportPattern[] {
  return [...patterns].sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      b.stats.sessions_affected_ratio - a.stats.sessions_affected_ratio ||
      b.stats.sessions_affected - a.stats.sessions_affected ||
      a.id - b.id,
  );
}

beforeAll(async () => {
  dir = await tempDir("report-page-served-");
  server = await startTestServer({ dataDir: dir.dir, apiKeys: `${KEY}=shop`, server: { sourceFor: (project) => countingSource(project.dataset) } });
  browser = await launchChromium();
  const started = await server.json("POST", "/api/reports", { key: KEY, body: { filter: { limit: 64 }, title: "Served shop week" } });
  expect(started.status).toBe(202);
  const statuses = await pollReport(server, started.body.report_id, KEY);
  expect(statuses.at(-1).status).toBe("done");
  report = ReportSchema.parse(statuses.at(-1).report);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await dir?.remove();
});

describe("the served report page", () => {
  it("loads with no console error, lists the patterns of the API's report, opens a fragment and a replay", async () => {
    expect(report.patterns.length).toBeGreaterThan(1);
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(String(error)));
    const target = expectedOrder(report.patterns)[1]!;
    const response = await page.goto(`${server.url}/reports/${encodeURIComponent(report.id)}?key=${KEY}#pattern-${target.slug}`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    await page.waitForFunction(() => window.__reportPage?.ready === true);
    const shown = await page.$$eval(".pattern-item", (items) =>
      items.map((item) => ({ id: Number((item as HTMLElement).dataset.patternId), sessions: item.querySelector('[data-stat="sessions"]')!.textContent })),
    );
    expect(shown).toEqual(expectedOrder(report.patterns).map((p) => ({ id: p.id, sessions: `${p.stats.sessions_affected} sessions (${Math.round(p.stats.sessions_affected_ratio * 100)}%)` })));
    expect(await page.$eval(`#pattern-${target.slug}`, (d) => (d as HTMLDetailsElement).open)).toBe(true);
    await page.click(`#pattern-${target.slug} details.example summary`);
    await page.click(`#pattern-${target.slug} details.example[open] button.replay-open`);
    const player = await page.evaluate(() => window.__reportPage!.player());
    expect(player!.zeroMs + player!.currentTimeMs - player!.momentMs).toBeLessThan(-3_500);
    expect(await page.$$eval(".replayer-wrapper", (w) => w.length)).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a page opened again is served from memory: its recordings are not read again, its nonce is new", async () => {
    const path = `/reports/${encodeURIComponent(report.id)}?key=${KEY}`;
    const first = await server.request("GET", path);
    const firstHtml = await first.text();
    const readsAfterFirst = recordingReads;
    expect(readsAfterFirst).toBeGreaterThan(0);
    const started = performance.now();
    const second = await server.request("GET", path);
    const secondHtml = await second.text();
    const secondMs = performance.now() - started;
    console.log(`served report page, ${(secondHtml.length / 1048576).toFixed(1)} MB, again in ${Math.round(secondMs)} ms`);
    expect(second.status).toBe(200);
    expect(recordingReads).toBe(readsAfterFirst);
    expect(secondHtml).toContain('<script type="application/json" id="replay-events-1">');
    const nonceOf = (html: string, response: Response) => ({
      meta: /script-src &#39;nonce-([^&]+)&#39;/.exec(html)?.[1],
      header: /script-src 'nonce-([^']+)'/.exec(response.headers.get("content-security-policy") ?? "")?.[1],
    });
    const [a, b] = [nonceOf(firstHtml, first), nonceOf(secondHtml, second)];
    expect(a.meta).toBe(a.header);
    expect(b.meta).toBe(b.header);
    expect(b.meta).toBeDefined();
    expect(b.meta).not.toBe(a.meta);
    // The same page otherwise.
    expect(secondHtml.replaceAll(b.meta!, "N")).toBe(firstHtml.replaceAll(a.meta!, "N"));
  });

  it("the chat panel sends the page's key and streams the answer into the panel", async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    const apiCalls: Array<{ method: string; path: string; authorization?: string }> = [];
    page.on("request", (request: HTTPRequest) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith("/api/")) apiCalls.push({ method: request.method(), path: url.pathname, authorization: request.headers().authorization });
    });
    await page.goto(`${server.url}/reports/${encodeURIComponent(report.id)}?key=${KEY}`, { waitUntil: "load" });
    await page.waitForFunction(() => window.__reportPage?.ready === true);
    await page.type("#chat-input", "Which problem is the worst?");
    await page.click("#chat-send");
    await page.waitForFunction(() => !document.getElementById("chat-form")!.hasAttribute("aria-busy") && document.querySelector(".chat-assistant")?.textContent !== "", { timeout: 30_000 });
    const panel = await page.evaluate(() => ({
      user: Array.from(document.querySelectorAll(".chat-user")).map((m) => m.textContent),
      assistant: document.querySelector(".chat-assistant")!.textContent,
      errors: Array.from(document.querySelectorAll(".chat-note-error")).map((n) => n.textContent),
    }));
    expect(panel.user).toEqual(["Which problem is the worst?"]);
    expect(panel.errors).toEqual([]);
    expect(panel.assistant!.length).toBeGreaterThan(0);
    // The thread was opened on this page's report: the answer comes from it.
    expect(panel.assistant).not.toMatch(/no report/i);
    expect(apiCalls.map((c) => [c.method, c.path.replace(/[0-9a-f-]{36}/, ":id"), c.authorization])).toEqual([
      ["POST", "/api/threads", `Bearer ${KEY}`],
      ["POST", "/api/threads/:id/messages", `Bearer ${KEY}`],
    ]);
    // The thread on the server holds the same answer the panel shows.
    const threadId = apiCalls[1]!.path.split("/")[3]!;
    const thread = await server.json("GET", `/api/threads/${threadId}`, { key: KEY });
    expect(thread.status).toBe(200);
    expect(thread.body.report_id).toBe(report.id);
    const last = thread.body.messages.at(-1);
    expect(JSON.stringify(last)).toContain(panel.assistant!.slice(0, 40).replace(/"/g, '\\"'));
    await page.screenshot({ path: `${process.cwd()}/.artifacts/report-page/served-chat.png` });
    expect(errors).toEqual([]);
    await page.close();
  });
});
