import path from "node:path";
import { fileURLToPath } from "node:url";
import { AIMessage, type ToolMessage } from "@langchain/core/messages";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeToolsNode } from "../../graph/chat/nodes/tools.ts";
import { createPipeline, type Pipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import { readReport } from "../../src/store/reports.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { createCheckpointer, type Checkpointer } from "../../src/store/checkpointer.ts";
import { createChatTools, type ChatToolContext } from "../../tools/index.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { memoryLogger } from "../fakes/logger.ts";
import { pickPattern } from "../../tools/get-pattern.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let pipeline: Pipeline;
let checkpointer: Checkpointer;
let reportId: string;
let toolsNode: ReturnType<typeof makeToolsNode>;

beforeAll(async () => {
  checkpointer = await createCheckpointer({ kind: "memory" });
  pipeline = await createPipeline({
    config: readConfig({}),
    source: new DatasetSource(path.join(ROOT, "examples/dataset")),
    project: "local",
    blobs: new MemoryBlobStore(),
    checkpointer: checkpointer.saver,
    validation: "off",
  });
  reportId = "report-tools-fixture";
  await pipeline.graph.invoke({ report_id: reportId, title: "Errors", selection: { has_exception: true, limit: 8 } }, { configurable: { thread_id: reportId } });
  toolsNode = makeToolsNode(createChatTools(toolContext()));
});
/** The tools' context over the test pipeline. */
function toolContext(overrides: Partial<ChatToolContext> = {}): ChatToolContext {
  return { project: "local", runtime: pipeline.runtime, newReportId: () => "report-new", logger: silentLogger(), ...overrides };
}

afterAll(async () => {
  await pipeline.close();
  await checkpointer.close();
});

/** Runs one tool call through the tools node, as the graph does; returns the tool message's text. */
async function callTool(name: string, args: Record<string, unknown>): Promise<string> {
  const output = (await toolsNode.invoke({ messages: [new AIMessage({ content: "", tool_calls: [{ id: "call-1", name, args }] })] })) as { messages: ToolMessage[] };
  expect(output.messages).toHaveLength(1);
  return String(output.messages[0]!.content);
}

describe("chat tools given bad input answer with status text", () => {
  it.each([
    ["find_sessions", { limit: -3 }, /limit/],
    ["find_sessions", { from: "the day before" }, /^invalid session selection: from: expected an ISO date or time/],
    ["find_sessions", { from: "2026-11-22", to: "2026-11-21" }, /^invalid session selection: to: must be after from \(2026-11-22\)/],
    ["find_sessions", { visited_url_contains: "no-such-page-zzz" }, /^No sessions match \(that visited a page containing "no-such-page-zzz"\)\.$/],
    ["find_sessions", { url_contains: "checkout" }, /^invalid session selection: url_contains: was removed .*visited_url_contains .*first_url_contains/],
    ["find_sessions", { ids: ["a"], has_exception: true }, /^invalid session selection: ids: choose sessions either by ids or by filters, not both \(also given: has_exception\)/],
    ["summarize_sessions", { visited_url_contains: "no-such-page-zzz" }, /^No sessions match .*: nothing to summarize\.$/],
    ["summarize_sessions", { ids: "abc" }, /ids/],
    ["summarize_sessions", { visited_url: "checkout", title: "T" }, /^invalid session selection: .*Unrecognized key.*visited_url/],
    ["get_pattern", {}, /^There is no report in this conversation yet/],
    ["get_pattern", { report_id: "report-of-nobody", pattern_id: 1 }, /^There is no finished report "report-of-nobody" in this project\.$/],
    ["get_pattern", { pattern_id: 0 }, /pattern_id/],
    ["get_pattern", { rank: "loudest" }, /rank/],
    ["get_session_summary", { session_id: "no-such-session" }, /^No summary of session "no-such-session" is stored/],
    ["get_session_summary", { session_id: "x", report_id: "report-of-nobody" }, /^There is no finished report/],
    ["search_summaries", { query: "x" }, /query/],
    ["search_summaries", { query: "coupon" }, /^There is no report in this conversation yet/],
    ["make_coffee", {}, /make_coffee/],
  ])("%s %j", async (name, args, expected) => {
    expect(await callTool(name, args)).toMatch(expected);
  });

  it("a pattern number past the end, or a report without it, is named", async () => {
    expect(await callTool("get_pattern", { report_id: reportId, pattern_id: 99 })).toMatch(new RegExp(`^Report ${reportId} has no pattern 99; its patterns are numbered 1 to \\d+\\.$`));
    expect(await callTool("get_pattern", { report_id: reportId })).toMatch(/^Say which pattern/);
  });
});

describe("chat tools failing unexpectedly", () => {
  it("tell the model only that it failed; the details go to the log", async () => {
    const secret = "ECONNREFUSED db.internal:5432 (/srv/secret-path)";
    const broken = {
      ...pipeline.runtime.source,
      description: "broken",
      listSessions: async () => {
        throw new Error(secret);
      },
    };
    const logged = memoryLogger();
    const tools = makeToolsNode(createChatTools(toolContext({ runtime: { ...pipeline.runtime, source: broken }, logger: logged.logger })));
    for (const [name, args] of [
      ["find_sessions", { has_exception: true }],
      ["summarize_sessions", { visited_url_contains: "checkout" }],
    ] as const) {
      const output = (await tools.invoke({ messages: [new AIMessage({ content: "", tool_calls: [{ id: "call-1", name, args }] })] })) as { messages: ToolMessage[] };
      const text = String(output.messages[0]!.content);
      expect(text).toBe("Could not list sessions: an unexpected error (the details are in the log)");
    }
    expect(logged.entries.map((e) => [e.msg, e.tool, e.project])).toEqual([
      ["chat tool failed", "find_sessions", "local"],
      ["chat tool failed", "summarize_sessions", "local"],
    ]);
    expect((logged.entries[0]!.err as { message: string }).message).toBe(secret);
  });
});

describe("chat tools on a report", () => {
  it("get_pattern ranks patterns and fences what the analysed site wrote", async () => {
    const report = (await readReport(pipeline.runtime.blobs, "local", reportId))!;
    const top = pickPattern(report.patterns, "most_sessions")!;
    const text = await callTool("get_pattern", { report_id: reportId, rank: "most_sessions", examples: 1 });
    expect(text).toContain(`Pattern ${top.id} of report ${reportId} (it affects the most sessions`);
    expect(text).toContain(`<untrusted_data name="pattern">\nname: ${top.name}`);
    expect(text.match(/^example \d+:/gm)).toHaveLength(1);
    for (const other of report.patterns) expect(other.stats.sessions_affected).toBeLessThanOrEqual(top.stats.sessions_affected);
  });

  it("search_summaries finds the sessions of a report whose summaries mention the words", async () => {
    const text = await callTool("search_summaries", { report_id: reportId, query: "threw" });
    expect(text).toMatch(/^\d+ sessions? of the 8 searched mention "threw"/);
  });

  it("pickPattern breaks ties on the second measure, then the lower id", () => {
    const p = (id: number, sessions: number, occurrences: number, severity: "low" | "high" = "low") =>
      ({ id, severity, stats: { sessions_affected: sessions, occurrences, sessions_affected_ratio: 0, segments_success_ratio: id / 10 } }) as never;
    expect((pickPattern([p(1, 2, 2), p(2, 3, 1), p(3, 3, 5)], "most_sessions") as { id: number }).id).toBe(3);
    expect((pickPattern([p(1, 2, 9), p(2, 3, 1)], "most_occurrences") as { id: number }).id).toBe(1);
    expect((pickPattern([p(1, 2, 9), p(2, 1, 1, "high")], "most_severe") as { id: number }).id).toBe(2);
    expect((pickPattern([p(1, 2, 9), p(2, 2, 9)], "least_success") as { id: number }).id).toBe(1);
    expect(pickPattern([], "most_sessions")).toBeUndefined();
  });
});

describe("a report page that cannot be written", () => {
  it("leaves a finished report finished: list_patterns answers the patterns and says the page could not be written", async () => {
    const logged = memoryLogger();
    const failingPage = makeToolsNode(
      createChatTools(
        toolContext({
          logger: logged.logger,
          reportLocation: async () => {
            throw new Error("disk full");
          },
        }),
      ),
    );
    const output = (await failingPage.invoke({ messages: [new AIMessage({ content: "", tool_calls: [{ id: "call-1", name: "list_patterns", args: { report_id: reportId } }] })] })) as {
      messages: ToolMessage[];
    };
    const text = String(output.messages[0]!.content);
    expect(text).not.toMatch(/could not be made/);
    expect(text).toMatch(/report page could not be written/);
    expect(logged.text()).toMatch(/disk full/);
  });
});
