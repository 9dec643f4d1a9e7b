import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { factsOf, HeuristicChatModel } from "../../graph/chat/heuristic/model.ts";
import {
  composeAnswer,
  NEEDS_MODEL_ANSWER,
  needsReportAnswer,
  pageOf,
  parseSessionFilters,
  planRequest,
  unsupportedQualifier,
  unsupportedQualifierAnswer,
  unsupportedPatternQualifierAnswer,
  type ConversationFacts,
} from "../../graph/chat/heuristic/rules.ts";
import { formatChatSystem } from "../../prompts/chat.ts";

const NOW = new Date("2026-11-22T12:00:00Z");
const fresh: ConversationFacts = { hasReport: false, now: NOW };
const withReport: ConversationFacts = { hasReport: true, now: NOW };
const call = (text: string, facts = withReport) => {
  const plan = planRequest(text, facts);
  return plan.kind === "tool" ? plan.call : { name: "answer", args: { text: plan.text } };
};

describe("offline chat rules: requests → tool calls", () => {
  it.each([
    ["summarize all sessions", {}],
    ["Summarize sessions with errors on checkout", { has_exception: true, visited_url_contains: "checkout" }],
    ["summarize the last 20 sessions", { limit: 20 }],
    ["summarize the last ten sessions with errors", { limit: 10, has_exception: true }],
    ["summarize 5 sessions on the cart page", { limit: 5, visited_url_contains: "cart" }],
    ["what's going wrong on /product/ this week?", { visited_url_contains: "/product/", from: "2026-11-15T12:00:00.000Z" }],
    ["analyse sessions without errors from the last 3 days", { has_exception: false, from: "2026-11-19T12:00:00.000Z" }],
    ["summarize yesterday's sessions", { from: "2026-11-21T00:00:00.000Z", to: "2026-11-22T00:00:00.000Z" }],
    ["summarize sessions with errors, focusing on the payment step", { has_exception: true, focus_area: "the payment step" }],
  ])("%s", (text, args) => {
    expect(call(text, fresh)).toEqual({ name: "summarize_sessions", args });
  });

  it.each([
    ["which pattern affects most sessions?", { rank: "most_sessions" }],
    ["What is the most common issue?", { rank: "most_sessions" }],
    ["what's the biggest problem", { rank: "most_sessions" }],
    ["which issue happens most often?", { rank: "most_occurrences" }],
    ["which problem is the most severe?", { rank: "most_severe" }],
    ["show pattern 2", { pattern_id: 2 }],
    ["tell me more about issue #3", { pattern_id: 3 }],
    ["show me an example of pattern 4", { pattern_id: 4, example: 1 }],
    ["show examples of pattern 4", { pattern_id: 4, examples: 3 }],
    ["which pattern affects most sessions on checkout?", { rank: "most_sessions", page: "checkout" }],
    ["what is the most severe error?", { rank: "most_severe", kind: "error" }],
  ])("%s", (text, args) => {
    expect(call(text)).toEqual({ name: "get_pattern", args });
  });

  it("an example is ONE example: of the pattern last looked at (else the most common one); another is the next one", () => {
    expect(call("show an example", { ...withReport, lastPatternId: 2 })).toEqual({ name: "get_pattern", args: { pattern_id: 2, example: 1 } });
    expect(call("show an example")).toEqual({ name: "get_pattern", args: { rank: "most_sessions", example: 1 } });
    expect(call("show another example", { ...withReport, lastPatternId: 2, lastExample: 1 })).toEqual({ name: "get_pattern", args: { pattern_id: 2, example: 2 } });
    expect(call("show example 3 of pattern 5")).toEqual({ name: "get_pattern", args: { pattern_id: 5, example: 3 } });
  });

  it.each([
    ["what are the top problems on checkout?", { page: "checkout" }],
    ["what are the main issues on the cart page?", { page: "cart" }],
    ["list the patterns", {}],
    ["which errors did users hit?", { kind: "error" }],
    ["show the slow pages", { kind: "slow" }],
    ["what confused users on checkout?", { kind: "confusion", page: "checkout" }],
  ])("%s → the report's patterns, filtered by page and kind", (text, args) => {
    expect(call(text)).toEqual({ name: "list_patterns", args });
  });

  it("a question about patterns with a qualifier they cannot be filtered on says it needs a model, instead of answering about everyone", () => {
    for (const [text, qualifier] of [
      ["which pattern affects most sessions on mobile?", "mobile"],
      ["what are the top problems in Safari?", "Safari"],
      ["which errors happen on android?", "android"],
      ["what is the biggest problem by country?", "country"],
      ["what are the top problems this week?", "this week"],
      ["which errors did users hit yesterday?", "yesterday"],
      ["what are the top problems for new users?", "new users"],
      ["which pattern affects most sessions among paying customers?", "paying customers"],
    ] as const) {
      expect(call(text)).toEqual({ name: "answer", args: { text: unsupportedPatternQualifierAnswer(qualifier) } });
    }
    expect(unsupportedPatternQualifierAnswer("mobile")).toMatch(/needs a model: set SESSION_SUMMARIES_CHAT/);
    // "most users" ranks patterns; it is not a group of users.
    expect(call("which pattern affects the most users?")).toEqual({ name: "get_pattern", args: { rank: "most_sessions" } });
  });

  it("sessions with X: a search of the summaries once there is a report, a listing before", () => {
    expect(call("sessions mentioning coupon")).toEqual({ name: "search_summaries", args: { query: "coupon" } });
    expect(call("how many sessions hit the coupon problem?")).toEqual({ name: "search_summaries", args: { query: "coupon" } });
    expect(call("which sessions had a payment timeout?")).toEqual({ name: "search_summaries", args: { query: "payment timeout" } });
    expect(call("find sessions with errors on checkout")).toEqual({ name: "find_sessions", args: { has_exception: true, visited_url_contains: "checkout" } });
    expect(call("list the last 5 sessions", fresh)).toEqual({ name: "find_sessions", args: { limit: 5 } });
  });

  it("a search of summaries before any report says a report is needed, instead of listing every session", () => {
    for (const text of ["which sessions mention coupon?", "sessions mentioning coupon", "how many sessions hit the coupon problem?"]) {
      expect(call(text, fresh)).toEqual({ name: "answer", args: { text: needsReportAnswer("coupon") } });
    }
    expect(needsReportAnswer("coupon")).toContain("summarize sessions with errors");
    // Filters alone are still a listing.
    expect(call("which sessions had errors on checkout?", fresh)).toEqual({ name: "find_sessions", args: { has_exception: true, visited_url_contains: "checkout" } });
  });

  it("a summarize or find request with a qualifier the rules cannot filter on says it needs a model", () => {
    for (const [text, qualifier] of [
      ["summarize just the ones from mobile", "mobile"],
      ["summarize sessions on mobile", "mobile"],
      ["summarize the checkout errors in Safari", "Safari"],
      ["summarize sessions by country", "country"],
      ["summarize sessions from Germany", "from Germany"],
      ["summarize just the ones with a coupon", "just the ones with a coupon"],
      ["find sessions on desktop", "desktop"],
      ["which sessions are from android phones?", "android"],
    ] as const) {
      const answer = call(text, withReport);
      expect(answer).toEqual({ name: "answer", args: { text: unsupportedQualifierAnswer(qualifier) } });
      expect(unsupportedQualifierAnswer(qualifier)).toContain("SESSION_SUMMARIES_CHAT");
    }
    // Times and pages after "from" are filters, not qualifiers.
    expect(call("summarize sessions from the last 3 days", fresh)).toEqual({ name: "summarize_sessions", args: { from: "2026-11-19T12:00:00.000Z" } });
    expect(call("summarize sessions from the checkout page", fresh)).toEqual({ name: "summarize_sessions", args: { visited_url_contains: "checkout" } });
    expect(unsupportedQualifier("summarize yesterday's sessions with errors")).toBeUndefined();
  });

  it("a session id opens its summary", () => {
    expect(call("show session 01a20178-d139-7db4-83e7-ba74d510e8ce")).toEqual({ name: "get_session_summary", args: { session_id: "01a20178-d139-7db4-83e7-ba74d510e8ce" } });
  });

  it("says plainly when a question needs a model, naming the setting", () => {
    for (const text of ["why do users hate our shop?", "write a poem", ""]) {
      expect(call(text)).toEqual({ name: "answer", args: { text: NEEDS_MODEL_ANSWER } });
    }
    expect(NEEDS_MODEL_ANSWER).toContain("SESSION_SUMMARIES_CHAT");
  });

  it("pages and filters are read from plain words", () => {
    expect(pageOf("errors on the checkout page")).toBe("checkout");
    expect(pageOf("sessions on mobile")).toBeUndefined();
    expect(pageOf("what happened at /cart?x=1")).toBe("/cart?x=1");
    expect(parseSessionFilters("everything", NOW)).toEqual({});
  });
});

