import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readConfig, type TicketsConfig } from "../../src/config/env.ts";
import { ConfigError } from "../../src/domain/errors.ts";
import { MonitorDefinitionSchema, type TrackedIssue } from "../../src/domain/monitor.ts";
import type { Report } from "../../src/domain/report.ts";
import { detailsFromPattern, formatTicket } from "../../src/tickets/format.ts";
import { tellRegressions, ticketForIssue, type TicketOptions } from "../../src/tickets/service.ts";
import { TicketError } from "../../src/tickets/trackers.ts";
import { SIGNATURE_HEADER, verifySignature } from "../../src/watch/alerts/deliver.ts";
import { openWatchStoreAt } from "../../src/watch/store/open.ts";
import type { KyselyWatchStore } from "../../src/watch/store/kysely-store.ts";
import { fakeTracker, type FakeTracker } from "../fakes/trackers.ts";
import { runIssuesTicket } from "../../src/cli/issues.ts";
import { makeCreateTicketTool } from "../../tools/watch-issues.ts";
import type { ChatToolContext } from "../../tools/context.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { loadIssuesPageData, renderIssuesPage } from "../../src/watch/page/index.ts";

/**
 * Issues → tickets against local fakes of the GitHub REST and Linear GraphQL APIs and a webhook
 * receiver, on a real SQLite watch store: the documented request shapes, one ticket per issue
 * (asked twice, asked at once), a regression told once, credentials never in errors.
 */

const GITHUB_TOKEN = "ghp_FAKEtoken0123456789abcdefABCDEF0123";
const LINEAR_KEY = "lin_api_FAKEkey0123456789abcdef";
const WEBHOOK_SECRET = "hook-secret-12345";
const NOW = new Date("2026-11-20T12:00:00.000Z");

