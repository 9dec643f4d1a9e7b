import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileChatGraph, readChatThread, streamChatTurn, type ChatGraph, type ChatStreamEvent } from "../../graph/chat/index.ts";
import { NEEDS_MODEL_ANSWER } from "../../graph/chat/heuristic/rules.ts";
import { createPipeline, type Pipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import { readReport } from "../../src/store/reports.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { createCheckpointer, type Checkpointer } from "../../src/store/checkpointer.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const THREAD = "offline-thread";
let pipeline: Pipeline;
let checkpointer: Checkpointer;
let graph: ChatGraph;

beforeAll(async () => {
  const config = readConfig({});
  checkpointer = await createCheckpointer({ kind: "memory" });
  pipeline = await createPipeline({
    config,
    source: new DatasetSource(path.join(ROOT, "examples/dataset")),
    project: "local",
    blobs: new MemoryBlobStore(),
    checkpointer: checkpointer.saver,
    validation: "off",
  });
  // No models option: every role, chat included, is the offline heuristic of an empty environment.
  graph = compileChatGraph({ runtime: pipeline.runtime, config, checkpointer: checkpointer.saver });
});
afterAll(async () => {
  await pipeline.close();
  await checkpointer.close();
});

async function ask(message: string): Promise<{ events: ChatStreamEvent[]; answer: string; calls: Array<{ name: string; args: Record<string, unknown> }> }> {
  const events: ChatStreamEvent[] = [];
  for await (const event of streamChatTurn(graph, { threadId: THREAD, message })) events.push(event);
  const final = events.at(-1)!;
  expect(final.type).toBe("final");
  // The answer streams as tokens that add up to the final message.
  const tokens = events
    .filter((e) => e.type === "token")
    .map((e) => (e as { text: string }).text)
    .join("");
  expect(tokens).toBe((final as { message: string }).message);
  const calls = events.filter((e) => e.type === "tool_call") as Array<{ name: string; args: Record<string, unknown> }>;
  return { events, answer: (final as { message: string }).message, calls };
}

describe("the offline chat on the committed dataset", () => {
  it("answers the common requests with the right tools", async () => {
    const summary = await ask("Summarize sessions with errors on checkout");
    expect(summary.calls).toEqual([{ type: "tool_call", name: "summarize_sessions", args: { has_exception: true, visited_url_contains: "checkout" } }]);
    expect(summary.events.some((e) => e.type === "progress" && e.message.startsWith("Watching sessions"))).toBe(true);
    const reportId = (summary.events.at(-1) as { report_id: string }).report_id;
    expect(summary.answer).toMatch(new RegExp(`^Report ${reportId} is ready: (\\d+) sessions summarized by offline analyst`));
    expect(summary.answer).toContain("Pattern 1: Place order fails with TypeError on /checkout");
    expect(summary.answer).not.toContain("untrusted_data");

    const most = await ask("which pattern affects most sessions?");
    expect(most.calls).toEqual([expect.objectContaining({ name: "get_pattern", args: { rank: "most_sessions" } })]);
    expect(most.answer).toMatch(new RegExp(`^Pattern 1 of report ${reportId} \\(it affects the most sessions of \\d+ patterns\\): 4 of \\d+ sessions affected`));

    const second = await ask("show pattern 2");
    expect(second.answer).toMatch(/^Pattern 2 of report .*\nname: Increase quantity returns HTTP 500 on \/cart/);

    const example = await ask("show an example");
    expect(example.calls[0]!.args).toEqual({ pattern_id: 2, example: 1 });
    const exampleSession = /^session (\S+) at/m.exec(example.answer)?.[1];
    expect(exampleSession).toBeDefined();

    const session = await ask(`what happened in session ${exampleSession}?`);
    expect(session.calls[0]).toMatchObject({ name: "get_session_summary", args: { session_id: exampleSession } });
    expect(session.answer).toMatch(new RegExp(`^Session ${exampleSession}: started .* outcome (success|failure)`));

    const search = await ask("sessions mentioning TypeError");
    expect(search.calls[0]).toMatchObject({ name: "search_summaries", args: { query: "TypeError" } });
    expect(search.answer).toMatch(/^\d+ sessions? of the \d+ searched mention "TypeError"/);

    const found = await ask("find sessions with errors on the cart page");
    expect(found.calls[0]).toMatchObject({ name: "find_sessions", args: { has_exception: true, visited_url_contains: "cart" } });
    expect(found.answer).toMatch(/^\d+ sessions match \(with errors, that visited a page containing "cart"\)/);

    const unknown = await ask("why do people love candles?");
    expect(unknown.calls).toEqual([]);
    expect(unknown.answer).toBe(NEEDS_MODEL_ANSWER);

    // A qualifier the rules have no filter for is not dropped: no report of the wrong sessions.
    const mobile = await ask("summarize just the ones from mobile");
    expect(mobile.calls).toEqual([]);
    expect(mobile.answer).toMatch(/^I can't pick sessions by "mobile" offline/);
    expect(mobile.answer).toContain("SESSION_SUMMARIES_CHAT");

    const last = await ask("summarize the last 3 sessions");
    expect(last.calls[0]!.args).toEqual({ limit: 3 });
    const newer = (last.events.at(-1) as { report_id: string }).report_id;
    expect(newer).not.toBe(reportId);
    expect(last.answer).toContain("3 sessions summarized");

    const thread = await readChatThread(graph, THREAD);
    expect(thread?.report_id).toBe(newer);
    expect(thread?.report_ids).toEqual([reportId, newer]);
  }, 60_000);
});

describe("the offline chat answers what it can about a report, and says what it cannot", () => {
  const T = "offline-patterns";
  const turn = async (message: string) => {
    const events: ChatStreamEvent[] = [];
    for await (const event of streamChatTurn(graph, { threadId: T, message })) events.push(event);
    const final = events.at(-1) as { type: string; message: string; report_id?: string };
    expect(final.type).toBe("final");
    const calls = events.filter((e) => e.type === "tool_call") as Array<{ name: string; args: Record<string, unknown> }>;
    return { answer: final.message, calls, reportId: final.report_id };
  };

  it("top problems on a page, one kind, needs-a-model for a device, stable numbers, one example", async () => {
    const made = await turn("summarize all sessions");
    const report = (await readReport(pipeline.runtime.blobs, "local", made.reportId!))!;
    expect(report.patterns.length).toBeGreaterThan(3);
    // The patterns come numbered as the report numbers them, in its order.
    const listedIds = [...made.answer.matchAll(/^Pattern (\d+): /gm)].map((m) => Number(m[1]));
    expect(listedIds).toEqual(report.patterns.map((p) => p.id));
    expect(listedIds).toEqual([...listedIds].sort((a, b) => a - b));

    const onPage = (id: number, text: string) => report.patterns.find((p) => p.id === id)!.examples.some((e) => (e.target.current_url ?? "").toLowerCase().includes(text));
    const checkout = await turn("what are the top problems on checkout?");
    expect(checkout.calls).toEqual([expect.objectContaining({ name: "list_patterns", args: { page: "checkout" } })]);
    const checkoutIds = [...checkout.answer.matchAll(/^Pattern (\d+): /gm)].map((m) => Number(m[1]));
    expect(checkoutIds.length).toBeGreaterThan(0);
    expect(checkoutIds.every((id) => onPage(id, "checkout"))).toBe(true);
    // Every pattern with an example on checkout is there, and nothing else (e.g. not the add-to-cart one).
    expect(checkoutIds).toEqual(report.patterns.filter((p) => onPage(p.id, "checkout")).map((p) => p.id));
    expect(checkout.answer).not.toMatch(/Add to cart/i);

    const mobile = await turn("which pattern affects most sessions on mobile?");
    expect(mobile.calls).toEqual([]);
    expect(mobile.answer).toContain("needs a model: set SESSION_SUMMARIES_CHAT");
    expect(mobile.answer).not.toMatch(/Add to cart|Pattern \d+/);

    const errors = await turn("which errors did users hit?");
    expect(errors.calls[0]).toMatchObject({ name: "list_patterns", args: { kind: "error" } });
    const errorIds = [...errors.answer.matchAll(/^Pattern (\d+): /gm)].map((m) => Number(m[1]));
    expect(errorIds.length).toBeGreaterThan(0);
    for (const id of errorIds) {
      const examples = report.patterns.find((p) => p.id === id)!.examples;
      expect(examples.filter((e) => e.target.exception).length * 2).toBeGreaterThanOrEqual(examples.length);
    }

    // "show an example" after a list: one example of its first pattern, not the whole pattern again.
    const example = await turn("show an example");
    expect(example.calls[0]!.args).toEqual({ pattern_id: errorIds[0], example: 1 });
    expect(example.answer).toMatch(new RegExp(`^Example 1 of \\d+ of pattern ${errorIds[0]} of report ${made.reportId}`));
    expect(example.answer.match(/^session \S+ at /gm)).toHaveLength(1);
    expect(example.answer).not.toMatch(/^(description|indicators):/m);
    const another = await turn("another example");
    expect(another.calls[0]!.args).toEqual({ pattern_id: errorIds[0], example: 2 });
    expect(another.answer).toMatch(/^Example 2 of /);
  }, 60_000);
});
