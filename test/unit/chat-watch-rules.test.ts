import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { factsOf, HeuristicChatModel } from "../../graph/chat/heuristic/model.ts";
import { composeAnswer, NEEDS_MODEL_ANSWER, planRequest, type ConversationFacts } from "../../graph/chat/heuristic/rules.ts";
import { sincePhrase, WATCH_OFFLINE_REQUESTS, WATCH_UNAVAILABLE_ANSWER } from "../../graph/chat/heuristic/watch-rules.ts";
import { formatChatSystem } from "../../prompts/chat.ts";

const NOW = new Date("2026-12-03T12:00:00Z");
const watching: ConversationFacts = { hasReport: true, now: NOW, watch: true };
const call = (text: string, facts = watching) => {
  const plan = planRequest(text, facts);
  return plan.kind === "tool" ? plan.call : { name: "answer", args: { text: plan.text } };
};

describe("offline chat rules for watching", () => {
  it.each([
    ["What's new since Monday?", { since: "Monday" }],
    ["whats new since last monday", { since: "last monday" }],
    ["anything new this week?", { since: "this week" }],
    ["What changed since yesterday", { since: "yesterday" }],
    ["what's new?", {}],
    ["list new issues from the past 3 days", { since: "3 days" }],
    ["which issues regressed since 2026-11-30?", { since: "2026-11-30", states: ["regressed"] }],
  ])("%s → list_issues", (text, args) => {
    expect(call(text)).toEqual({ name: "list_issues", args });
  });

  it.each([
    ["is the checkout error back?", "checkout error"],
    ["Is the checkout error back again?", "checkout error"],
    ["has the search slowness come back?", "search slowness"],
    ["is the coupon bug still happening?", "coupon bug"],
    ["is issue 12 back?", "issue 12"],
    ["what's the status of the cart 500 error?", "cart 500 error"],
  ])("%s → find_issue", (text, query) => {
    expect(call(text)).toEqual({ name: "find_issue", args: { text: query } });
  });

  it.each([
    ["mute issue 12", { issue_id: 12, action: "mute" }],
    ["please mute #12", { issue_id: 12, action: "mute" }],
    ["Mute 12", { issue_id: 12, action: "mute" }],
    ["unmute issue 12", { issue_id: 12, action: "reopen" }],
    ["reopen issue 3", { issue_id: 3, action: "reopen" }],
    ["snooze issue 4 until Friday", { issue_id: 4, action: "snooze", until: "Friday" }],
    ["snooze issue 4 for 3 days.", { issue_id: 4, action: "snooze", until: "3 days" }],
    ["snooze issue 4", { issue_id: 4, action: "snooze" }],
    ["mark issue 7 as resolved", { issue_id: 7, action: "resolve" }],
    ["resolve issue 7", { issue_id: 7, action: "resolve" }],
  ])("%s → update_issue", (text, args) => {
    expect(call(text)).toEqual({ name: "update_issue", args });
  });

  it('an action on "it" means the issue last found; without one it is not guessed', () => {
    expect(call("mute it", { ...watching, lastIssueId: 9 })).toEqual({ name: "update_issue", args: { issue_id: 9, action: "mute" } });
    expect(call("snooze that one until Monday", { ...watching, lastIssueId: 9 })).toEqual({ name: "update_issue", args: { issue_id: 9, action: "snooze", until: "Monday" } });
    expect(call("mute it").name).not.toBe("update_issue");
  });

  it.each([
    ["How many sessions said yes to my question this week?", { since: "this week" }],
    ["how many said no since Monday", { since: "Monday" }],
    ["what's the yes rate of the checkout monitor since Monday?", { monitor: "checkout", since: "Monday" }],
    ["show the answers to my question in the last 3 days", { since: "3 days" }],
    ["results of my question", {}],
  ])("%s → question_stats", (text, args) => {
    expect(call(text)).toEqual({ name: "question_stats", args });
  });

  it("leaves the report requests as they were", () => {
    expect(call("tell me more about issue #3")).toEqual({ name: "get_pattern", args: { pattern_id: 3 } });
    expect(call("what are the main issues on the cart page?")).toEqual({ name: "list_patterns", args: { page: "cart" } });
    expect(call("summarize sessions with errors since yesterday").name).toBe("summarize_sessions");
    expect(call("which pattern affects most sessions?")).toEqual({ name: "get_pattern", args: { rank: "most_sessions" } });
    // Without the watch tools, "new issues since …" stays a question about the report's patterns.
    expect(call("which new issues since Monday?", { hasReport: true, now: NOW }).name).toBe("answer");
  });

  it("finds the time phrase in the person's words", () => {
    expect(sincePhrase("what's new since Monday, and what regressed?")).toBe("Monday");
    expect(sincePhrase("issues in the past 2 weeks")).toBe("2 weeks");
    expect(sincePhrase("how many today")).toBe("today");
    expect(sincePhrase("what's new")).toBeUndefined();
  });
});

