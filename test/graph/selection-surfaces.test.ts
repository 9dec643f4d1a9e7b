import { fileURLToPath } from "node:url";
import { AIMessage, type ToolMessage } from "@langchain/core/messages";
import { RunnableLambda } from "@langchain/core/runnables";
import { Command } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { makeToolsNode } from "../../graph/chat/nodes/tools.ts";
import { makeResolveSessionsNode } from "../../graph/summarize/nodes/resolve-sessions.ts";
import type { SummarizeStateType } from "../../graph/summarize/state.ts";
import type { PipelineRuntime } from "../../src/runtime/runtime.ts";
import { main, selectionOfFlags } from "../../src/cli/main.ts";
import { describeSelection, parseSelection, SelectionError, type SessionSelection } from "../../src/domain/selection.ts";
import { parseBody, selectionOf, StartReportBodySchema } from "../../src/server/schemas.ts";
import { resolveSelection } from "../../src/sources/select.ts";
import type { SessionSource } from "../../src/sources/types.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { createChatTools, type ChatToolContext } from "../../tools/index.ts";
import { silentLogger } from "../../src/log/logger.ts";

/**
 * One selection, three surfaces: the CLI's flags (resolved by the report graph, as `summarize` and
 * Studio run it), the reports API body (resolved by the route), the chat's summarize_sessions tool.
 * The same words must pick the same sessions on examples/dataset.
 */
const DATASET = fileURLToPath(new URL("../../examples/dataset", import.meta.url));
const source = new DatasetSource(DATASET);

/** The sessions a report run over this selection covers: the report graph's own resolution (CLI, Studio, and runs started by the API and the chat). */
async function runCovers(selection: SessionSelection): Promise<string[]> {
  const resolve = makeResolveSessionsNode({ source } as unknown as PipelineRuntime);
  // Run as a runnable, as the graph runs it (the node streams its progress through the run's config).
  const update = await RunnableLambda.from(resolve).invoke({ session_ids: [], selection } as unknown as SummarizeStateType);
  return [...(update.session_ids as string[])].sort();
}

const cliPicks = (flags: Parameters<typeof selectionOfFlags>[0]) => runCovers(selectionOfFlags(flags));

/** As `POST /api/reports` does: the body's selection, resolved before the run when it needs the events. */
async function apiPicks(filter: Record<string, unknown>): Promise<string[]> {
  const body = parseBody(StartReportBodySchema, { filter });
  return runCovers(await resolveSelection(source, selectionOf(body)));
}

/** The selection summarize_sessions asks the chat's report node for (the Command it returns), as the run resolves it. */
async function chatPicks(args: Record<string, unknown>): Promise<string[]> {
  const tools = makeToolsNode(createChatTools(contextOver(source)));
  const output = (await tools.invoke({ messages: [new AIMessage({ content: "", tool_calls: [{ id: "c1", name: "summarize_sessions", args }] })] })) as unknown[];
  const command = output.find((item): item is Command => item instanceof Command);
  const picked = (command?.update as { report_request?: { selection: SessionSelection } } | undefined)?.report_request?.selection;
  expect(picked).toBeDefined();
  return runCovers(picked!);
}

/** The chat tools' context over a source (no report is made here). */
function contextOver(sessions: SessionSource): ChatToolContext {
  return { project: "local", runtime: { source: sessions } as unknown as PipelineRuntime, newReportId: () => "report-picks", logger: silentLogger() };
}

async function findSessionsText(args: Record<string, unknown>): Promise<string> {
  const tools = makeToolsNode(createChatTools(contextOver(source)));
  const output = (await tools.invoke({ messages: [new AIMessage({ content: "", tool_calls: [{ id: "c1", name: "find_sessions", args }] })] })) as { messages: ToolMessage[] };
  return String(output.messages[0]!.content);
}