let dir: string;
let store: KyselyWatchStore;
let monitorId: string;
const fakes: FakeTracker[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ss-tickets-"));
  store = await openWatchStoreAt({ kind: "sqlite", file: path.join(dir, "watch.sqlite") });
  monitorId = (await store.createMonitor("acme", MonitorDefinitionSchema.parse({ name: "Checkout" }), NOW)).id;
  await store.startSweep({
    id: "sweep-1",
    monitor_id: monitorId,
    project: "acme",
    started_at: "2026-11-18T08:00:00.000Z",
    status: "done",
    sessions: 40,
    model_calls: 0,
    input_tokens: 0,
    output_tokens: 0,
    cost_usd: 0,
  });
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

let fingerprints = 0;
async function seedIssue(patch: Partial<TrackedIssue> = {}): Promise<TrackedIssue> {
  fingerprints += 1;
  return store.saveIssue({
    id: 0,
    project: "acme",
    monitor_id: monitorId,
    fingerprint: `error|/checkout|pay|${fingerprints}`,
    kind: "error",
    title: "Payment fails with a 500",
    description: "Users pressing Pay see an error; one wrote to jane.doe@example.com about it. cc @octocat",
    severity: "high",
    state: "new",
    first_seen: "2026-11-18T09:00:00.000Z",
    last_seen: "2026-11-20T10:00:00.000Z",
    sweeps_unseen: 0,
    sessions_total: 6,
    users_total: 5,
    examples: [
      {
        session_id: "s-1",
        report_id: "report-1",
        pattern_id: 2,
        example_index: 0,
        timestamp: "2026-11-19T10:00:00.000Z",
        description: "Clicked Pay, saw an error",
        verdict: "confirmed",
        url: "https://shop.example/checkout?token=abc",
      },
      { session_id: "s-2", report_id: "report-1", pattern_id: 2, example_index: 1, timestamp: "2026-11-19T11:00:00.000Z", description: "Pay did nothing" },
    ],
    ...patch,
  });
}

async function tracker(kind: "github" | "linear" | "webhook", options: { closedAfterCreate?: boolean } = {}): Promise<FakeTracker> {
  const fake = await fakeTracker(kind, options);
  fakes.push(fake);
  return fake;
}

function configFor(fake: FakeTracker, kind: "github" | "linear" | "webhook"): TicketsConfig {
  if (kind === "github") return { github: { token: GITHUB_TOKEN, repo: "acme/shop", apiUrl: fake.url }, publicUrl: "https://insights.acme.test" };
  if (kind === "linear") return { linear: { apiKey: LINEAR_KEY, teamId: "team-42", apiUrl: fake.url } };
  return { webhook: { url: fake.url, secret: WEBHOOK_SECRET } };
}

/** The example's report as the sweep stored it: the replay check's evidence and the key events around it. */
const report = {
  id: "report-1",
  patterns: [
    {
      id: 2,
      examples: [
        {
          session_id: "s-1",
          target: { timestamp: "2026-11-19T10:00:00.000Z", description: "Clicked Pay, saw an error" },
          before: [{ timestamp: "2026-11-19T09:59:40.000Z", description: "Filled in the card of jane.doe@example.com" }],
          after: [{ timestamp: "2026-11-19T10:00:09.000Z", description: "Left the checkout" }],
          validation: {
            verdict: "confirmed",
            method: "dom",
            observed: "A red banner says Payment failed",
            evidence: ['00:03 banner "Payment failed (500)"', "00:05 Pay clicked again, nothing changed"],
          },
        },
      ],
    },
  ],
} as unknown as Report;

function options(config: TicketsConfig, patch: Partial<TicketOptions> = {}): TicketOptions {
  return { store, config, now: () => NOW, reportOf: async (_project, id) => (id === "report-1" ? report : undefined), pollMs: 10, ...patch };
}

describe("ticket body", () => {
  it("says what happens, who is affected, the evidence and key events, redacted and without mentions", async () => {
    const issue = await seedIssue();
    const details = issue.examples.map((example, n) =>
      detailsFromPattern(example, n === 0 ? (report.patterns[0]!.examples[0] as never) : undefined, n === 0 ? "https://x.test/reports/report-1#example-2-0" : undefined),
    );
    const { title, body } = formatTicket({ issue, monitorName: "Checkout", sessionsWatched: 40, issueUrl: "https://x.test/issues", examples: details });
    console.log(body);
    expect(title).toBe("Payment fails with a 500");
    for (const part of [
      "## What happens",
      "## Who is affected",
      "**Sessions:** 6 (15% of 40 sessions watched)",
      "**Users:** 5",
      "**First seen:** 2026-11-18 09:00 UTC",
      "**Last seen:** 2026-11-20 10:00 UTC",
    ])
      expect(body).toContain(part);
    expect(body).toContain("(confirmed on the replay)");
    expect(body).toContain('> 00:03 banner "Payment failed (500)"');
    expect(body).toContain("Replay check (dom): A red banner says Payment failed");
    expect(body).toContain("- 09:59:40 Filled in the card of");
    expect(body).toContain("**Clicked Pay, saw an error**");
    expect(body).toContain("Replay and clip: https://x.test/reports/report-1#example-2-0");
    // The second example has no report at hand: its session and report ids stand in for the link.
    expect(body).toContain("Replay: session `s-2` in report `report-1`");
    expect(body).toContain("(not checked on the replay)");
    expect(body).not.toContain("jane.doe@example.com");
    expect(body).not.toContain("token=abc");
    expect(body).not.toMatch(/@octocat/);
  });
});

describe("GitHub", () => {
  it("creates one issue per issue with the documented request, asked twice or at once; the link is kept on the issue", async () => {
    const github = await tracker("github");
    github.delayMs = 150;
    const config = configFor(github, "github");
    const first = await seedIssue();
    const [a, b] = await Promise.all([ticketForIssue(options(config), first), ticketForIssue(options(config), first)]);
    const again = await ticketForIssue(options(config), first);
    const racing = await seedIssue();
    const many = await Promise.all(Array.from({ length: 5 }, () => ticketForIssue(options(config), racing)));

    const creates = github.requests.filter((request) => request.method === "POST" && request.path === "/repos/acme/shop/issues");
    expect(creates).toHaveLength(2);
    expect(github.requests).toHaveLength(2);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(again).toEqual({ link: a.link, created: false });
    expect(a.link).toEqual(b.link);
    expect(many.filter((outcome) => outcome.created)).toHaveLength(1);
    expect(new Set(many.map((outcome) => outcome.link.url)).size).toBe(1);

    const [request] = creates;
    expect(request!.headers.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
    expect(request!.headers.accept).toBe("application/vnd.github+json");
    expect(request!.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(Object.keys(request!.body!).sort()).toEqual(["body", "title"]);
    expect(request!.body!.title).toBe("Payment fails with a 500");
    expect(String(request!.body!.body)).toContain("## Who is affected");
    expect(String(request!.body!.body)).toContain(`Replay and clip: https://insights.acme.test/reports/report-1#example-2-0`);
    expect(String(request!.body!.body)).toContain(`Issue page: https://insights.acme.test/issues?monitor_id=${monitorId}`);

    const stored = await store.getTicket("acme", first.id);
    expect(stored).toMatchObject({
      tracker: "github",
      status: "created",
      external_id: String(a.link.external_id),
      key: `#${a.link.external_id}`,
      url: `https://github.com/acme/shop/issues/${a.link.external_id}`,
    });
    // Another project asking for the same issue id gets nothing of it.
    expect(await store.getTicket("other", first.id)).toBeUndefined();
  });

  it("comments and re-opens once per regression", async () => {
    const github = await tracker("github", { closedAfterCreate: true });
    const config = configFor(github, "github");
    const issue = await seedIssue();
    const { link } = await ticketForIssue(options(config), issue);
    await store.saveIssue({ ...issue, state: "regressed", last_seen: "2026-11-25T10:00:00.000Z", sessions_total: 9 });
    await store.markTicketRegression(issue.id, "sweep-9");
    const told = await tellRegressions(options(config), "acme");
    expect(told.told.map((t) => t.issue_id)).toEqual([issue.id]);
    await store.markTicketRegression(issue.id, "sweep-9");
    expect((await tellRegressions(options(config), "acme")).told).toEqual([]);

    const after = github.requests.slice(1).map((request) => [request.method, request.path]);
    const path = `/repos/acme/shop/issues/${link.external_id}`;
    expect(after).toEqual([
      ["POST", `${path}/comments`],
      ["GET", path],
      ["PATCH", path],
    ]);
    const [comment, , reopen] = github.requests.slice(1);
    expect(comment!.headers.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
    expect(String(comment!.body!.body)).toContain("**Regressed:**");
    expect(String(comment!.body!.body)).toContain("9 sessions");
    expect(reopen!.body).toEqual({ state: "open" });
    expect(await store.getTicket("acme", issue.id)).toMatchObject({ regressions_noted: 1, last_regression: "sweep-9" });
  });

  it("a refusal is an error without the token, and leaves no claim behind: the next request creates it", async () => {
    const github = await tracker("github");
    github.failNext(401, JSON.stringify({ message: `Bad credentials: Bearer ${GITHUB_TOKEN}` }));
    const issue = await seedIssue();
    const error = await ticketForIssue(options(configFor(github, "github")), issue).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TicketError);
    expect((error as TicketError).code).toBe("tracker_refused_credentials");
    expect((error as TicketError).message).toContain("HTTP 401");
    expect((error as TicketError).message).not.toContain(GITHUB_TOKEN);
    expect(await store.getTicket("acme", issue.id)).toBeUndefined();
    expect((await ticketForIssue(options(configFor(github, "github")), issue)).created).toBe(true);
  });

  it("an unreachable tracker names it without the token", async () => {
    const issue = await seedIssue();
    const error = (await ticketForIssue(options({ github: { token: GITHUB_TOKEN, repo: "acme/shop", apiUrl: "http://127.0.0.1:9" } }), issue).catch((caught: unknown) => caught)) as TicketError;
    expect(error.code).toBe("tracker_unreachable");
    expect(error.message).toContain("GitHub acme/shop");
    expect(error.message).not.toContain(GITHUB_TOKEN);
  });
});

describe("Linear", () => {
  it("creates one issue with issueCreate and comments with commentCreate on regression", async () => {
    const linear = await tracker("linear");
    const config = configFor(linear, "linear");
    const issue = await seedIssue();
    const first = await ticketForIssue(options(config), issue);
    expect((await ticketForIssue(options(config), issue)).created).toBe(false);
    expect(first.link).toMatchObject({ tracker: "linear", external_id: "lin-uuid-1", key: "ENG-1", url: "https://linear.app/acme/issue/ENG-1" });
    await store.markTicketRegression(issue.id, "sweep-3");
    await tellRegressions(options(config), "acme");

    expect(linear.requests).toHaveLength(2);
    const [create, comment] = linear.requests;
    for (const request of [create!, comment!]) {
      expect(request.method).toBe("POST");
      expect(request.path).toBe("/graphql");
      expect(request.headers.authorization).toBe(LINEAR_KEY);
      expect(request.headers["content-type"]).toBe("application/json");
    }
    expect(String(create!.body!.query)).toMatch(/issueCreate\(input: \$input\)/);
    const input = (create!.body!.variables as { input: Record<string, unknown> }).input;
    expect(Object.keys(input).sort()).toEqual(["description", "teamId", "title"]);
    expect(input.teamId).toBe("team-42");
    expect(String(input.description)).toContain("## Evidence");
    expect(String(comment!.body!.query)).toMatch(/commentCreate\(input: \$input\)/);
    expect((comment!.body!.variables as { input: Record<string, unknown> }).input).toEqual({ issueId: "lin-uuid-1", body: expect.stringContaining("**Regressed:**") });
  });

  it("a GraphQL error is a TicketError without the key", async () => {
    const linear = await tracker("linear");
    linear.failNext(200, JSON.stringify({ errors: [{ message: `Authentication failed for ${LINEAR_KEY}` }] }));
    const error = (await ticketForIssue(options(configFor(linear, "linear")), await seedIssue()).catch((caught: unknown) => caught)) as TicketError;
    expect(error).toBeInstanceOf(TicketError);
    expect(error.message).not.toContain(LINEAR_KEY);
  });
});

describe("webhook", () => {
  it("posts the ticket signed like the alert webhooks, once per issue", async () => {
    const hook = await tracker("webhook");
    const config = configFor(hook, "webhook");
    const issue = await seedIssue();
    await Promise.all([ticketForIssue(options(config), issue), ticketForIssue(options(config), issue)]);
    expect(hook.requests).toHaveLength(1);
    const [request] = hook.requests;
    expect(verifySignature(WEBHOOK_SECRET, request!.raw, request!.headers[SIGNATURE_HEADER.toLowerCase()] as string)).toBe(true);
    expect(verifySignature("another-secret", request!.raw, request!.headers[SIGNATURE_HEADER.toLowerCase()] as string)).toBe(false);
    expect(request!.headers["x-session-summaries-ticket"]).toBe(`acme/issue-${issue.id}`);
    expect(request!.body).toMatchObject({ event: "ticket.created", project: "acme", issue_id: issue.id, title: "Payment fails with a 500" });
    expect(await store.getTicket("acme", issue.id)).toMatchObject({ tracker: "webhook", external_id: "hook-1" });
  });
});

describe("choosing a tracker", () => {
  it("refuses a tracker that is not set up, naming its settings; without --to takes the first set up", async () => {
    const issue = await seedIssue();
    const none = (await ticketForIssue(options({}), issue).catch((caught: unknown) => caught)) as TicketError;
    expect(none.code).toBe("no_tracker");
    expect(none.message).toContain("SESSION_SUMMARIES_GITHUB_TOKEN");
    const linear = (await ticketForIssue(options({ webhook: { url: "http://127.0.0.1:9/x" } }), issue, "linear").catch((caught: unknown) => caught)) as TicketError;
    expect(linear.code).toBe("tracker_not_configured");
    expect(await store.getTicket("acme", issue.id)).toBeUndefined();
  });

  it("reads the trackers from the environment; a token without its repo is an error", () => {
    const config = readConfig({
      SESSION_SUMMARIES_GITHUB_TOKEN: GITHUB_TOKEN,
      SESSION_SUMMARIES_GITHUB_REPO: "acme/shop",
      SESSION_SUMMARIES_LINEAR_API_KEY: LINEAR_KEY,
      SESSION_SUMMARIES_LINEAR_TEAM: "team-42",
      SESSION_SUMMARIES_TICKET_WEBHOOK_URL: "https://hooks.example/t",
    });
    expect(config.tickets).toEqual({
      github: { token: GITHUB_TOKEN, repo: "acme/shop", apiUrl: "https://api.github.com" },
      linear: { apiKey: LINEAR_KEY, teamId: "team-42", apiUrl: "https://api.linear.app/graphql" },
      webhook: { url: "https://hooks.example/t" },
    });
    expect(readConfig({}).tickets).toBeUndefined();
    expect(() => readConfig({ SESSION_SUMMARIES_GITHUB_TOKEN: GITHUB_TOKEN })).toThrow(ConfigError);
    expect(() => readConfig({ SESSION_SUMMARIES_GITHUB_TOKEN: GITHUB_TOKEN })).not.toThrow(GITHUB_TOKEN);
  });
});

describe("surfaces", () => {
  it("issues ticket <id> --to github: created once, then the same link; the terminal's project only", async () => {
    const github = await tracker("github");
    const config = readConfig({
      SESSION_SUMMARIES_DATA_DIR: dir,
      SESSION_SUMMARIES_GITHUB_TOKEN: GITHUB_TOKEN,
      SESSION_SUMMARIES_GITHUB_REPO: "acme/shop",
      SESSION_SUMMARIES_GITHUB_API_URL: github.url,
    });
    const local = await store.createMonitor("local", MonitorDefinitionSchema.parse({ name: "Local" }), NOW);
    const issue = await store.saveIssue({ ...(await seedIssue()), id: 0, project: "local", monitor_id: local.id });
    const lines: string[] = [];
    const io = { out: (line: string) => void lines.push(line), err: (line: string) => void lines.push(line) };
    expect(await runIssuesTicket(String(issue.id), { to: "github" }, { config, io })).toBe(0);
    expect(await runIssuesTicket(String(issue.id), {}, { config, io })).toBe(0);
    expect(lines[0]).toMatch(new RegExp(`^Created ticket github #\\d+ for issue ${issue.id} .*: https://github.com/acme/shop/issues/\\d+$`));
    expect(lines[1]).toMatch(/^Already has ticket github #\d+/);
    expect(github.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    // An issue of another project is not found from the terminal.
    const foreign = await seedIssue();
    await expect(runIssuesTicket(String(foreign.id), {}, { config, io })).rejects.toThrow(/no issue/);
    await expect(runIssuesTicket(String(issue.id), { to: "jira" }, { config, io })).rejects.toThrow(/github, linear, webhook/);
    expect(lines.join("\n")).not.toContain(GITHUB_TOKEN);
  });

  it("the chat's create_ticket makes the ticket once and says so; without a tracker it says how to set one up", async () => {
    const github = await tracker("github");
    const issue = await seedIssue();
    const context = {
      project: "acme",
      runtime: { blobs: { getJson: async () => undefined } },
      logger: silentLogger(),
      newReportId: () => "r",
      tickets: { config: configFor(github, "github") },
    } as unknown as ChatToolContext;
    const toolOf = (c: ChatToolContext) => makeCreateTicketTool(c, store);
    const first = String(await toolOf(context).invoke({ issue_id: issue.id }));
    const second = String(await toolOf(context).invoke({ issue_id: issue.id, to: "github" }));
    expect(first).toMatch(/^Created ticket github #\d+ for issue/);
    expect(second).toMatch(/already has ticket github #\d+/);
    expect(github.requests).toHaveLength(1);
    expect(String(await toolOf(context).invoke({ issue_id: 999_999 }))).toContain("no issue 999999");
    const unset = String(await toolOf({ ...context, tickets: undefined } as ChatToolContext).invoke({ issue_id: (await seedIssue()).id }));
    expect(unset).toContain("no tracker is set up");
  });

  it("the issues page links an issue's ticket once it is made", async () => {
    const github = await tracker("github");
    const issue = await seedIssue();
    expect((await loadIssuesPageData(store, "acme", { now: NOW })).issues.find((i) => i.id === issue.id)!.ticket).toBeUndefined();
    const { link } = await ticketForIssue(options(configFor(github, "github")), issue);
    const data = await loadIssuesPageData(store, "acme", { now: NOW });
    expect(data.issues.find((i) => i.id === issue.id)!.ticket).toEqual({ tracker: "github", key: link.key, href: link.url });
    expect(renderIssuesPage(data)).toContain(`<a class="ticket" href="${link.url}" rel="noopener noreferrer">github ${link.key}</a>`);
  });
});
