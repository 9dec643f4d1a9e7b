import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipelineAnalyst } from "../../src/llm/model-analyst.ts";
import { escapeHtml } from "../../src/report/index.ts";
import { CountingSource, DATASET, startTestServer, tempDir, testConfig, type SseEvent, type TestServer } from "./server-client.ts";

/**
 * A conversation over real HTTP: the report is made by the chat agent's tool with progress streamed
 * as Server-Sent Events, follow-ups are answered from the thread's checkpointed state, and a new
 * server on the same SQLite file still has the thread and its report.
 */

const KEY = "conversation-key-0001";
let dir: { dir: string; remove(): Promise<void> };
/** Sessions the analyst summarized (cache hits are not summarized again): a pipeline run is work here. */
let summarizeCalls = 0;

/** The offline analyst, counting its summarize calls; the chat model is the offline one too. */
function countingAnalyst() {
  const base = createPipelineAnalyst(testConfig({ dataDir: dir.dir }));
  const analyst = Object.create(base) as typeof base;
  analyst.summarize = (...args) => {
    summarizeCalls += 1;
    return base.summarize(...args);
  };
  return analyst;
}

async function start(source: CountingSource): Promise<TestServer> {
  return startTestServer({
    dataDir: dir.dir,
    apiKeys: `${KEY}=shop`,
    server: { analyst: countingAnalyst(), sourceFor: () => source },
  });
}

const types = (events: SseEvent[]) => events.map((event) => event.event);

beforeAll(async () => {
  dir = await tempDir("server-conversation-");
});
afterAll(async () => {
  await dir.remove();
});