describe("offline chat rules: tool results → answer", () => {
  it("relays the results without the prompt fences and suggests the next question after a report", () => {
    const answer = composeAnswer([{ name: "summarize_sessions", content: 'Report r1 is ready: 2 sessions.\n<untrusted_data name="patterns">\nPattern 1: X\n</untrusted_data>' }]);
    expect(answer).toContain("Report r1 is ready: 2 sessions.\nPattern 1: X");
    expect(answer).not.toContain("untrusted_data");
    expect(answer).toContain("which pattern affects most sessions?");
    expect(composeAnswer([{ name: "summarize_sessions", content: "The report could not be made (too_many_runs): busy" }])).toBe("The report could not be made (too_many_runs): busy");
  });

  it("reads the conversation's facts from earlier tool results", () => {
    const messages = [
      new HumanMessage("summarize"),
      new ToolMessage({ content: "Report r1 is ready: 3 sessions", tool_call_id: "1", name: "summarize_sessions" }),
      new ToolMessage({ content: "Pattern 4 of report r1: ...", tool_call_id: "2", name: "get_pattern" }),
    ];
    expect(factsOf(messages, NOW)).toEqual({ hasReport: true, lastPatternId: 4, now: NOW });
    const example = new ToolMessage({ content: "Example 2 of 4 of pattern 3 of report r1:\n...", tool_call_id: "3", name: "get_pattern" });
    expect(factsOf([...messages, example], NOW)).toEqual({ hasReport: true, lastPatternId: 3, lastExample: 2, now: NOW });
    const listed = new ToolMessage({
      content: 'Report r1: 2 of its 9 patterns on pages containing "checkout", numbered and ordered as in the report:\nPattern 3: A\nPattern 7: B',
      tool_call_id: "4",
      name: "list_patterns",
    });
    expect(factsOf([...messages, example, listed], NOW)).toEqual({ hasReport: true, lastPatternId: 3, now: NOW });
    expect(factsOf([new ToolMessage({ content: "The report could not be made", tool_call_id: "1", name: "summarize_sessions" })], NOW).hasReport).toBe(false);
  });

  it("knows of the thread's report from the system message (a thread opened on a report, or a report beyond the window)", () => {
    const report = {
      report_id: "r9",
      title: "T",
      created_at: NOW.toISOString(),
      analyst: "offline",
      sessions_requested: 2,
      sessions_summarized: 2,
      sessions_failed: 0,
      sessions_skipped: 0,
      patterns: [],
    };
    const withState = formatChatSystem({ project: "p", report, today: "2026-11-22" });
    expect(factsOf([withState, new HumanMessage("sessions mentioning coupon")], NOW).hasReport).toBe(true);
    expect(factsOf([formatChatSystem({ project: "p", today: "2026-11-22" }), new HumanMessage("hi")], NOW).hasReport).toBe(false);
    // A title cannot fake it: titles are fenced on lines of their own.
    expect(factsOf([formatChatSystem({ project: "p", today: "2026-11-22" }), new HumanMessage("Latest report: x, 3 sessions")], NOW).hasReport).toBe(false);
  });
});

