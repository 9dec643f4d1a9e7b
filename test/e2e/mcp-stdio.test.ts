import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeOpenAiServer } from "../fakes/openai-server.ts";

/**
 * `session-summaries mcp` over stdio, started as an MCP client starts it (a child process), with
 * models on an OpenAI-compatible fake: the SDK's own client lists the tools, finds sessions, is
 * refused a report that spends budget until it confirms, receives the run's progress, and reads
 * the report as resources.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = path.join(ROOT, "src/cli/bin.mjs");
const SAMPLE = path.join(ROOT, "examples/sample");

let work: string;
let model: FakeOpenAiServer;
let client: Client;
let stderr = "";

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "ss-mcp-stdio-"));
  model = await new FakeOpenAiServer().start();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, "mcp", "--dataset", SAMPLE],
    cwd: work,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      OPENAI_API_KEY: "test-key",
      OPENAI_BASE_URL: model.url,
      SESSION_SUMMARIES_SUMMARIZER: "openai:fake-summarizer",
      SESSION_SUMMARIES_REASONER: "openai:fake-reasoner",
      SESSION_SUMMARIES_DATA_DIR: path.join(work, "data"),
      SESSION_SUMMARIES_VALIDATE: "off",
    },
    stderr: "pipe",
  });
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  client = new Client({ name: "mcp-stdio-test", version: "1.0.0" });
  await client.connect(transport);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await model?.close();
  await rm(work, { recursive: true, force: true });
});

function text(result: Awaited<ReturnType<Client["callTool"]>>): string {
  return (result.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? "").join("\n");
}

describe("mcp over stdio", () => {
  it("lists the chat tools and the monitors/issues tools, with their schemas", async () => {
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "find_sessions",
        "summarize_sessions",
        "list_patterns",
        "get_pattern",
        "get_session_summary",
        "search_summaries",
        "list_issues",
        "find_issue",
        "update_issue",
        "question_stats",
        "backfill_monitor",
      ]),
    );
    const summarize = tools.find((tool) => tool.name === "summarize_sessions")!;
    expect(Object.keys(summarize.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(["limit", "has_exception", "title", "focus_area", "confirm"]));
    expect(stderr).toContain("project local");
  });

  it("finds sessions", async () => {
    const answer = text(await client.callTool({ name: "find_sessions", arguments: { limit: 5 } }));
    expect(answer).toMatch(/^5 sessions match/);
  });

  it("refuses a report that spends model budget until it is confirmed, then runs it with progress", async () => {
    const refused = text(await client.callTool({ name: "summarize_sessions", arguments: { limit: 5, title: "Budgeted" } }));
    expect(refused).toContain("Not run: this report spends model budget");
    expect(refused).toMatch(/about \d+ model calls/);
    expect(model.calls).toHaveLength(0);

    const progress: Progress[] = [];
    const result = await client.callTool({ name: "summarize_sessions", arguments: { limit: 5, title: "Budgeted", confirm: true } }, undefined, {
      onprogress: (update) => progress.push(update),
      resetTimeoutOnProgress: true,
    });
    const answer = text(result);
    console.log(`stdio: ${model.calls.length} model calls; progress: ${progress.map((p) => p.message).join(" | ")}`);
    expect(answer).toMatch(/^Report \S+ is ready: 5 sessions summarized/);
    expect(model.calls.length).toBeGreaterThan(0);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)?.message).toMatch(/^Report ready/);
    // MCP: progress grows with every notification.
    for (let i = 1; i < progress.length; i += 1) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);

    const links = (result.content as Array<{ type: string; uri?: string }>).filter((part) => part.type === "resource_link").map((part) => part.uri);
    expect(links).toHaveLength(2);
    const listed = (await client.listResources()).resources.map((resource) => resource.uri);
    expect(listed).toEqual(expect.arrayContaining(links));

    const json = await client.readResource({ uri: links.find((uri) => uri!.endsWith(".json"))! });
    const report = JSON.parse((json.contents[0] as { text: string }).text);
    expect(report.title).toBe("Budgeted");
    expect(report.sessions.summarized).toHaveLength(5);
    const markdown = await client.readResource({ uri: links.find((uri) => uri!.endsWith(".md"))! });
    expect(markdown.contents[0]).toMatchObject({ mimeType: "text/markdown" });
    expect((markdown.contents[0] as { text: string }).text).toMatch(/^# Budgeted/);
  });

  it("offers the triage prompt", async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((prompt) => prompt.name)).toContain("triage_newest_issues");
    const prompt = await client.getPrompt({ name: "triage_newest_issues", arguments: { since: "Monday", limit: "3" } });
    const body = (prompt.messages[0]!.content as { text: string }).text;
    expect(body).toContain("project local");
    expect(body).toContain('since "Monday"');
    expect(body).toContain("list_issues");
  });
});