describe("the offline model with and without the watch tools", () => {
  const tool = (name: string) => ({ name, description: name, schema: {} });
  const watchTools = ["list_issues", "find_issue", "update_issue", "question_stats"].map(tool);

  it("calls the watch tools when they are bound, and says watching is not set up when they are not", () => {
    const bound = new HeuristicChatModel({ now: () => NOW }).bindTools([tool("get_pattern"), ...watchTools] as never);
    expect(bound.decide([new HumanMessage("mute issue 12")])).toMatchObject({ kind: "tool", call: { name: "update_issue", args: { issue_id: 12, action: "mute" } } });
    const bare = new HeuristicChatModel({ now: () => NOW }).bindTools([tool("get_pattern")] as never);
    expect(bare.decide([new HumanMessage("mute issue 12")])).toEqual({ kind: "answer", text: WATCH_UNAVAILABLE_ANSWER });
    // What it cannot do names the watch requests only where they work.
    expect(bound.decide([new HumanMessage("why do people love candles?")])).toEqual({ kind: "answer", text: NEEDS_MODEL_ANSWER + WATCH_OFFLINE_REQUESTS });
    expect(bare.decide([new HumanMessage("why do people love candles?")])).toEqual({ kind: "answer", text: NEEDS_MODEL_ANSWER });
  });

  it("the system prompt describes the watch tools only when they are offered", () => {
    expect(String(formatChatSystem({ project: "p", today: "2026-12-03", watch: true }).content)).toContain("update_issue: mute, snooze (until a date), resolve or reopen");
    expect(String(formatChatSystem({ project: "p", today: "2026-12-03" }).content)).not.toContain("list_issues");
  });

  it("remembers the issue find_issue found, and suggests what to do with it", () => {
    const found =
      'Best match for "checkout error": issue 12 is regressed: it was resolved and has been seen again; last seen 2026-12-02 14:00 UTC (22 hours ago).\n' +
      '<untrusted_data name="issue">\nIssue 12 [regressed] "Place order fails" | error, high | 10 sessions | first seen …\n</untrusted_data>';
    const messages = [new AIMessage({ content: "", tool_calls: [{ id: "1", name: "find_issue", args: {} }] }), new ToolMessage({ content: found, tool_call_id: "1", name: "find_issue" })];
    expect(factsOf(messages, NOW).lastIssueId).toBe(12);
    const answer = composeAnswer([{ name: "find_issue", content: found }]);
    expect(answer).not.toContain("untrusted_data");
    expect(answer.endsWith('Say "mute issue <id>", "snooze issue <id> until Monday" or "resolve issue <id>".')).toBe(true);
    expect(composeAnswer([{ name: "find_issue", content: 'No tracked issue of this project matches "x".' }])).toBe('No tracked issue of this project matches "x".');
  });
});