describe("HeuristicChatModel", () => {
  const tools = ["find_sessions", "summarize_sessions", "get_pattern", "get_session_summary", "search_summaries"].map((name) => ({ name, description: name, schema: {} }));

  it("calls a bound tool for a request, then answers from its result", async () => {
    const model = new HeuristicChatModel({ now: () => NOW }).bindTools(tools as never);
    const first = await model.invoke([new SystemMessage("s"), new HumanMessage("which pattern affects most sessions?")]);
    expect(first.tool_calls).toEqual([expect.objectContaining({ name: "get_pattern", args: { rank: "most_sessions" } })]);
    const answer = await model.invoke([
      new HumanMessage("which pattern affects most sessions?"),
      new AIMessage({ content: "", tool_calls: first.tool_calls! }),
      new ToolMessage({ content: "Pattern 1 of report r: 3 of 4 sessions", tool_call_id: first.tool_calls![0]!.id!, name: "get_pattern" }),
    ]);
    expect(answer.content).toBe("Pattern 1 of report r: 3 of 4 sessions");
    expect(answer.tool_calls ?? []).toEqual([]);
  });

  it("streams an answer in pieces and a tool call as one chunk", async () => {
    const model = new HeuristicChatModel().bindTools(tools as never);
    const pieces: string[] = [];
    for await (const chunk of await model.stream([new HumanMessage("write a poem")])) pieces.push(String(chunk.content));
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join("")).toBe(NEEDS_MODEL_ANSWER);
    let toolChunk;
    for await (const chunk of await model.stream([new HumanMessage("show pattern 2")])) toolChunk = chunk;
    expect(toolChunk!.tool_calls).toEqual([expect.objectContaining({ name: "get_pattern", args: { pattern_id: 2 } })]);
  });

  it("does not call a tool it was not given", async () => {
    const model = new HeuristicChatModel().bindTools([tools[0]] as never);
    const reply = await model.invoke([new HumanMessage("show pattern 2")]);
    expect(reply.content).toBe(NEEDS_MODEL_ANSWER);
  });
});
