import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runServe } from "../../src/cli/serve.ts";
import type { RunningServer } from "../../src/server/server.ts";
import { parseSelection } from "../../src/domain/selection.ts";
import { resolveSelection } from "../../src/sources/select.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { DATASET, pollReport, SAMPLE, startTestServer, tempDir, testConfig, type TestServer } from "./server-client.ts";

/** The reports API: start a run from ids or a filter, poll its status and progress, fetch the report and its page. */

const KEY = "reports-key-00000001";
let dir: { dir: string; remove(): Promise<void> };
let server: TestServer;
let reportId: string;
let report: any;

beforeAll(async () => {
  dir = await tempDir("server-reports-");
  server = await startTestServer({ dataDir: dir.dir, apiKeys: `${KEY}=shop`, dataset: DATASET });
});
afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

describe("reports API", () => {
  it("starts a report from session ids, reports progress, then serves the report and its page", async () => {
    const datasetIds = (await readdir(path.join(DATASET, "sessions"))).sort().slice(0, 6);
    const started = await server.json("POST", "/api/reports", { key: KEY, body: { session_ids: datasetIds, title: "Six sessions", focus_area: "checkout" } });
    expect(started.status).toBe(202);
    expect(started.body.report_id).toEqual(expect.any(String));
    expect(started.body.status_url).toBe(`/api/reports/${encodeURIComponent(started.body.report_id)}`);
    expect(started.body.report_url).toBe(`/reports/${encodeURIComponent(started.body.report_id)}`);

    const statuses = await pollReport(server, started.body.report_id, KEY);
    const last = statuses.at(-1);
    expect(last.status).toBe("done");
    for (const status of statuses) expect(status.progress.message).toEqual(expect.any(String));
    expect(last.progress).toMatchObject({ stage: "done", sessions_total: 6, sessions_done: 6 });
    expect(last.progress.message).toMatch(/^Report ready: \d+ pattern/);
    const done = statuses.map((status) => status.progress?.sessions_done ?? 0);
    for (let i = 1; i < done.length; i++) expect(done[i]).toBeGreaterThanOrEqual(done[i - 1]);
    expect(last.report.id).toBe(started.body.report_id);
    expect(last.report.title).toBe("Six sessions");
    expect(last.report.focus_area).toBe("checkout");
    expect(last.report.sessions.requested).toBe(6);
    expect([...last.report.sessions.summarized, ...last.report.sessions.skipped.map((s: any) => s.id), ...last.report.sessions.failed.map((s: any) => s.id)].sort()).toEqual(datasetIds);

    const page = await server.request("GET", `${started.body.report_url}?key=${KEY}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    const policy = page.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain("Six sessions");
    // The header's script nonce is the one the page's scripts carry.
    const nonce = /script-src 'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeTruthy();
    expect(html).toContain(`nonce="${nonce}"`);
  }, 60_000);

  it("starts a report from a filter: only sessions with an exception, at most 8", async () => {
    const started = await server.json("POST", "/api/reports", { key: KEY, body: { filter: { has_exception: true, limit: 8 } } });
    expect(started.status).toBe(202);
    const last = (await pollReport(server, started.body.report_id, KEY)).at(-1);
    expect(last.status).toBe("done");
    expect(last.report.sessions.requested).toBe(8);
    const metas = await Promise.all(last.report.sessions.summarized.map(async (id: string) => JSON.parse(await readFile(path.join(DATASET, "sessions", id, "meta.json"), "utf8"))));
    for (const meta of metas) expect(meta.exception_count).toBeGreaterThan(0);
    reportId = started.body.report_id;
    report = last.report;
  }, 60_000);

  it("a thread started on a report (the page's chat) answers follow-ups from it, with no new run", async () => {
    const created = await server.json("POST", "/api/threads", { key: KEY, body: { report_id: reportId } });
    expect(created.status).toBe(201);
    expect(created.body.report_id).toBe(reportId);
    const state = await server.json("GET", `/api/threads/${created.body.thread_id}`, { key: KEY });
    expect(state.body).toMatchObject({ report_id: reportId, messages: [], report_ids: [reportId] });
    expect(state.body.report_summary.patterns.length).toBe(report.patterns.length);

    // Worded as the report page's chat panel sends a first message.
    const answer = await server.chat(created.body.thread_id, `About report ${reportId}: which pattern affects most sessions?`, KEY);
    const types = answer.events.map((event) => event.event);
    expect(types.at(-1)).toBe("final");
    expect(types).not.toContain("progress");
    expect(answer.events.some((event) => event.event === "tool_call" && event.json.name === "summarize_sessions")).toBe(false);
    expect(report.patterns.length).toBeGreaterThan(0);
    const top = [...report.patterns].sort((a: any, b: any) => b.stats.sessions_affected - a.stats.sessions_affected)[0];
    expect(answer.events.at(-1)!.json.message).toContain(top.name);
    // An answer about a report says where its page is.
    expect(answer.events.at(-1)!.json.message).toContain(`Report page: /reports/${reportId}`);

    // The offline chat knows the thread has a report though no summarize_sessions result is in its messages.
    for (const question of ["sessions mentioning coupon", "which sessions mention coupon?"]) {
      const search = await server.chat(created.body.thread_id, question, KEY);
      const calls = search.events.filter((event) => event.event === "tool_call").map((event) => event.json);
      expect(calls).toEqual([{ name: "search_summaries", args: { query: "coupon" } }]);
      expect(search.events.at(-1)!.json.message).toMatch(/^(No summary of the \d+ sessions searched|\d+ sessions? of the \d+ searched) mention/);
    }

    const unknown = await server.json("POST", "/api/threads", { key: KEY, body: { report_id: "report-that-does-not-exist" } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
  }, 60_000);

  it("dry_run: the estimate of a report (sessions, model calls, tokens, cost) and no run", async () => {
    const estimated = await server.json("POST", "/api/reports", { key: KEY, body: { filter: { has_exception: true, limit: 8 }, dry_run: true } });
    expect(estimated.status).toBe(200);
    expect(estimated.body).toMatchObject({ dry_run: true, estimate: { sessions: 8, model_calls: 0, cost_usd: 0, offline: true } });
    expect(estimated.body.estimate.note).toMatch(/^8 sessions: .*no model calls, \$0\.00$/);
    expect(estimated.body.report_id).toBeUndefined();
  });

  it("a filter matching no session is a 400 naming the filter, not a crash", async () => {
    const removed = await server.json("POST", "/api/reports", { key: KEY, body: { filter: { url_contains: "/checkout" } } });
    expect(removed.status).toBe(400);
    expect(removed.body.error.message).toMatch(/filter\.url_contains: was removed .*visited_url_contains/);
    const started = await server.json("POST", "/api/reports", { key: KEY, body: { filter: { visited_url_contains: "/no-such-page-anywhere" } } });
    expect(started.status).toBe(400);
    expect(started.body.error).toEqual({ code: "no_sessions", message: 'no session matches the filter (that visited a page containing "/no-such-page-anywhere"): nothing to summarize' });
    expect((await server.json("GET", "/healthz")).status).toBe(200);
  }, 60_000);

  it("visited_url_contains matches any page of a session, as in the chat (the README's example)", async () => {
    const readmeFilter = { has_exception: true, visited_url_contains: "/checkout", limit: 50 };
    // What the chat's summarize_sessions picks for the same words.
    const chatPicks = await resolveSelection(new DatasetSource(DATASET), parseSelection(readmeFilter), { maxSessions: 200 });
    expect(chatPicks.ids!.length).toBeGreaterThan(10);
    const started = await server.json("POST", "/api/reports", { key: KEY, body: { filter: readmeFilter, title: "Checkout errors", focus_area: "checkout" } });
    expect(started.status).toBe(202);
    const last = (await pollReport(server, started.body.report_id, KEY)).at(-1);
    expect(last.status).toBe("done");
    expect(last.report.sessions.requested).toBe(chatPicks.ids!.length);
    const picked = [...last.report.sessions.summarized, ...last.report.sessions.skipped.map((s: any) => s.id), ...last.report.sessions.failed.map((s: any) => s.id)];
    expect(picked.sort()).toEqual([...chatPicks.ids!].sort());
    // Most of them did not start on /checkout: the first URL alone would have missed them.
    const firstUrls = await Promise.all(picked.map(async (id: string) => JSON.parse(await readFile(path.join(DATASET, "sessions", id, "meta.json"), "utf8")).first_url ?? ""));
    expect(firstUrls.filter((url) => url.includes("/checkout")).length).toBeLessThan(picked.length);
  }, 60_000);
});

describe("session-summaries serve", () => {
  it("prints the URL, serves, and stops cleanly on its signal", async () => {
    const cliDir = await tempDir("server-cli-");
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    let err = "";
    stdout.on("data", (chunk) => (out += chunk));
    stderr.on("data", (chunk) => (err += chunk));
    const stop = new AbortController();
    let running: RunningServer | undefined;
    const listening = new Promise<void>((resolve) => {
      void (async () => {
        const exit = runServe({
          port: 0,
          dataset: SAMPLE,
          appConfig: testConfig({ dataDir: cliDir.dir }),
          signal: stop.signal,
          stdout,
          stderr,
          onListening: (server) => {
            running = server;
            resolve();
          },
        });
        exitCode = await exit;
      })();
    });
    let exitCode: number | undefined;
    try {
      await listening;
      expect(out).toContain(`listening on ${running!.url}`);
      expect(err).toMatch(/WARNING: no API key configured/);
      const health = await fetch(`${running!.url}/healthz`);
      expect(health.status).toBe(200);
      // Keyless local mode: no key needed on loopback.
      const created = await fetch(`${running!.url}/api/threads`, { method: "POST" });
      expect(created.status).toBe(201);
    } finally {
      stop.abort();
      for (let i = 0; i < 200 && exitCode === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      await cliDir.remove();
    }
    expect(exitCode).toBe(0);
    await expect(fetch(`${running!.url}/healthz`)).rejects.toThrow();
  }, 60_000);

  it("refuses to start without keys on a public address", async () => {
    const cliDir = await tempDir("server-cli-");
    const stderr = new PassThrough();
    let err = "";
    stderr.on("data", (chunk) => (err += chunk));
    try {
      const exit = await runServe({ port: 0, host: "0.0.0.0", dataset: SAMPLE, appConfig: testConfig({ dataDir: cliDir.dir }), stdout: new PassThrough(), stderr });
      expect(exit).toBe(2);
      expect(err).toMatch(/refusing to serve on 0.0.0.0 without API keys/);
    } finally {
      await cliDir.remove();
    }
  });
});
