import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MonitorDefinitionSchema, startingSweep, type IssueExample, type Monitor, type MonitorDefinitionInput, type TrackedIssue } from "../../src/domain/monitor.ts";
import { launchChromium } from "../../src/render/browser.ts";
import { IssuesPageError, loadIssuesPageData, renderIssuesPage, safeHref, trendBars, trendDaysEndingOn, type IssuesPageData } from "../../src/watch/page/index.ts";
import { openWatchStoreAt } from "../../src/watch/store/open.ts";
import type { WatchStore } from "../../src/watch/store/types.ts";

const NOW = new Date("2026-12-03T12:00:00.000Z");
const DAYS = 14;
/** The window of a 14-day page on NOW: 2026-11-20 … 2026-12-03. */
const WINDOW_FIRST = "2026-11-20";
const PROJECT = "acme";
const HOSTILE_PROJECT = "hostile";
const BAR_AREA = 40;

const HOSTILE = {
  monitor: "<script>window.__pwned = 'monitor'</script>Checkout",
  title: `<img src=x onerror="window.__pwned='title';alert(1)">Broken pay button`,
  description: `</script><script>window.__pwned='description'</script><a href="javascript:alert(1)">click</a>`,
  kind: `"><svg onload=alert(1)>`,
  example: `<iframe src="javascript:alert(1)"></iframe>${"x".repeat(300)}`,
  url: "javascript:alert('url')",
  message: `<img src=x onerror=alert('sweep')>`,
  session: `s"><img src=x onerror=alert(1)>`,
};

let work: string;
let store: WatchStore;
let browser: Browser;
let checkout: Monitor;
let search: Monitor;
/** Issue ids by a short name, as saved. */
const ids = { deadClick: 0, payment: 0, slow: 0, coupon: 0, muted: 0, address: 0 };

function definition(input: MonitorDefinitionInput) {
  return MonitorDefinitionSchema.parse(input);
}

function example(over: Partial<IssueExample> & Pick<IssueExample, "report_id" | "pattern_id" | "example_index">): IssueExample {
  return { session_id: `sess-${over.report_id}-${over.pattern_id}-${over.example_index}`, timestamp: "2026-12-01T10:00:00.000Z", description: "clicked Pay, nothing happened", ...over };
}

async function issue(monitor: Monitor, over: Partial<TrackedIssue> & Pick<TrackedIssue, "fingerprint" | "title" | "state">, days: Array<[string, number, number]>): Promise<TrackedIssue> {
  const saved = await store.saveIssue({
    id: 0,
    project: monitor.project,
    monitor_id: monitor.id,
    kind: "error",
    description: "what the users ran into",
    severity: "medium",
    first_seen: "2026-11-10T09:00:00.000Z",
    last_seen: "2026-12-03T09:00:00.000Z",
    sweeps_unseen: 0,
    sessions_total: days.reduce((n, [, s]) => n + s, 0),
    users_total: days.reduce((n, [, , u]) => n + u, 0),
    examples: [],
    ...over,
  });
  for (const [day, sessions, users] of days) await store.addIssueDay({ issue_id: saved.id, day, sessions, users });
  return saved;
}