describe("one session selection on every surface", () => {
  it("visited checkout: CLI --visited-url, the API's visited_url_contains and the chat tool pick the same sessions (not only those that started there)", async () => {
    const cli = await cliPicks({ visitedUrl: "checkout" });
    const api = await apiPicks({ visited_url_contains: "checkout" });
    const chat = await chatPicks({ visited_url_contains: "checkout" });
    expect(cli.length).toBeGreaterThan(10);
    expect(api).toEqual(cli);
    expect(chat).toEqual(cli);
    expect(await findSessionsText({ visited_url_contains: "checkout" })).toMatch(new RegExp(`^${cli.length} sessions match \\(that visited a page containing "checkout"\\)`));
    // No session of this dataset starts on the checkout page: the first URL alone picks none.
    await expect(cliPicks({ firstUrl: "checkout" })).rejects.toThrow(/no sessions in dataset .* match the selection \(whose first page contains "checkout"\)/);
  });

  it("first URL: the same sessions on every surface, and URL text matches regardless of case", async () => {
    const cli = await cliPicks({ firstUrl: "/PRODUCT/" });
    const api = await apiPicks({ first_url_contains: "/product/" });
    const chat = await chatPicks({ first_url_contains: "/Product/" });
    expect(cli.length).toBeGreaterThan(0);
    expect(api).toEqual(cli);
    expect(chat).toEqual(cli);
    const metas = await source.listSessions({ ids: cli });
    expect(metas.every((m) => (m.first_url ?? "").includes("/product/"))).toBe(true);
  });

  it("filters combine the same way (errors, newest n)", async () => {
    const cli = await cliPicks({ visitedUrl: "checkout", hasException: true, limit: 5 });
    expect(cli).toHaveLength(5);
    expect(await apiPicks({ visited_url_contains: "checkout", has_exception: true, limit: 5 })).toEqual(cli);
    expect(await chatPicks({ visited_url_contains: "checkout", has_exception: true, limit: 5 })).toEqual(cli);
  });
});

describe("a bad selection is refused naming the field, on every surface", () => {
  it("CLI: names the flag; --url-contains is refused and names both replacements", async () => {
    expect(() => selectionOfFlags({ from: "2026-11-02T00:00:00.000Z", to: "2026-11-01T00:00:00.000Z" })).toThrow(/--to: must be after from/);
    expect(() => selectionOfFlags({ sessions: ["a"], hasException: true })).toThrow(/--sessions: choose sessions either by ids or by filters/);
    // The "also given" list names flags too, not schema fields.
    expect(() => selectionOfFlags({ sessions: ["a"], hasException: true, visitedUrl: "checkout" })).toThrow(/\(also given: --visited-url, --has-exception\)/);
    expect(() => selectionOfFlags({ urlContains: "checkout" })).toThrow(SelectionError);
    expect(() => selectionOfFlags({ urlContains: "checkout" })).toThrow(/--url-contains was removed .*--visited-url "checkout".*--first-url/);
    const stderr: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => (stderr.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      expect(await main(["node", "session-summaries", "summarize", DATASET, "--url-contains", "checkout"])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(stderr.join("")).toMatch(/^error: --url-contains was removed/);
  });

  it("API and Studio input: the schema names the field", () => {
    expect(() => parseSelection({ limit: 0 })).toThrow(/limit: /);
    expect(() => parseSelection({ visited_url_contains: "" })).toThrow(/visited_url_contains: must not be empty/);
    expect(() => parseSelection({ url_contains: "x" })).toThrow(/url_contains: was removed/);
    expect(() => parseSelection({ pages: "x" })).toThrow(/Unrecognized key.*pages/);
  });

  it("describes a selection in the same words everywhere", () => {
    expect(describeSelection(parseSelection({ has_exception: true, visited_url_contains: "checkout", first_url_contains: "utm", limit: 10 }))).toBe(
      'with errors, whose first page contains "utm", that visited a page containing "checkout", newest 10',
    );
    expect(describeSelection(parseSelection({ ids: ["a", "b", "a"] }))).toBe("2 chosen sessions");
    expect(describeSelection(parseSelection({}))).toBe("all sessions");
  });
});