describe("a conversation over HTTP", () => {
  let threadId: string;
  let reportId: string;

  it("summarizes on request, streaming the tool call, progress in order and a final message with the report link", async () => {
    const source = CountingSource.ofDataset(DATASET);
    const server = await start(source);
    try {
      const created = await server.json("POST", "/api/threads", { key: KEY });
      expect(created.status).toBe(201);
      threadId = created.body.thread_id;
      expect(threadId).toMatch(/^[0-9a-f-]{36}$/);

      const stream = await server.chat(threadId, "summarize sessions with errors on checkout", KEY);
      expect(stream.status).toBe(200);
      expect(stream.contentType).toMatch(/^text\/event-stream/);
      const seen = types(stream.events);
      expect(seen).toContain("tool_call");
      expect(seen.at(-1)).toBe("final");
      expect(seen).not.toContain("error");

      const call = stream.events.find((event) => event.event === "tool_call")!;
      expect(call.json.name).toBe("summarize_sessions");
      // The tool call comes before its progress, its progress before its result, its result before the final message.
      const firstProgress = seen.indexOf("progress");
      const result = seen.indexOf("tool_result");
      expect(firstProgress).toBeGreaterThan(seen.indexOf("tool_call"));
      expect(result).toBeGreaterThan(seen.lastIndexOf("progress"));
      expect(seen.indexOf("final")).toBeGreaterThan(result);

      const progress = stream.events.filter((event) => event.event === "progress").map((event) => event.json);
      expect(progress.length).toBeGreaterThanOrEqual(2);
      for (const event of progress) expect(typeof event.message).toBe("string");
      // Sessions counted up, never down, and "Watching sessions N/M" reached its total.
      const watching = progress.filter((event) => typeof event.done === "number" && typeof event.total === "number" && event.stage === progress[0].stage);
      for (let i = 1; i < watching.length; i++) expect(watching[i].done).toBeGreaterThanOrEqual(watching[i - 1].done);
      expect(watching.length).toBeGreaterThan(0);
      expect(watching.at(-1).done).toBe(watching.at(-1).total);
      // Stages never go back: sessions, then patterns, then the report.
      const stageOrder = ["starting", "sessions", "extracting", "combining", "assigning", "reporting", "done"];
      const stages = progress.map((event) => stageOrder.indexOf(event.stage));
      expect(stages.every((index) => index >= 0)).toBe(true);
      for (let i = 1; i < stages.length; i++) expect(stages[i]).toBeGreaterThanOrEqual(stages[i - 1]!);
      expect(progress.at(-1).stage).toBe("done");

      const final = stream.events.at(-1)!.json;
      expect(final.report_id).toEqual(expect.any(String));
      reportId = final.report_id;
      expect(final.report_url).toBe(`/reports/${encodeURIComponent(reportId)}`);
      expect(final.message).toEqual(expect.any(String));
      expect(final.message.length).toBeGreaterThan(0);
      expect(source.eventReads).toBeGreaterThan(0);
      expect(summarizeCalls).toBeGreaterThan(0);

      const report = await server.json("GET", `/api/reports/${encodeURIComponent(reportId)}`, { key: KEY });
      expect(report.status).toBe(200);
      expect(report.body.status).toBe("done");
      expect(report.body.report.id).toBe(reportId);
      expect(report.body.report.patterns.length).toBeGreaterThan(0);

      const state = await server.json("GET", `/api/threads/${threadId}`, { key: KEY });
      expect(state.status).toBe(200);
      expect(state.body.thread_id).toBe(threadId);
      expect(state.body.report_id).toBe(reportId);
      expect(state.body.messages.length).toBeGreaterThanOrEqual(2);

      // A follow-up is answered from the thread's state: no session is read or summarized.
      const readsBefore = source.eventReads;
      const summarizedBefore = summarizeCalls;
      const followUp = await server.chat(threadId, "which pattern affects most sessions?", KEY);
      expect(types(followUp.events).at(-1)).toBe("final");
      expect(types(followUp.events)).not.toContain("progress");
      expect(followUp.events.some((event) => event.event === "tool_call" && event.json.name === "summarize_sessions")).toBe(false);
      const top = [...report.body.report.patterns].sort((a: any, b: any) => b.stats.sessions_affected - a.stats.sessions_affected)[0];
      expect(followUp.events.at(-1)!.json.message).toContain(top.name);
      expect(source.eventReads).toBe(readsBefore);
      expect(summarizeCalls).toBe(summarizedBefore);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("a new server on the same SQLite file still has the thread and its report, and answers another follow-up", async () => {
    const source = CountingSource.ofDataset(DATASET);
    const server = await start(source);
    try {
      const state = await server.json("GET", `/api/threads/${threadId}`, { key: KEY });
      expect(state.status).toBe(200);
      expect(state.body.report_id).toBe(reportId);
      const messagesBefore = state.body.messages.length;
      expect(messagesBefore).toBeGreaterThanOrEqual(4);

      const report = await server.json("GET", `/api/reports/${encodeURIComponent(reportId)}`, { key: KEY });
      expect(report.status).toBe(200);
      expect(report.body.status).toBe("done");
      expect(report.body.report.id).toBe(reportId);

      const page = await server.request("GET", `/reports/${encodeURIComponent(reportId)}?key=${KEY}`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(page.headers.get("referrer-policy")).toBe("no-referrer");
      const html = await page.text();
      expect(html).toContain(escapeHtml(report.body.report.patterns[0].name));

      const summarizedBefore = summarizeCalls;
      const followUp = await server.chat(threadId, "which pattern affects most sessions?", KEY);
      expect(types(followUp.events).at(-1)).toBe("final");
      expect(types(followUp.events)).not.toContain("error");
      expect(types(followUp.events)).not.toContain("progress");
      expect(followUp.events.some((event) => event.event === "tool_call" && event.json.name === "summarize_sessions")).toBe(false);
      const top = [...report.body.report.patterns].sort((a: any, b: any) => b.stats.sessions_affected - a.stats.sessions_affected)[0];
      expect(followUp.events.at(-1)!.json.message).toContain(top.name);
      expect(source.eventReads).toBe(0);
      expect(summarizeCalls).toBe(summarizedBefore);

      const after = await server.json("GET", `/api/threads/${threadId}`, { key: KEY });
      expect(after.body.messages.length).toBeGreaterThan(messagesBefore);
    } finally {
      await server.close();
    }
  }, 60_000);
});