/** Where the served report page shows an example; one report's links are deliberately hostile. */
function replayLink(x: IssueExample): string | undefined {
  if (x.report_id === "evil")
    return ["javascript:alert(document.domain)", " javascript:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil.example/x"][x.example_index];
  if (x.report_id === "external") return `https://replays.example/session/${encodeURIComponent(x.session_id)}`;
  if (x.report_id === "none") return undefined;
  return `/reports/${x.report_id}#example-${x.pattern_id}-${x.example_index}`;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "ss-issues-page-"));
  store = await openWatchStoreAt({ kind: "sqlite", file: path.join(work, "watch.sqlite") });
  browser = await launchChromium();

  checkout = await store.createMonitor(
    PROJECT,
    definition({ name: "Checkout", question: { text: "Did the user reach the payment step?", answer: "yes_no" }, interval_minutes: 15 }),
    new Date("2026-11-01T00:00:00.000Z"),
  );
  search = await store.createMonitor(PROJECT, definition({ name: "Search", interval_minutes: 60 }), new Date("2026-11-02T00:00:00.000Z"));

  ids.deadClick = (
    await issue(
      checkout,
      {
        fingerprint: "dead_click|/checkout|button#pay",
        kind: "dead_click",
        title: "Pay button does nothing",
        severity: "high",
        state: "ongoing",
        examples: [
          example({ report_id: "r7", pattern_id: 2, example_index: 0, verdict: "confirmed", url: "https://shop.example/checkout" }),
          example({ report_id: "external", pattern_id: 2, example_index: 1, verdict: "inconclusive", session_id: "sess-ext" }),
          example({ report_id: "none", pattern_id: 2, example_index: 2 }),
        ],
      },
      [
        ["2026-11-10", 9, 9], // before the window: not charted
        ["2026-11-28", 3, 2],
        ["2026-11-30", 1, 1],
        ["2026-12-03", 6, 4],
      ],
    )
  ).id;
  ids.payment = (
    await issue(checkout, { fingerprint: "error|/api/pay|500", title: "Payment API answers 500", severity: "critical", state: "regressed" }, [
      ["2026-11-21", 2, 2],
      ["2026-12-02", 4, 3],
    ])
  ).id;
  ids.slow = (await issue(search, { fingerprint: "slow|/search", kind: "slow", title: "Search takes 8 s", severity: "low", state: "resolved" }, [["2026-11-22", 5, 5]])).id;
  ids.coupon = (
    await issue(checkout, { fingerprint: "confusion|/cart|coupon", kind: "confusion", title: "Coupon field confuses", state: "snoozed", snoozed_until: "2026-12-10T00:00:00.000Z" }, [
      ["2026-12-01", 2, 2],
    ])
  ).id;
  ids.muted = (await issue(search, { fingerprint: "other|/search|banner", kind: "other", title: "Banner flickers", severity: "low", state: "muted" }, [["2026-12-03", 1, 1]])).id;
  ids.address = (
    await issue(checkout, { fingerprint: "error|/checkout|address", title: "Address form rejects valid postcodes", state: "new", first_seen: "2026-12-03T09:00:00.000Z" }, [["2026-12-03", 2, 2]])
  ).id;

  await store.startSweep(startingSweep({ id: "sw1", monitor_id: checkout.id, project: PROJECT, started_at: "2026-12-03T10:00:00.000Z" }));
  await store.updateSweep("sw1", { status: "done", finished_at: "2026-12-03T10:02:00.000Z", sessions: 20, model_calls: 24, cost_usd: 0.1234 });
  await store.startSweep(startingSweep({ id: "sw2", monitor_id: checkout.id, project: PROJECT, started_at: "2026-12-03T11:50:00.000Z" }));
  await store.updateSweep("sw2", {
    status: "budget_reached",
    finished_at: "2026-12-03T11:51:00.000Z",
    sessions: 12,
    model_calls: 14,
    cost_usd: 0.5,
    message: "daily budget of $0.50 reached after 12 sessions",
  });
  await store.startSweep(startingSweep({ id: "sw3", monitor_id: search.id, project: PROJECT, started_at: "2026-12-03T11:30:00.000Z" }));

  await store.recordAlert({
    project: PROJECT,
    monitor_id: checkout.id,
    sweep_id: "sw1",
    kind: "new_issue",
    issue_id: ids.address,
    dedupe_key: "new",
    created_at: "2026-12-03T10:02:00.000Z",
    payload: {},
  });
  await store.recordAlert({
    project: PROJECT,
    monitor_id: checkout.id,
    sweep_id: "sw1",
    kind: "regression",
    issue_id: ids.payment,
    dedupe_key: "reg",
    created_at: "2026-12-03T10:02:01.000Z",
    payload: {},
  });
  await store.recordAlert({ project: PROJECT, monitor_id: checkout.id, sweep_id: "sw2", kind: "budget_reached", dedupe_key: "budget", created_at: "2026-12-03T11:51:00.000Z", payload: {} });

  const answer = (session: string, value: "yes" | "no" | "unknown", at: string) =>
    store.saveAnswer({
      project: PROJECT,
      monitor_id: checkout.id,
      session_id: session,
      sweep_id: "sw1",
      answered_at: at,
      question: "Did the user reach the payment step?",
      answer: { value, evidence: [], explanation: "" },
    });
  await answer("a1", "yes", "2026-12-03T10:01:00.000Z");
  await answer("a2", "yes", "2026-12-03T10:01:00.000Z");
  await answer("a3", "yes", "2026-11-25T10:01:00.000Z");
  await answer("a4", "no", "2026-12-02T10:01:00.000Z");
  await answer("a5", "unknown", "2026-12-02T10:01:00.000Z");
  await answer("a6", "no", "2026-11-01T10:01:00.000Z"); // before the window

  // Another project: its hostile issue must never show on acme's page.
  const hostileMonitor = await store.createMonitor(HOSTILE_PROJECT, definition({ name: HOSTILE.monitor }), new Date("2026-11-01T00:00:00.000Z"));
  await issue(
    hostileMonitor,
    {
      fingerprint: "hostile",
      kind: HOSTILE.kind,
      title: HOSTILE.title,
      description: HOSTILE.description,
      state: "new",
      examples: [0, 1, 2, 3, 4].map((i) => example({ report_id: "evil", pattern_id: 1, example_index: i, description: HOSTILE.example, url: HOSTILE.url, session_id: HOSTILE.session })),
    },
    [["2026-12-03", 1, 1]],
  );
  await store.startSweep({
    id: "hostile-sweep",
    monitor_id: hostileMonitor.id,
    project: HOSTILE_PROJECT,
    started_at: "2026-12-03T11:00:00.000Z",
    status: "failed",
    sessions: 1,
    model_calls: 1,
    input_tokens: 0,
    output_tokens: 0,
    cost_usd: 0,
    message: HOSTILE.message,
  });

  // A project whose monitor has not swept yet.
  await store.createMonitor("fresh", definition({ name: "First", interval_minutes: 15 }), new Date("2026-12-03T11:59:00.000Z"));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await store?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  errors: string[];
  dialogs: string[];
  /** Every request but the page itself. */
  requests: string[];
}

