import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AIMessage, type ToolMessage } from "@langchain/core/messages";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileChatGraph, streamChatTurn, type ChatGraph, type ChatStreamEvent } from "../../graph/chat/index.ts";
import { WATCH_UNAVAILABLE_ANSWER } from "../../graph/chat/heuristic/watch-rules.ts";
import { makeToolsNode } from "../../graph/chat/nodes/tools.ts";
import { createPipeline, type Pipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import { MonitorDefinitionSchema, type Monitor, type MonitorDefinitionInput, type TrackedIssue } from "../../src/domain/monitor.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { createCheckpointer, type Checkpointer } from "../../src/store/checkpointer.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import type { KyselyWatchStore } from "../../src/watch/store/kysely-store.ts";
import { openWatchStoreAt } from "../../src/watch/store/open.ts";
import { createChatTools, type ChatToolContext } from "../../tools/index.ts";
import { resolveSince, resolveUntil } from "../../tools/watch-dates.ts";
import { memoryLogger } from "../fakes/logger.ts";
import { ScriptedToolChatModel, toolCall } from "../fakes/scripted-tool-model.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PROJECT = "shop";
const OTHER = "other-shop";
/** A Thursday: "since Monday" is 2026-11-30, "this week" starts then too. */
const NOW = new Date("2026-12-03T12:00:00.000Z");
const now = () => NOW;
const config = readConfig({});

let dir: string;
let store: KyselyWatchStore;
let pipeline: Pipeline;
let checkpointer: Checkpointer;
const ids: Record<string, number> = {};
const monitors: Record<string, Monitor> = {};

let created = 0;
/** Monitors are listed oldest first: each one a minute after the previous. */
async function monitor(project: string, definition: MonitorDefinitionInput): Promise<Monitor> {
  created += 1;
  return store.createMonitor(project, MonitorDefinitionSchema.parse(definition), new Date(Date.UTC(2026, 10, 1, 0, created)));
}

async function issue(monitorOf: Monitor, patch: Partial<TrackedIssue> & Pick<TrackedIssue, "title" | "fingerprint">, days: Array<[string, number]> = []): Promise<TrackedIssue> {
  const saved = await store.saveIssue({
    id: 0,
    project: monitorOf.project,
    monitor_id: monitorOf.id,
    kind: "error",
    description: "",
    severity: "high",
    state: "ongoing",
    first_seen: "2026-11-10T09:00:00.000Z",
    last_seen: "2026-11-20T09:00:00.000Z",
    sweeps_unseen: 0,
    sessions_total: days.reduce((sum, [, n]) => sum + n, 0),
    users_total: 1,
    examples: [],
    ...patch,
  });
  for (const [day, sessions] of days) await store.addIssueDay({ issue_id: saved.id, day, sessions, users: sessions });
  return saved;
}

async function answer(m: Monitor, sessionId: string, at: string, value: "yes" | "no" | "unknown" | string[] | number, quote: string, question = m.question!.text): Promise<void> {
  await store.saveAnswer({
    project: m.project,
    monitor_id: m.id,
    session_id: sessionId,
    sweep_id: "sweep-1",
    answered_at: at,
    question,
    answer: { value, evidence: quote ? [{ event_id: `${sessionId}-e1`, quote }] : [], explanation: `because of ${sessionId}` },
  });
}

/**
 * Two projects on one SQLite file. The other project's nine issues come first, so the shop's issues
 * are 10–14 and "issue 12" is the shop's checkout error; the other project has a checkout error too
 * (id 1), which the shop must never see or change.
 */
async function seed(): Promise<void> {
  const foreign = await monitor(OTHER, { name: "Checkout", question: { text: "Did the user pay?", answer: "yes_no" } });
  ids.foreignCheckout = (
    await issue(foreign, { title: "Checkout error on place order", fingerprint: "error | /checkout |  | typeerror", state: "regressed", last_seen: "2026-12-03T08:00:00.000Z" }, [["2026-12-03", 9]])
  ).id;
  for (let n = 2; n <= 9; n++) await issue(foreign, { title: `Other shop problem ${n}`, fingerprint: `other ${n}` });
  await answer(foreign, "foreign-s1", "2026-12-02T10:00:00.000Z", "yes", "paid");

  monitors.checkout = await monitor(PROJECT, { name: "Checkout", question: { text: "Did the user reach the payment step?", answer: "yes_no" } });
  monitors.search = await monitor(PROJECT, { name: "Search", question: { text: "What stopped the purchase?", answer: "tags", tags: ["price", "shipping", "stock"] } });
  monitors.support = await monitor(PROJECT, { name: "Support", question: { text: "How satisfied did the user seem?", answer: "score" } });
  monitors.plain = await monitor(PROJECT, { name: "Errors only" });

  const { checkout, search } = monitors as Record<string, Monitor>;
  ids.slowSearch = (
    await issue(
      search!,
      { title: "Search results load slowly", kind: "slow", fingerprint: "slow | /search |  | ", severity: "medium", first_seen: "2026-11-20T10:00:00.000Z", last_seen: "2026-12-02T15:00:00.000Z" },
      [
        ["2026-11-20", 2],
        ["2026-12-02", 1],
      ],
    )
  ).id;
  ids.coupon = (
    await issue(checkout!, { title: "Coupon field rejects valid codes", fingerprint: "error | /cart | apply coupon | invalid code", state: "resolved", last_seen: "2026-11-18T10:00:00.000Z" }, [
      ["2026-11-10", 2],
    ])
  ).id;
  ids.checkoutError = (
    await issue(
      checkout!,
      {
        title: "Place order fails with TypeError on /checkout",
        description: "Clicking Place order throws a TypeError and the order is not placed",
        fingerprint: "error | /checkout |  | typeerror: cannot read properties of undefined (reading 'total')",
        state: "regressed",
        first_seen: "2026-11-05T10:00:00.000Z",
        last_seen: "2026-12-02T14:00:00.000Z",
      },
      [
        ["2026-11-05", 3],
        ["2026-11-12", 2],
        ["2026-12-01", 2],
        ["2026-12-02", 3],
      ],
    )
  ).id;
  ids.cart500 = (
    await issue(
      checkout!,
      {
        title: "Cart quantity update returns HTTP 500",
        fingerprint: "error | /cart | increase quantity | http 500",
        state: "new",
        first_seen: "2026-12-01T09:00:00.000Z",
        last_seen: "2026-12-02T11:00:00.000Z",
      },
      [
        ["2026-12-01", 1],
        ["2026-12-02", 2],
      ],
    )
  ).id;
  ids.slowCheckout = (
    await issue(checkout!, { title: "Checkout page is slow to load", kind: "slow", fingerprint: "slow | /checkout |  | ", state: "muted", severity: "low", last_seen: "2026-11-25T10:00:00.000Z" }, [
      ["2026-11-25", 1],
    ])
  ).id;

  // This week (since Monday 2026-11-30): 2 yes, 1 no, 1 unknown; one yes before the week; one yes to an older wording.
  await answer(checkout!, "s-yes-1", "2026-12-01T10:00:00.000Z", "yes", "Clicked Pay now on /checkout/payment");
  await answer(checkout!, "s-yes-2", "2026-12-02T10:00:00.000Z", "yes", "Reached the card form");
  await answer(checkout!, "s-no-1", "2026-12-02T11:00:00.000Z", "no", "Left on /cart");
  await answer(checkout!, "s-unknown-1", "2026-12-01T12:00:00.000Z", "unknown", "");
  await answer(checkout!, "s-old-yes", "2026-11-28T10:00:00.000Z", "yes", "paid last week");
  await answer(checkout!, "s-reworded", "2026-12-02T12:00:00.000Z", "yes", "paid", "Did the user pay?");
  await answer(search!, "t-1", "2026-12-01T10:00:00.000Z", ["price"], "Too expensive");
  await answer(search!, "t-2", "2026-12-02T10:00:00.000Z", ["price", "shipping"], "Shipping costs 20 EUR");
  await answer(search!, "t-3", "2026-12-02T11:00:00.000Z", [], "");
  await answer(monitors.support!, "u-1", "2026-12-01T10:00:00.000Z", 2, "This is broken");
  await answer(monitors.support!, "u-2", "2026-12-02T10:00:00.000Z", 4, "Thanks");
  await answer(monitors.support!, "u-3", "2026-12-02T11:00:00.000Z", 5, "Great");
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ss-chat-watch-"));
  store = await openWatchStoreAt({ kind: "sqlite", file: path.join(dir, "watch.sqlite") });
  await seed();
  checkpointer = await createCheckpointer({ kind: "memory" });
  pipeline = await createPipeline({
    config,
    source: new DatasetSource(path.join(ROOT, "examples/dataset")),
    project: PROJECT,
    blobs: new MemoryBlobStore(),
    checkpointer: checkpointer.saver,
    validation: "off",
  });
}, 60_000);
afterAll(async () => {
  await pipeline?.close();
  await checkpointer?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

function context(overrides: Partial<ChatToolContext> = {}): ChatToolContext {
  return { project: PROJECT, runtime: pipeline.runtime, newReportId: () => "report-new", logger: silentLogger(), watch: store, now, ...overrides };
}

/** One tool call through the tools node, as the graph runs it (schema errors become text); the tool message's text. */
async function callTool(name: string, args: Record<string, unknown>, ctx = context()): Promise<string> {
  const node = makeToolsNode(createChatTools(ctx));
  const output = (await node.invoke({ messages: [new AIMessage({ content: "", tool_calls: [{ id: "call-1", name, args }] })] })) as { messages: ToolMessage[] };
  return String(output.messages[0]!.content);
}

describe("the watch tools are offered only with a watch store", () => {
  it("lists them with a store and not without", () => {
    const names = (ctx: ChatToolContext) => createChatTools(ctx).map((t) => t.name);
    expect(names(context())).toEqual(expect.arrayContaining(["list_issues", "find_issue", "update_issue", "question_stats"]));
    const { watch: _watch, ...without } = context();
    expect(names(without)).not.toContain("list_issues");
    expect(names(without)).toHaveLength(6);
  });
});

describe("relative dates are resolved in code against the context's clock", () => {
  it.each([
    ["Monday", "2026-11-30T00:00:00.000Z"],
    ["since last Monday", "2026-11-30T00:00:00.000Z"],
    ["Thursday", "2026-11-26T00:00:00.000Z"],
    ["yesterday", "2026-12-02T00:00:00.000Z"],
    ["today", "2026-12-03T00:00:00.000Z"],
    ["this week", "2026-11-30T00:00:00.000Z"],
    ["7 days", "2026-11-26T12:00:00.000Z"],
    ["the last 2 weeks", "2026-11-19T12:00:00.000Z"],
    ["past week", "2026-11-26T12:00:00.000Z"],
    ["48 hours ago", "2026-12-01T12:00:00.000Z"],
    ["2026-11-15", "2026-11-15T00:00:00.000Z"],
  ])("since %s", (words, iso) => {
    expect(resolveSince(words, NOW).at.toISOString()).toBe(iso);
  });

  it.each([
    ["Monday", "2026-12-07T00:00:00.000Z"],
    ["next Thursday", "2026-12-10T00:00:00.000Z"],
    ["tomorrow", "2026-12-04T00:00:00.000Z"],
    ["3 days", "2026-12-06T12:00:00.000Z"],
    ["for a week", "2026-12-10T12:00:00.000Z"],
  ])("until %s", (words, iso) => {
    expect(resolveUntil(words, NOW).at.toISOString()).toBe(iso);
  });

  it("names what it cannot read, and a start in the future", () => {
    expect(() => resolveSince("the day the music died", NOW)).toThrow(/cannot read "the day the music died" as a date: use an ISO date/);
    expect(() => resolveSince("2027-01-01", NOW)).toThrow(/"since" "2027-01-01" is in the future/);
    expect(() => resolveUntil("whenever", NOW)).toThrow(/cannot read "whenever" as a time to snooze until/);
  });
});

describe("list_issues", () => {
  it("since Monday: new and regressed first, then others seen since, with sessions since then", async () => {
    const text = await callTool("list_issues", { since: "Monday" });
    expect(text.split("\n")[0]).toBe("Since Monday 2026-11-30: 1 new issue, 1 regressed (seen again after being resolved), 1 other seen again; 2 not seen since then.");
    const lines = text.split("\n").filter((l) => /^(NEW|BACK|SEEN) Issue/.test(l));
    expect(lines.map((l) => l.split(" [")[0])).toEqual([`NEW Issue ${ids.cart500}`, `BACK Issue ${ids.checkoutError}`, `SEEN Issue ${ids.slowSearch}`]);
    expect(lines[1]).toBe(
      `BACK Issue ${ids.checkoutError} [regressed] "Place order fails with TypeError on /checkout" | error, high | 5 sessions since then (10 in all) | ` +
        `first seen 2026-11-05 10:00 UTC, last seen 2026-12-02 14:00 UTC | monitor "Checkout"`,
    );
    expect(text).toContain('<untrusted_data name="issues">');
    expect(text).not.toContain("Checkout error on place order");
  });

  it("without since: every issue, new and regressed first; by state and monitor", async () => {
    const all = await callTool("list_issues", {});
    expect(all.split("\n")[0]).toBe("5 tracked issues (1 new, 1 regressed, 1 ongoing, 1 resolved, 1 muted), new and regressed first:");
    const order = [...all.matchAll(/^Issue (\d+) \[/gm)].map((m) => Number(m[1]));
    expect(order).toEqual([ids.cart500, ids.checkoutError, ids.slowSearch, ids.coupon, ids.slowCheckout]);

    const muted = await callTool("list_issues", { states: ["muted", "resolved"], monitor: "checkout" });
    expect(muted.split("\n")[0]).toBe('2 tracked issues of monitor "Checkout" in state muted or resolved (1 resolved, 1 muted), new and regressed first:');
    expect(await callTool("list_issues", { monitor: "Billing" })).toMatch(/^There is no monitor "Billing" in this project; its monitors: "Checkout" \(mon_\w+\), "Search"/);
    expect(await callTool("list_issues", { states: ["snoozed"] })).toBe("No tracked issues in state snoozed in this project.");
  });

  it("bad dates and states are answered, not thrown", async () => {
    expect(await callTool("list_issues", { since: "the day before the launch" })).toMatch(/^Could not list issues: cannot read "the day before the launch" as a date/);
    expect(await callTool("list_issues", { states: ["sleeping"] })).toMatch(/states/);
  });
});

describe("find_issue", () => {
  it('"checkout error" finds the regressed checkout error with its last seen, not the other project\'s', async () => {
    const text = await callTool("find_issue", { text: "checkout error" });
    expect(text.split("\n")[0]).toBe(
      `Best match for "checkout error": issue ${ids.checkoutError} is regressed: it was resolved and has been seen again; last seen 2026-12-02 14:00 UTC (22 hours ago)` +
        ", first seen 2026-11-05 10:00 UTC; 5 sessions in the last 7 days, 10 in all.",
    );
    // The slow checkout page matches one word of two: listed after it.
    expect(text).toContain("Other matches:");
    expect(text).toMatch(new RegExp(`^Issue ${ids.slowCheckout} \\[muted\\]`, "m"));
    expect(text).not.toMatch(new RegExp(`Issue ${ids.foreignCheckout} `));
  });

  it("by id, only in the project; nothing matching is said", async () => {
    expect(await callTool("find_issue", { text: `#${ids.coupon}` })).toMatch(new RegExp(`^issue ${ids.coupon} is resolved: not seen for a while; last seen 2026-11-18 10:00 UTC \\(15 days ago\\)`));
    expect(await callTool("find_issue", { text: String(ids.foreignCheckout) })).toBe(`There is no issue ${ids.foreignCheckout} in this project.`);
    expect(await callTool("find_issue", { text: "newsletter popup" })).toBe('No tracked issue of this project matches "newsletter popup" (5 issues searched by title, description, page and error).');
    expect(await callTool("find_issue", { text: "is it back again?" })).toMatch(/^"is it back again\?" names no problem to look for/);
  });
});

describe("a watch store that cannot be used", () => {
  it("is named in the answer by its error code only: the file path stays in the log", async () => {
    const closed = await openWatchStoreAt({ kind: "sqlite", file: path.join(dir, "closed.sqlite") });
    await closed.close();
    const log = memoryLogger();
    const text = await callTool("list_issues", {}, context({ watch: closed, logger: log.logger }));
    expect(text).toMatch(/the watch store could not be used \(watch_store_closed; the details are in the log\)/);
    expect(text).not.toContain(dir);
    expect(log.text()).toContain("closed.sqlite");
  });
});

describe("update_issue", () => {
  it("mutes, snoozes until a resolved date, resolves and reopens, saving each", async () => {
    const id = ids.cart500!;
    expect(await callTool("update_issue", { issue_id: id, action: "mute" })).toMatch(new RegExp(`^Issue ${id} is now muted \\(it was new\\): it stays tracked and counted, with no more alerts\\.`));
    expect((await store.getIssue(PROJECT, id))!.state).toBe("muted");
    expect(await callTool("update_issue", { issue_id: id, action: "mute" })).toBe(`Issue ${id} is already muted: nothing changed.`);

    expect(await callTool("update_issue", { issue_id: id, action: "snooze", until: "Monday" })).toMatch(new RegExp(`^Issue ${id} is now snoozed until Monday 2026-12-07 \\(it was muted\\)`));
    expect(await store.getIssue(PROJECT, id)).toMatchObject({ state: "snoozed", snoozed_until: "2026-12-07T00:00:00.000Z" });

    expect(await callTool("update_issue", { issue_id: id, action: "resolve" })).toMatch(new RegExp(`^Issue ${id} is now resolved \\(it was snoozed\\)`));
    const resolved = (await store.getIssue(PROJECT, id))!;
    expect(resolved.state).toBe("resolved");
    expect(resolved.snoozed_until).toBeUndefined();
    expect(await callTool("update_issue", { issue_id: id, action: "reopen" })).toMatch(new RegExp(`^Issue ${id} is now ongoing \\(it was resolved\\)`));
    expect((await store.getIssue(PROJECT, id))!.state).toBe("ongoing");
  });

  it("explains what is wrong and changes nothing", async () => {
    const id = ids.slowSearch!;
    const before = await store.getIssue(PROJECT, id);
    expect(await callTool("update_issue", { issue_id: id, action: "snooze" })).toBe(`Snoozing issue ${id} needs "until": a date, or words like "Monday", "tomorrow", "3 days". Nothing changed.`);
    expect(await callTool("update_issue", { issue_id: id, action: "snooze", until: "2026-12-01" })).toBe(
      `Could not snooze issue ${id}: "until" (2026-12-01T00:00:00.000Z) must be in the future to snooze issue ${id}. Nothing changed.`,
    );
    expect(await callTool("update_issue", { issue_id: id, action: "snooze", until: "someday" })).toMatch(/^Could not snooze issue \d+: cannot read "someday" as a time to snooze until/);
    expect(await callTool("update_issue", { issue_id: id, action: "mute", until: "Monday" })).toBe(`"until" applies only to snooze; to mute issue ${id}, leave it out. Nothing changed.`);
    expect(await callTool("update_issue", { issue_id: id, action: "delete" })).toMatch(/action/);
    expect(await store.getIssue(PROJECT, id)).toEqual(before);
  });

  it("another project's issue id is not found and never changed", async () => {
    const before = await store.getIssue(OTHER, ids.foreignCheckout!);
    for (const action of ["mute", "resolve", "reopen"]) {
      expect(await callTool("update_issue", { issue_id: ids.foreignCheckout, action })).toBe(`There is no issue ${ids.foreignCheckout} in this project: nothing changed.`);
    }
    expect(await callTool("update_issue", { issue_id: 999_999, action: "mute" })).toBe("There is no issue 999999 in this project: nothing changed.");
    expect(await store.getIssue(OTHER, ids.foreignCheckout!)).toEqual(before);
  });

  it("a store failure is logged and answered without its details", async () => {
    const logged = memoryLogger();
    const broken = Object.create(store) as KyselyWatchStore;
    broken.updateIssueState = async () => {
      throw new Error("SQLITE_IOERR /secret/path/watch.sqlite");
    };
    const text = await callTool("update_issue", { issue_id: ids.slowSearch, action: "mute" }, context({ watch: broken, logger: logged.logger }));
    expect(text).toBe(`Could not mute issue ${ids.slowSearch}: an unexpected error (the details are in the log). Nothing changed.`);
    expect(logged.entries.map((e) => [e.msg, e.tool])).toEqual([["chat tool failed", "update_issue"]]);
  });
});

describe("question_stats", () => {
  it("this week: yes rate with examples, tag counts, mean score; other wordings and weeks left out", async () => {
    const text = await callTool("question_stats", { since: "this week" });
    const [yesNo, tags, score, ...rest] = text.split("\n\n");
    expect(rest).toEqual([]);
    expect(yesNo).toContain("question: Did the user reach the payment step?");
    expect(yesNo).toContain(
      "4 sessions answered since Monday 2026-11-30 (this week) (left out: 1 answer to an earlier wording of the question): 2 yes, 1 no, 1 unknown; yes rate 67% (2 of the 3 that said yes or no).",
    );
    expect(yesNo).toContain('session s-yes-2 (yes): "Reached the card form"\nsession s-yes-1 (yes): "Clicked Pay now on /checkout/payment"');
    expect(yesNo).not.toContain("s-old-yes");
    expect(tags).toContain(': "price" 2, "shipping" 1, "stock" 0; 1 with no tag.');
    expect(tags).toContain('Examples (sessions tagged "price")');
    expect(score).toContain("mean score 3.7 of 5 over 3 scored sessions (1: 0, 2: 1, 3: 0, 4: 1, 5: 1).");
    expect(score).toMatch(/Examples \(lowest scores first\):\n.*\nsession u-1 \(2\): "This is broken"/);
  });

  it("one monitor by name; a monitor without a question; the default week", async () => {
    const one = await callTool("question_stats", { monitor: "search" });
    expect(one).toContain("3 sessions answered since 2026-11-26 12:00 UTC (the last 7 days):");
    expect(one).not.toContain("payment step");
    expect(await callTool("question_stats", { monitor: "Errors only" })).toBe('Monitor "Errors only" asks no question of its sessions.');
    expect(await callTool("question_stats", { monitor: "Billing" })).toMatch(/^There is no monitor "Billing" in this project/);
  });

  it("a project without questions says so; another project's answers are not counted", async () => {
    const text = await callTool("question_stats", {}, context({ project: "empty-project" }));
    expect(text).toMatch(/^No monitor of this project asks a question/);
    const foreign = await callTool("question_stats", { since: "this week" }, context({ project: OTHER }));
    expect(foreign).toContain("1 session answered since Monday 2026-11-30 (this week)");
    expect(foreign).toContain("foreign-s1");
    expect(await callTool("question_stats", { since: "this week" })).not.toContain("foreign-s1");
  });
});

/** A chat graph for the shop with the watch store, on the fixed clock. */
function chatGraph(models?: Parameters<typeof compileChatGraph>[0]["models"]): ChatGraph {
  return compileChatGraph({ runtime: pipeline.runtime, config, checkpointer: checkpointer.saver, watch: store, now, ...(models ? { models } : {}) });
}

async function ask(graph: ChatGraph, thread: string, message: string) {
  const events: ChatStreamEvent[] = [];
  for await (const event of streamChatTurn(graph, { threadId: thread, message })) events.push(event);
  const final = events.at(-1)!;
  expect(final).toMatchObject({ type: "final" });
  const calls = events.filter((e): e is Extract<ChatStreamEvent, { type: "tool_call" }> => e.type === "tool_call").map(({ name, args }) => ({ name, args }));
  return { answer: (final as { message: string }).message, calls };
}

describe("the offline chat answers the four watch requests with the tools", () => {
  it("what's new, is it back, mute it, how many said yes", async () => {
    const graph = chatGraph();
    const thread = "watch-offline";
    // The muting test above changed the cart issue: start from its seeded state.
    await store.saveIssue({ ...(await store.getIssue(PROJECT, ids.cart500!))!, state: "new" });

    const news = await ask(graph, thread, "What's new since Monday?");
    expect(news.calls).toEqual([{ name: "list_issues", args: { since: "Monday" } }]);
    expect(news.answer).toMatch(/^Since Monday 2026-11-30: 1 new issue, 1 regressed/);
    expect(news.answer).toContain(`NEW Issue ${ids.cart500} [new] "Cart quantity update returns HTTP 500"`);
    expect(news.answer).not.toContain("untrusted_data");
    expect(news.answer).toMatch(/Say "mute issue <id>"/);

    const back = await ask(graph, thread, "is the checkout error back?");
    expect(back.calls).toEqual([{ name: "find_issue", args: { text: "checkout error" } }]);
    expect(back.answer).toMatch(new RegExp(`^Best match for "checkout error": issue ${ids.checkoutError} is regressed: it was resolved and has been seen again; last seen 2026-12-02 14:00 UTC`));

    const mute = await ask(graph, thread, `mute issue ${ids.checkoutError}`);
    expect(mute.calls).toEqual([{ name: "update_issue", args: { issue_id: ids.checkoutError, action: "mute" } }]);
    expect(mute.answer).toMatch(new RegExp(`^Issue ${ids.checkoutError} is now muted \\(it was regressed\\)`));
    expect((await store.getIssue(PROJECT, ids.checkoutError!))!.state).toBe("muted");

    // "it" is the issue the conversation found last.
    const reopen = await ask(graph, thread, "reopen it");
    expect(reopen.calls).toEqual([{ name: "update_issue", args: { issue_id: ids.checkoutError, action: "reopen" } }]);
    expect((await store.getIssue(PROJECT, ids.checkoutError!))!.state).toBe("ongoing");

    const yes = await ask(graph, thread, "How many sessions said yes to my question this week?");
    expect(yes.calls).toEqual([{ name: "question_stats", args: { since: "this week" } }]);
    expect(yes.answer).toContain("2 yes, 1 no, 1 unknown; yes rate 67% (2 of the 3 that said yes or no).");
    expect(yes.answer).toContain("session s-yes-1 (yes)");

    const snooze = await ask(graph, thread, `snooze issue ${ids.slowSearch} until Monday`);
    expect(snooze.calls).toEqual([{ name: "update_issue", args: { issue_id: ids.slowSearch, action: "snooze", until: "Monday" } }]);
    expect(snooze.answer).toMatch(new RegExp(`^Issue ${ids.slowSearch} is now snoozed until Monday 2026-12-07`));

    // The other project's issue is not this chat's to change.
    const foreign = await ask(graph, thread, `mute issue ${ids.foreignCheckout}`);
    expect(foreign.answer).toBe(`There is no issue ${ids.foreignCheckout} in this project: nothing changed.`);
    expect((await store.getIssue(OTHER, ids.foreignCheckout!))!.state).toBe("regressed");
  }, 60_000);

  it("without a watch store the same requests say so instead of guessing", async () => {
    const graph = compileChatGraph({ runtime: pipeline.runtime, config, checkpointer: checkpointer.saver, now });
    for (const message of ["what's new since Monday?", "is the checkout error back?", "mute issue 12", "how many sessions said yes to my question this week?"]) {
      const turn = await ask(graph, "watch-none", message);
      expect(turn.calls).toEqual([]);
      expect(turn.answer).toBe(WATCH_UNAVAILABLE_ANSWER);
    }
  }, 60_000);
});

describe("a tool-calling model mutes an issue through the graph", () => {
  it("update_issue called by the model mutes issue 12 of the project", async () => {
    expect(ids.checkoutError).toBe(12);
    await store.saveIssue({ ...(await store.getIssue(PROJECT, 12))!, state: "regressed" });
    const model = new ScriptedToolChatModel({
      role: "chat",
      script: (call) => {
        const last = call.messages.at(-1)!;
        if (last.getType() === "tool") return `Done: ${String(last.content).split("\n")[0]}`;
        return toolCall("update_issue", { issue_id: 12, action: "mute" });
      },
    });
    const graph = chatGraph({ factory: ({ role }) => (role === "chat" ? model : undefined) });
    const turn = await ask(graph, "watch-scripted", "mute issue 12");
    expect(model.boundTools).toEqual(expect.arrayContaining(["list_issues", "find_issue", "update_issue", "question_stats"]));
    expect(turn.calls).toEqual([{ name: "update_issue", args: { issue_id: 12, action: "mute" } }]);
    expect(turn.answer).toBe("Done: Issue 12 is now muted (it was regressed): it stays tracked and counted, with no more alerts.");
    expect((await store.getIssue(PROJECT, 12))!.state).toBe("muted");
    // The model was told about the watch tools and today's date from the chat's clock.
    expect(model.calls[0]!.system).toContain("list_issues: tracked issues");
    expect(model.calls[0]!.system).toContain("Today: 2026-12-03.");
  }, 60_000);
});
