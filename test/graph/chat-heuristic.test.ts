import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileChatGraph, readChatThread, streamChatTurn, type ChatGraph, type ChatStreamEvent } from "../../graph/chat/index.ts";
import { NEEDS_MODEL_ANSWER } from "../../graph/chat/heuristic/rules.ts";
import { createPipeline, type Pipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import { ReportRuns } from "../../src/service/report-runs.ts";
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
  pipeline = await createPipeline({ config, source: new DatasetSource(path.join(ROOT, "examples/dataset")), project: "local", blobs: new MemoryBlobStore(), checkpointer: checkpointer.saver, validation: "off" });
  // No models option: every role, chat included, is the offline heuristic of an empty environment.
  graph = compileChatGraph({ project: "local", pipeline, runs: new ReportRuns({ pipelineFor: () => pipeline }), config, checkpointer: checkpointer.saver });
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
  const tokens = events.filter((e) => e.type === "token").map((e) => (e as { text: string }).text).join("");
  expect(tokens).toBe((final as { message: string }).message);
  const calls = events.filter((e) => e.type === "tool_call") as Array<{ name: string; args: Record<string, unknown> }>;
  return { events, answer: (final as { message: string }).message, calls };
}

describe("the offline chat on the committed dataset", () => {
  it("answers the common requests with the right tools", async () => {
    const summary = await ask("Summarize sessions with errors on checkout");
    expect(summary.calls).toEqual([{ type: "tool_call", name: "summarize_sessions", args: { has_exception: true, url_contains: "checkout" } }]);
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
    expect(example.calls[0]!.args).toEqual({ pattern_id: 2, examples: 3 });
    const exampleSession = /example 1: session (\S+) at/.exec(example.answer)?.[1];
    expect(exampleSession).toBeDefined();

    const session = await ask(`what happened in session ${exampleSession}?`);
    expect(session.calls[0]).toMatchObject({ name: "get_session_summary", args: { session_id: exampleSession } });
    expect(session.answer).toMatch(new RegExp(`^Session ${exampleSession}: started .* outcome (success|failure)`));

    const search = await ask("sessions mentioning TypeError");
    expect(search.calls[0]).toMatchObject({ name: "search_summaries", args: { query: "TypeError" } });
    expect(search.answer).toMatch(/^\d+ sessions? of the \d+ searched mention "TypeError"/);

    const found = await ask("find sessions with errors on the cart page");
    expect(found.calls[0]).toMatchObject({ name: "find_sessions", args: { has_exception: true, url_contains: "cart" } });
    expect(found.answer).toMatch(/^\d+ sessions match \(with errors, on pages containing "cart"\)/);

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