/** Opens the page with every request but the document refused and recorded, dialogs and script errors recorded. */
async function open(url: string): Promise<Opened> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const opened: Opened = { page, errors: [], dialogs: [], requests: [] };
  page.on("console", (message) => {
    if (message.type() === "error") opened.errors.push(message.text());
  });
  page.on("pageerror", (error) => opened.errors.push(String(error)));
  page.on("dialog", (dialog) => {
    opened.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    if (request.url() === url && request.isNavigationRequest()) {
      void request.continue();
    } else {
      opened.requests.push(request.url());
      void request.abort();
    }
  });
  await page.goto(url, { waitUntil: "load" });
  await page
    .waitForFunction(() => window.__issuesPage?.ready === true, { timeout: 10_000 })
    .catch((error: unknown) => {
      throw new Error(`the page did not get ready (errors: ${JSON.stringify(opened.errors)}): ${String(error)}`);
    });
  return opened;
}

async function writePage(name: string, data: IssuesPageData): Promise<string> {
  const file = path.join(work, `${name}.html`);
  await writeFile(file, renderIssuesPage(data));
  return pathToFileURL(file).href;
}

describe("links, windows and bars (no browser)", () => {
  it("keeps only links a browser follows to a web page", () => {
    for (const href of ["/reports/r1#example-2-0", "report.html#x", "#issue-3", "?monitor=m1", "https://replays.example/s/1", "HTTP://host.example/x"]) expect(safeHref(href)).toBe(href);
    for (const href of [
      "javascript:alert(1)",
      "JavaScript:alert(1)",
      " javascript:alert(1)",
      "java\tscript:alert(1)",
      "java\nscript:alert(1)",
      "data:text/html,x",
      "file:///etc/passwd",
      "vbscript:x",
      "//evil.example/x",
      "/\\evil.example/x",
      "https://",
      "",
      undefined,
    ]) {
      expect(safeHref(href)).toBeUndefined();
    }
  });

  it("charts every day of the window, zero days included, heights relative to the busiest day", () => {
    const days = trendDaysEndingOn(new Date("2026-03-02T23:59:00.000Z"), 4);
    // Across the end of February: days are UTC calendar days.
    expect(days).toEqual(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
    const bars = trendBars(days, [
      { issue_id: 1, day: "2026-02-28", sessions: 2, users: 1 },
      { issue_id: 1, day: "2026-03-02", sessions: 8, users: 5 },
      { issue_id: 1, day: "2026-01-01", sessions: 99, users: 99 },
    ]);
    expect(bars.map((b) => [b.day, b.sessions, b.height])).toEqual([
      ["2026-02-27", 0, 0],
      ["2026-02-28", 2, 10],
      ["2026-03-01", 0, 0],
      ["2026-03-02", 8, 40],
    ]);
    expect(trendBars(days, []).every((b) => b.height === 0)).toBe(true);
  });

  it("refuses a window it cannot chart and a monitor the project does not have", async () => {
    await expect(loadIssuesPageData(store, PROJECT, { now: NOW, days: 0 })).rejects.toMatchObject({ code: "invalid_option" });
    await expect(loadIssuesPageData(store, PROJECT, { now: NOW, days: 2.5 })).rejects.toBeInstanceOf(IssuesPageError);
    await expect(loadIssuesPageData(store, PROJECT, { now: new Date(Number.NaN) })).rejects.toMatchObject({ code: "invalid_option" });
    // The hostile project's monitor id, asked for from acme: not found, not shown.
    const [hostileMonitor] = await store.listMonitors(HOSTILE_PROJECT);
    await expect(loadIssuesPageData(store, PROJECT, { now: NOW, monitorId: hostileMonitor!.id })).rejects.toMatchObject({ code: "monitor_not_found" });
  });

  it("loads a project's monitors, issues, days in the window, alerts, sweeps and yes rate, and no other project's", async () => {
    const data = await loadIssuesPageData(store, PROJECT, { now: NOW, days: DAYS, replayLink });
    expect(data.trend_days[0]).toBe(WINDOW_FIRST);
    expect(data.trend_days).toHaveLength(DAYS);
    expect(data.monitors.map((m) => m.name)).toEqual(["Checkout", "Search"]);
    expect(data.issues.map((i) => i.id).sort((a, b) => a - b)).toEqual(Object.values(ids).sort((a, b) => a - b));
    const dead = data.issues.find((i) => i.id === ids.deadClick)!;
    expect(dead.days.map((d) => d.day)).toEqual(["2026-11-28", "2026-11-30", "2026-12-03"]);
    expect(dead.examples.map((x) => x.replay_href)).toEqual(["/reports/r7#example-2-0", "https://replays.example/session/sess-ext", undefined]);
    expect(data.issues.find((i) => i.id === ids.payment)!.recent_alerts.map((a) => a.kind)).toEqual(["regression"]);
    const [checkoutData, searchData] = data.monitors;
    expect(checkoutData!.last_sweep).toMatchObject({ id: "sw2", status: "budget_reached", message: "daily budget of $0.50 reached after 12 sessions", cost_usd: 0.5 });
    expect(checkoutData!.recent_alerts.map((a) => a.kind)).toEqual(["budget_reached"]);
    // a1, a2, a3 yes and a4 no within the window; unknown and the answer before the window not counted.
    expect(checkoutData!.answers).toEqual({ answer: "yes_no", since: `${WINDOW_FIRST}T00:00:00.000Z`, yes: 3, sessions: 4 });
    expect(checkoutData!.next_sweep_at).toBe("2026-12-03T12:05:00.000Z");
    // Search's newest sweep is still running: it is shown, and nothing finished before it.
    expect(searchData!.last_sweep?.status).toBe("running");
    expect(searchData!.last_finished_sweep).toBeUndefined();
    expect(JSON.stringify(data)).not.toContain("Broken pay button");

    const onlySearch = await loadIssuesPageData(store, PROJECT, { now: NOW, monitorId: search.id });
    expect(onlySearch.monitors.map((m) => m.id)).toEqual([search.id]);
    expect(onlySearch.issues.map((i) => i.id).sort((a, b) => a - b)).toEqual([ids.slow, ids.muted]);
  });

  it("drops links that are not http(s) or relative when loading, and again when rendering hand-made data", async () => {
    const data = await loadIssuesPageData(store, HOSTILE_PROJECT, { now: NOW, replayLink });
    expect(data.issues[0]!.examples.map((x) => x.replay_href)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    const handMade = structuredClone(data);
    handMade.issues[0]!.examples[0]!.replay_href = "javascript:alert(1)";
    handMade.issues[0]!.examples[1]!.replay_href = "/reports/ok#example-1-1";
    const html = renderIssuesPage(handMade);
    expect(html).not.toMatch(/href="\s*javascript/i);
    expect(html).toContain('href="/reports/ok#example-1-1"');
  });
});

describe("the issues page in Chromium, from file://", () => {
  let opened: Opened;
  let data: IssuesPageData;

  beforeAll(async () => {
    data = await loadIssuesPageData(store, PROJECT, { now: NOW, days: DAYS, replayLink });
    opened = await open(await writePage("acme", data));
  });

  afterAll(async () => {
    await opened?.page.close();
  });

  it("loads with no script error and no request, grouping the issues by state in order of attention", async () => {
    const { page } = opened;
    const groups = await page.$$eval("section.state-group", (sections) =>
      sections.map((s) => ({ state: (s as HTMLElement).dataset.state, issues: Array.from(s.querySelectorAll("li.issue")).map((li) => Number((li as HTMLElement).dataset.issueId)) })),
    );
    expect(groups).toEqual([
      { state: "regressed", issues: [ids.payment] },
      // New and ongoing: one each.
      { state: "new", issues: [ids.address] },
      { state: "ongoing", issues: [ids.deadClick] },
      { state: "snoozed", issues: [ids.coupon] },
      { state: "muted", issues: [ids.muted] },
      { state: "resolved", issues: [ids.slow] },
    ]);
    const snoozed = await page.$eval(`#issue-${ids.coupon} .state`, (el) => el.textContent);
    expect(snoozed).toBe("snoozed until 2026-12-10 00:00 UTC");
    const facts = await page.$eval(`#issue-${ids.deadClick}`, (el) => (el as HTMLElement).innerText);
    expect(facts).toContain("Pay button does nothing");
    expect(facts).toMatch(/First seen\s+2026-11-10 09:00 UTC/i);
    expect(facts).toMatch(/Sessions affected\s+19/i);
    expect(facts).toMatch(/Users affected\s+16/i);
    expect(opened.errors).toEqual([]);
    expect(opened.requests).toEqual([]);
  });

  it("draws one bar per day of the window, zero days included, with the right heights and titles", async () => {
    const { page } = opened;
    const chart = await page.$eval(`#issue-${ids.deadClick} svg.trend-chart`, (svg) => ({
      label: svg.getAttribute("role") === "img" ? svg.querySelector(":scope > title")!.textContent + " | " + svg.querySelector(":scope > desc")!.textContent : "",
      days: Array.from(svg.querySelectorAll("g.day")).map((g) => ({
        day: g.getAttribute("data-day"),
        title: g.querySelector("title")!.textContent,
        height: Number(g.querySelector("rect.bar")!.getAttribute("height")),
        /** On screen, in units of the chart's drawing (its viewBox is the bar area plus the 1-unit baseline). */
        rendered: (g.querySelector("rect.bar") as SVGRectElement).getBoundingClientRect().height / (svg.getBoundingClientRect().height / Number(svg.getAttribute("viewBox")!.split(" ")[3])),
      })),
    }));
    const counts: Record<string, [number, number]> = { "2026-11-28": [3, 2], "2026-11-30": [1, 1], "2026-12-03": [6, 4] };
    const expectedDays = Array.from({ length: DAYS }, (_, i) => new Date(Date.parse(`${WINDOW_FIRST}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10));
    expect(chart.days.map((d) => d.day)).toEqual(expectedDays);
    for (const d of chart.days) {
      const [sessions, users] = counts[d.day!] ?? [0, 0];
      const height = Math.round((sessions / 6) * BAR_AREA * 100) / 100;
      expect(d.height).toBe(height);
      expect(Math.abs(d.rendered - height)).toBeLessThan(0.5);
      expect(d.title).toBe(`${d.day}: ${sessions} session${sessions === 1 ? "" : "s"}, ${users} user${users === 1 ? "" : "s"}`);
    }
    expect(chart.label).toBe("Sessions per day, 2026-11-20 to 2026-12-03 (UTC) | 10 sessions on 3 of 14 days; most on 2026-12-03: 6 sessions.");
    // The payment issue's busiest day is 4 sessions: its own scale.
    const payment = await page.$$eval(`#issue-${ids.payment} g.day rect.bar`, (rects) => rects.map((r) => Number(r.getAttribute("height"))).filter((h) => h > 0));
    expect(payment).toEqual([20, 40]);
  });

  it("filters by state, severity and kind when clicked, hiding empty groups and counting what is shown", async () => {
    const { page } = opened;
    const visible = () => page.$$eval("li.issue", (items) => items.filter((li) => (li as HTMLElement).offsetParent !== null).map((li) => Number((li as HTMLElement).dataset.issueId)));
    const shown = () => page.$eval("#issues-shown", (o) => o.textContent);
    expect(await page.$eval("#issues-filters", (f) => (f as HTMLElement).hidden)).toBe(false);
    expect((await visible()).length).toBe(6);
    await page.click('#issues-filters input[name="state"][value="resolved"]');
    await page.click('#issues-filters input[name="state"][value="muted"]');
    expect((await visible()).sort((a, b) => a - b)).toEqual([ids.deadClick, ids.payment, ids.coupon, ids.address].sort((a, b) => a - b));
    expect(await shown()).toBe("4 of 6 issues shown");
    expect(await page.$eval('section.state-group[data-state="resolved"]', (s) => (s as HTMLElement).offsetParent === null)).toBe(true);
    await page.click('#issues-filters input[name="severity"][value="medium"]');
    expect((await visible()).sort((a, b) => a - b)).toEqual([ids.deadClick, ids.payment].sort((a, b) => a - b));
    await page.select('#issues-filters select[name="kind"]', "dead_click");
    expect(await visible()).toEqual([ids.deadClick]);
    expect(await shown()).toBe("1 of 6 issues shown");
    await page.select('#issues-filters select[name="kind"]', "");
    await page.click('#issues-filters input[name="state"][value="resolved"]');
    expect((await visible()).sort((a, b) => a - b)).toEqual([ids.deadClick, ids.payment, ids.slow].sort((a, b) => a - b));
    await page.click('#issues-filters input[name="severity"][value="low"]');
    expect((await visible()).sort((a, b) => a - b)).toEqual([ids.deadClick, ids.payment].sort((a, b) => a - b));
    await page.select('#issues-filters select[name="monitor"]', search.id);
    expect(await visible()).toEqual([]);
    expect(await shown()).toBe("0 of 6 issues shown");
    expect(opened.requests).toEqual([]);
  });

  it("links examples to their replays, says the replay check's verdict, and says when there is no link", async () => {
    const examples = await opened.page.$$eval(`#issue-${ids.deadClick} li.example`, (items) =>
      items.map((li) => ({
        href: li.querySelector("a.replay-link")?.getAttribute("href") ?? null,
        verdict: li.querySelector(".verdict")!.textContent,
        text: (li as HTMLElement).innerText,
      })),
    );
    expect(examples.map((x) => x.href)).toEqual(["/reports/r7#example-2-0", "https://replays.example/session/sess-ext", null]);
    expect(examples.map((x) => x.verdict)).toEqual(["replay check: confirmed", "replay check: inconclusive", "not checked against the replay"]);
    expect(examples[0]!.text).toContain("https://shop.example/checkout");
    expect(examples[2]!.text).toContain("no replay link");
  });

  it("shows each monitor's last sweep (budget reached, with its message), its next sweep and its question's yes rate", async () => {
    const monitors = await opened.page.$$eval("li.monitor", (items) => items.map((li) => (li as HTMLElement).innerText));
    expect(monitors[0]).toContain("budget reached");
    expect(monitors[0]).toContain("daily budget of $0.50 reached after 12 sessions");
    expect(monitors[0]).toContain("12 sessions, 14 model calls, $0.5000");
    expect(monitors[0]).toMatch(/Next sweep\s+2026-12-03 12:05 UTC/i);
    expect(monitors[0]).toContain("Did the user reach the payment step?");
    expect(monitors[0]).toContain("75% said yes: 3 of 4 sessions");
    expect(monitors[0]).toMatch(/Recent alerts\s+budget reached/i);
    expect(monitors[1]).toContain("running since 2026-12-03 11:30 UTC: 0 sessions, 0 model calls, $0 so far");
    expect(monitors[1]).not.toContain("Yes rate");
  });
});

describe("hostile text on the page", () => {
  it("is shown as text: no script runs, no dialog opens, no request is made, unsafe links are dropped, the layout holds", async () => {
    const data = await loadIssuesPageData(store, HOSTILE_PROJECT, { now: NOW, replayLink });
    const { page, errors, dialogs, requests } = await open(await writePage("hostile", data));
    const seen = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
      text: document.body.innerText,
      images: document.querySelectorAll("img, iframe").length,
      svgs: Array.from(document.querySelectorAll("svg")).filter((s) => !s.classList.contains("trend-chart")).length,
      scripts: document.querySelectorAll("script").length,
      links: Array.from(document.querySelectorAll("a[href]")).map((a) => a.getAttribute("href")),
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    }));
    expect(seen.pwned).toBeNull();
    expect(dialogs).toEqual([]);
    expect(requests).toEqual([]);
    expect(seen.images).toBe(0);
    expect(seen.svgs).toBe(0);
    expect(seen.scripts).toBe(1);
    for (const text of [HOSTILE.monitor, HOSTILE.title, HOSTILE.description, HOSTILE.kind, HOSTILE.url, HOSTILE.message]) expect(seen.text).toContain(text);
    // Only the page's own anchors: no javascript:, data: or protocol-relative replay link survived.
    expect(seen.links.every((href) => href!.startsWith("#"))).toBe(true);
    expect(await page.$$eval("li.example", (items) => items.map((li) => li.querySelector(".replay-missing")?.textContent))).toEqual(Array(5).fill("no replay link"));
    expect(seen.overflow).toBeLessThanOrEqual(0);
    await page.setViewport({ width: 375, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    // Clicking the filter over the hostile kind still works (the value is data, not markup).
    await page.click('#issues-filters input[name="state"][value="new"]');
    expect(await page.$eval("#issues-shown", (o) => o.textContent)).toBe("0 of 1 issue shown");
    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]);
    await page.close();
  });
});

describe("empty pages", () => {
  it("say why there are no issues and when the first sweep runs", async () => {
    const none = renderIssuesPage(await loadIssuesPageData(store, "nobody", { now: NOW }));
    expect(none).toContain("No issues yet: no monitor watches this project.");
    const fresh = await loadIssuesPageData(store, "fresh", { now: NOW });
    expect(fresh.monitors[0]!.next_sweep_at).toBe(NOW.toISOString());
    const { page, errors, requests } = await open(await writePage("fresh", fresh));
    const text = await page.$eval("#issues-empty", (p) => (p as HTMLElement).innerText);
    expect(text).toBe("No issues yet: the first sweep runs as soon as the scheduler (session-summaries watch) next looks (or now: session-summaries monitors run-once <monitor>).");
    expect(await page.$("#issues-filters")).toBeNull();
    expect(await page.$eval("li.monitor", (li) => (li as HTMLElement).innerText)).toMatch(/Last sweep\s+none yet/i);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();

    // After a sweep that found nothing: it says so, and when the next one runs.
    const [first] = await store.listMonitors("fresh");
    await store.startSweep({
      id: "fresh-1",
      monitor_id: first!.id,
      project: "fresh",
      started_at: "2026-12-03T11:59:30.000Z",
      status: "nothing_new",
      sessions: 0,
      model_calls: 0,
      input_tokens: 0,
      output_tokens: 0,
      cost_usd: 0,
    });
    const after = renderIssuesPage(await loadIssuesPageData(store, "fresh", { now: NOW }));
    expect(after).toContain(
      'No issues yet: the last sweep (<time datetime="2026-12-03T11:59:30.000Z">2026-12-03 11:59 UTC</time>, 0 sessions) found none. The next sweep runs at <time datetime="2026-12-03T12:14:30.000Z">',
    );
  });
});

describe("the issues page served over HTTP", () => {
  let server: Server;

  afterAll(async () => {
    if (!server) return;
    // Chromium keeps its connection alive after the page closes: close it, or close() waits for it.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("works the same served as from a file: filters run, nothing else is requested", async () => {
    const html = renderIssuesPage(await loadIssuesPageData(store, PROJECT, { now: NOW, days: DAYS, replayLink }));
    let served = 0;
    server = createServer((req, res) => {
      served += 1;
      if (req.url !== "/issues") {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/issues`;
    const { page, errors, requests } = await open(url);
    await page.click('#issues-filters input[name="state"][value="new"]');
    expect(await page.$eval("#issues-shown", (o) => o.textContent)).toBe("5 of 6 issues shown");
    expect(await page.$eval(`#issue-${ids.deadClick} a.replay-link`, (a) => (a as HTMLAnchorElement).href)).toBe(new URL("/reports/r7#example-2-0", url).href);
    // The browser may ask for a favicon on its own (not the page's doing); the page asks for nothing.
    console.log("served requests", requests);
    expect(requests.filter((r) => !r.endsWith("/favicon.ico"))).toEqual([]);
    expect(errors).toEqual([]);
    expect(served).toBe(1);
    await page.close();
  });
});
