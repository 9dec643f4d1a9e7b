import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenMcpHttp, type RunningMcpHttp } from "../../src/mcp/http.ts";
import { openMcpServices, type OpenMcpServices } from "../../src/mcp/services.ts";
import { resolveServerProjects } from "../../src/server/projects.ts";
import { FakeOpenAiServer } from "../fakes/openai-server.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { MonitorDefinitionSchema } from "../../src/domain/monitor.ts";
import { openWatchStore } from "../../src/watch/store/open.ts";
import type { WatchStore } from "../../src/watch/store/types.ts";
import { SAMPLE, tempDir, testConfig } from "./server-client.ts";

/**
 * `mcp --http`: Streamable HTTP with the API's keys. Two projects on one server: a call needs a key,
 * runs in its key's project only, and a report that spends model budget (models on an
 * OpenAI-compatible fake) needs `confirm: true`. With the offline analyst a report costs nothing and
 * runs at once.
 */

const KEY_A = "mcp-alpha-key-000001";
const KEY_B = "mcp-beta-key-0000002";

interface McpHttp {
  server: RunningMcpHttp;
  open: OpenMcpServices;
  watch: WatchStore;
  close(): Promise<void>;
}

async function startMcpHttp(dataDir: string, env: Record<string, string>): Promise<McpHttp> {
  const config = testConfig({ dataDir, env });
  const { projects, auth } = await resolveServerProjects({ config, host: "127.0.0.1", dataset: SAMPLE });
  const logger = silentLogger();
  const watch = await openWatchStore(config);
  const open = await openMcpServices({ config, projects, logger, watch });
  const server = await listenMcpHttp({ services: open.services, auth, config, logger, host: "127.0.0.1", port: 0 });
  return {
    server,
    open,
    watch,
    async close() {
      await server.close();
      await open.close();
      await watch.close();
    },
  };
}

async function connect(url: string, key?: string): Promise<Client> {
  const client = new Client({ name: "mcp-http-test", version: "1.0.0" });
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

function text(result: Awaited<ReturnType<Client["callTool"]>>): string {
  return (result.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? "").join("\n");
}

const INITIALIZE = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };

describe("mcp over HTTP with API keys and a model", () => {
  let dir: { dir: string; remove(): Promise<void> };
  let model: FakeOpenAiServer;
  let mcp: McpHttp;
  let alpha: Client;
  let beta: Client;
  let reportUris: string[] = [];

  beforeAll(async () => {
    dir = await tempDir("mcp-http-");
    model = await new FakeOpenAiServer().start();
    mcp = await startMcpHttp(dir.dir, {
      SESSION_SUMMARIES_API_KEYS: `${KEY_A}=alpha,${KEY_B}=beta`,
      OPENAI_API_KEY: "test-key",
      OPENAI_BASE_URL: model.url,
      SESSION_SUMMARIES_SUMMARIZER: "openai:fake-summarizer",
      SESSION_SUMMARIES_REASONER: "openai:fake-reasoner",
    });
    alpha = await connect(mcp.server.url, KEY_A);
    beta = await connect(mcp.server.url, KEY_B);
  }, 60_000);

  afterAll(async () => {
    await alpha?.close();
    await beta?.close();
    await mcp?.close();
    await model?.close();
    await dir?.remove();
  });

  it("answers 401 without a key or with an unknown one", async () => {
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const missing = await fetch(mcp.server.url, { method: "POST", headers, body: JSON.stringify(INITIALIZE) });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("missing_api_key");
    const wrong = await fetch(mcp.server.url, { method: "POST", headers: { ...headers, authorization: "Bearer not-a-known-key-123" }, body: JSON.stringify(INITIALIZE) });
    expect(wrong.status).toBe(401);
    await expect(connect(mcp.server.url)).rejects.toThrow();
  });

  it("lists the tools and finds sessions", async () => {
    const names = (await alpha.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["find_sessions", "summarize_sessions", "list_patterns", "get_pattern", "get_session_summary", "search_summaries"]));
    expect(text(await alpha.callTool({ name: "find_sessions", arguments: { limit: 3 } }))).toMatch(/^3 sessions match/);
  });

  it("refuses a report that spends budget without confirmation, runs it with confirm: true and streams its progress", async () => {
    const refused = text(await alpha.callTool({ name: "summarize_sessions", arguments: { limit: 5, title: "Alpha report" } }));
    expect(refused).toContain("Not run: this report spends model budget");
    expect(model.calls).toHaveLength(0);

    const progress: Progress[] = [];
    const result = await alpha.callTool({ name: "summarize_sessions", arguments: { limit: 5, title: "Alpha report", confirm: true } }, undefined, { onprogress: (update) => progress.push(update) });
    console.log(`http: ${model.calls.length} model calls; progress: ${progress.map((p) => p.message).join(" | ")}`);
    expect(text(result)).toMatch(/^Report \S+ is ready: 5 sessions summarized/);
    expect(model.calls.length).toBeGreaterThan(0);
    expect(progress.at(-1)?.message).toMatch(/^Report ready/);
    reportUris = (result.content as Array<{ type: string; uri?: string }>).filter((part) => part.type === "resource_link").map((part) => part.uri!);
    expect(reportUris).toHaveLength(2);

    const markdown = await alpha.readResource({ uri: reportUris.find((uri) => uri.endsWith(".md"))! });
    expect((markdown.contents[0] as { text: string }).text).toMatch(/^# Alpha report/);
    expect((await alpha.listResources()).resources.map((resource) => resource.uri)).toEqual(expect.arrayContaining(reportUris));
  });

  it("refuses a monitor's backfill without confirmation, and runs it with confirm: true", async () => {
    await mcp.watch.createMonitor("alpha", MonitorDefinitionSchema.parse({ name: "Checkout watch" }), new Date());
    const callsBefore = model.calls.length;
    const refused = text(await alpha.callTool({ name: "backfill_monitor", arguments: { monitor: "Checkout watch", since: "2024-01-01" } }));
    expect(refused).toContain("Not run: this backfill spends model budget");
    expect(refused).toMatch(/5 sessions: about \d+ model calls/);
    expect(model.calls.length).toBe(callsBefore);
    // B has no such monitor: the same answer as for one that does not exist.
    expect(text(await beta.callTool({ name: "backfill_monitor", arguments: { monitor: "Checkout watch", since: "2024-01-01", confirm: true } }))).toContain("There is no monitor");

    const done = text(await alpha.callTool({ name: "backfill_monitor", arguments: { monitor: "Checkout watch", since: "2024-01-01", confirm: true } }));
    console.log(`backfill: ${done}`);
    expect(done).toMatch(/since .*: \w+, 5 sessions/);
    expect(model.calls.length).toBeGreaterThan(callsBefore);
  });

  it("keeps projects apart: B neither lists nor reads A's report", async () => {
    expect(reportUris).toHaveLength(2);
    expect((await beta.listResources()).resources).toEqual([]);
    for (const uri of reportUris) await expect(beta.readResource({ uri })).rejects.toThrow(/no report/);
    const reportId = /^report:\/\/(.+)\.json$/.exec(reportUris.find((uri) => uri.endsWith(".json"))!)![1]!;
    const fromB = text(await beta.callTool({ name: "list_patterns", arguments: { report_id: decodeURIComponent(reportId) } }));
    expect(fromB).toContain("no finished report");
    const fromA = text(await alpha.callTool({ name: "list_patterns", arguments: { report_id: decodeURIComponent(reportId) } }));
    expect(fromA).not.toContain("no finished report");
  });
});

describe("mcp over HTTP with the offline analyst", () => {
  let dir: { dir: string; remove(): Promise<void> };
  let mcp: McpHttp;

  beforeAll(async () => {
    dir = await tempDir("mcp-http-offline-");
    // No key at all: one local project, loopback only (as `serve`).
    mcp = await startMcpHttp(dir.dir, {});
  }, 60_000);

  afterAll(async () => {
    await mcp?.close();
    await dir?.remove();
  });

  it("runs a report at once: it costs nothing, so no confirmation is asked", async () => {
    const client = await connect(mcp.server.url);
    try {
      const answer = text(await client.callTool({ name: "summarize_sessions", arguments: { limit: 5 } }));
      expect(answer).toMatch(/^Report \S+ is ready: 5 sessions summarized by offline analyst/);
      expect(answer).toContain("no confirmation was needed");
    } finally {
      await client.close();
    }
  });
});
