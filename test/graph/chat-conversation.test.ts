import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BaseMessage } from "@langchain/core/messages";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileChatGraph, readChatThread, streamChatTurn, type ChatStreamEvent } from "../../graph/chat/index.ts";
import { createPipelineAnalyst } from "../../src/llm/model-analyst.ts";
import { createPipeline } from "../../graph/pipeline.ts";
import { messageText } from "../../src/llm/structured/messages.ts";
import { readConfig } from "../../src/config/env.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { createCheckpointer } from "../../src/store/checkpointer.ts";
import { FilesystemBlobStore } from "../../src/store/filesystem-blob-store.ts";
import type { ScriptedCall } from "../fakes/scripted-model.ts";
import { ScriptedToolChatModel, toolCall } from "../fakes/scripted-tool-model.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATASET = path.join(ROOT, "examples/dataset");
const THREAD = "chat:acme:t1";
const config = readConfig({});
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ss-chat-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lastOf = (messages: BaseMessage[]) => messages.at(-1)!;
const systemOf = (call: ScriptedCall) => call.system;

/** The scripted agent: a tool call for each request, an answer quoting the tool's first line after it. */
function script(call: ScriptedCall): string {
  const last = lastOf(call.messages);
  const text = messageText(last);
  if (last.getType() === "tool") return `From the tools: ${text.split("\n")[0]}`;
  if (text.startsWith("summarize twenty")) return toolCall("summarize_sessions", { limit: 20, title: "Twenty sessions" });
  if (text.startsWith("summarize")) return toolCall("summarize_sessions", { has_exception: true, visited_url_contains: "checkout", title: "Checkout errors" });
  if (text.startsWith("which pattern")) return toolCall("get_pattern", { rank: "most_sessions" });
  if (text.startsWith("show pattern")) return toolCall("get_pattern", { pattern_id: 1, examples: 1 });
  return "I don't know.";
}

/** A chat graph for project `acme` on the SQLite file and blob directory of `dir`, counting report work. */
async function open(store = dir, sessionConcurrency?: number) {
  const checkpointer = await createCheckpointer({ kind: "sqlite", file: path.join(store, "checkpoints.sqlite") });
  const blobs = new FilesystemBlobStore(path.join(store, "blobs"));
  const base = createPipelineAnalyst(config);
  const counts = { summaries: 0 };
  const analyst = Object.create(base) as typeof base;
  analyst.summarize = (...args) => {
    counts.summaries += 1;
    return base.summarize(...args);
  };
  const pipeline = await createPipeline({ config, source: new DatasetSource(DATASET), project: "acme", blobs, checkpointer: checkpointer.saver, analyst, validation: "off" });
  const model = new ScriptedToolChatModel({ role: "chat", script });
  const graph = compileChatGraph({
    runtime: pipeline.runtime,
    config,
    ...(sessionConcurrency ? { reports: { sessionConcurrency } } : {}),
    checkpointer: checkpointer.saver,
    models: { factory: ({ role }) => (role === "chat" ? model : undefined) },
  });
  return {
    graph,
    model,
    counts,
    analyst,
    checkpointer,
    async close() {
      await pipeline.close();
      await checkpointer.close();
      await blobs.close();
    },
  };
}

async function turn(graph: Awaited<ReturnType<typeof open>>["graph"], message: string): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of streamChatTurn(graph, { threadId: THREAD, message })) events.push(event);
  return events;
}

const STAGE_ORDER = ["sessions", "extracting", "combining", "assigning", "reporting", "done"];

describe("a conversation with the chat graph on a SQLite checkpointer", () => {
  it("makes a report with progress, answers follow-ups from state, and survives a restart", async () => {
    const first = await open();
    let reportId: string;
    try {
      const events = await turn(first.graph, "summarize sessions with errors on checkout");
      expect(events.filter((e) => e.type === "error")).toEqual([]);
      const types = events.map((e) => e.type);
      // tool call → progress while the report runs → the tool's result → the answer → final
      expect(types[0]).toBe("tool_call");
      expect(events[0]).toEqual({ type: "tool_call", name: "summarize_sessions", args: { has_exception: true, visited_url_contains: "checkout", title: "Checkout errors" } });
      const resultAt = types.indexOf("tool_result");
      const progress = events.slice(1, resultAt);
      expect(progress.length).toBeGreaterThan(10);
      expect(progress.every((e) => e.type === "progress")).toBe(true);
      const messages = progress.map((e) => (e as { message: string }).message);
      expect(messages[0]).toMatch(/^Watching sessions 0\/(\d+)$/);
      const total = Number(/\/(\d+)$/.exec(messages[0]!)![1]);
      expect(total).toBeGreaterThan(5);
      expect(messages).toContain(`Watching sessions ${total}/${total}`);
      expect(messages).toContain("Writing the report");
      expect(messages.at(-1)).toMatch(/^Report ready: \d+ patterns?$/);
      const stages = progress.map((e) => STAGE_ORDER.indexOf((e as { stage: string }).stage));
      expect(stages).toEqual([...stages].sort((a, b) => a - b));
      const sessionCounts = progress.filter((e) => (e as { stage: string }).stage === "sessions").map((e) => (e as { done: number }).done);
      expect(sessionCounts).toEqual(Array.from({ length: total + 1 }, (_, i) => i));

      const final = events.at(-1)!;
      expect(final.type).toBe("final");
      reportId = (final as { report_id: string }).report_id;
      expect(reportId).toMatch(/^report-/);
      expect((final as { message: string }).message).toContain(`Report ${reportId} is ready: ${total} sessions summarized`);
      expect(types.slice(resultAt)).toEqual(["tool_result", "token", "final"]);
      expect(first.counts).toEqual({ summaries: total });

      // The follow-up: the state's report digest is in the prompt, a drill-down tool answers.
      const before = { ...first.counts };
      const followUp = await turn(first.graph, "which pattern affects most sessions?");
      expect(followUp.map((e) => e.type)).toEqual(["tool_call", "tool_result", "token", "final"]);
      expect((followUp.at(-1) as { message: string }).message).toMatch(
        new RegExp(`^From the tools: Pattern \\d+ of report ${reportId} \\(it affects the most sessions of \\d+ patterns\\): \\d+ of ${total} sessions affected`),
      );
      expect(first.counts).toEqual(before);
      expect(systemOf(first.model.calls.at(-2)!)).toContain(`Latest report: ${reportId}, ${total} sessions summarized`);
      expect(first.model.boundTools.sort()).toEqual(["find_sessions", "get_pattern", "get_session_summary", "list_patterns", "search_summaries", "summarize_sessions"]);
    } finally {
      await first.close();
    }

    // Restart: a new process would open the same files.
    const second = await open();
    try {
      const thread = await readChatThread(second.graph, THREAD);
      expect(thread?.report_id).toBe(reportId);
      expect(thread?.report_ids).toEqual([reportId]);
      expect(thread?.report_summary?.patterns.length).toBeGreaterThan(0);
      expect(thread?.messages.map((m) => m.role)).toEqual(["user", "tool", "assistant", "user", "tool", "assistant"]);
      const again = await turn(second.graph, "show pattern 1");
      expect((again.at(-1) as { message: string }).message).toMatch(new RegExp(`^From the tools: Pattern 1 of report ${reportId}:`));
      expect(second.counts).toEqual({ summaries: 0 });
      expect(await readChatThread(second.graph, "chat:acme:unknown")).toBeUndefined();
    } finally {
      await second.close();
    }
  }, 60_000);

  it("runs the report graph as a subgraph of the chat: its nodes stream inside the chat run and checkpoint into the chat thread", async () => {
    const chat = await open();
    try {
      const thread = { configurable: { thread_id: "chat:acme:subgraph" } };
      const seen = new Set<string>();
      const stream = await chat.graph.stream({ messages: [{ role: "user", content: "summarize sessions with errors on checkout" }] }, { ...thread, streamMode: "updates", subgraphs: true });
      for await (const [namespace, update] of stream as AsyncIterable<[string[], Record<string, unknown>]>) {
        for (const node of Object.keys(update)) seen.add(`${namespace.map((part) => part.split(":")[0]).join("/") || "chat"}:${node}`);
      }
      expect([...seen]).toEqual(
        expect.arrayContaining([
          "chat:agent",
          "chat:tools",
          "make_report:resolve_sessions",
          "make_report/session:load",
          "make_report/session:finalize",
          "make_report:gather",
          "make_report:build_report",
          "chat:make_report",
        ]),
      );
      // One thread holds both: the report's checkpoints are in a namespace of the chat thread.
      const namespaces = new Set<string>();
      for await (const saved of chat.checkpointer.saver.list({ configurable: { thread_id: "chat:acme:subgraph" } }))
        namespaces.add(String(saved.config.configurable?.checkpoint_ns ?? "").split(":")[0]!);
      expect(namespaces).toEqual(new Set(["", "make_report"]));
      const state = await chat.graph.getState(thread);
      expect(state.values.report_request).toBeNull();
      expect(state.values.report?.report_id).toMatch(/^report-/);
    } finally {
      await chat.close();
    }
  }, 60_000);

  const CONCURRENCY = 2;
  const STOP_AFTER = 6;
  it("a turn stopped mid-report by a shutdown is finished by the next message: same report, finished sessions not redone", async () => {
    // Stores of its own: no summary is cached yet.
    const chat = await open(await mkdtemp(path.join(dir, "stopped-")), CONCURRENCY);
    const threadId = "chat:acme:stopped";
    const summarized: string[] = [];
    const shutdown = new AbortController();
    const analyst = chat.analyst;
    const summarize = analyst.summarize.bind(analyst);
    analyst.summarize = async (input, ...rest) => {
      summarized.push(input.encoded.sessionId);
      if (summarized.length === STOP_AFTER) shutdown.abort(new Error("shutting down"));
      return summarize(input, ...rest);
    };
    try {
      const first: ChatStreamEvent[] = [];
      for await (const event of streamChatTurn(chat.graph, { threadId, message: "summarize twenty sessions", signal: shutdown.signal, resumeAfterAbort: () => true })) first.push(event);
      expect(first.at(-1)).toMatchObject({ type: "error", code: "aborted" });
      const doneBefore = new Set(summarized);
      const stopped = await chat.graph.getState({ configurable: { thread_id: threadId } });
      expect(stopped.next).toEqual(["make_report"]);
      const reportId = stopped.values.report_request!.report_id;

      const next: ChatStreamEvent[] = [];
      for await (const event of streamChatTurn(chat.graph, { threadId, message: "which pattern affects most sessions?" })) next.push(event);
      expect(next.filter((e) => e.type === "error")).toEqual([]);
      expect(next[0]).toEqual({
        type: "progress",
        stage: "resuming",
        message: expect.stringMatching(new RegExp(`^Finishing report ${reportId}, stopped before it was done: \\d+ of 20 sessions were done$`)),
      });
      const result = next.find((e) => e.type === "tool_result" && e.name === "summarize_sessions") as { content: string };
      expect(result.content).toContain(`Report ${reportId} is ready`);
      const total = Number(/is ready: (\d+) sessions/.exec(result.content)![1]);
      // Sessions finished before the stop are not summarized again; those in flight may be.
      const after = summarized.slice(doneBefore.size);
      expect(new Set(summarized).size).toBe(total);
      expect(doneBefore.size).toBe(STOP_AFTER);
      expect(total).toBeGreaterThan(STOP_AFTER + CONCURRENCY);
      expect(after.filter((id) => doneBefore.has(id)).length).toBeLessThanOrEqual(CONCURRENCY);
      expect(summarized.length).toBeLessThanOrEqual(total + CONCURRENCY);
      expect((next.at(-1) as { report_id?: string }).report_id).toBe(reportId);
      const thread = await readChatThread(chat.graph, threadId);
      expect(thread?.report_ids).toEqual([reportId]);
      expect(thread?.messages.map((m) => m.role)).toEqual(["user", "tool", "assistant", "user", "tool", "assistant"]);
    } finally {
      await chat.close();
    }
  }, 60_000);

  it("a turn the person stops mid-report answers the report cancelled; the next message starts afresh", async () => {
    const chat = await open(await mkdtemp(path.join(dir, "cancelled-")));
    const threadId = "chat:acme:cancelled";
    const stop = new AbortController();
    const analyst = chat.analyst;
    const summarize = analyst.summarize.bind(analyst);
    let calls = 0;
    analyst.summarize = async (...args) => {
      if (++calls === 2) stop.abort(new Error("Ctrl-C"));
      return summarize(...args);
    };
    try {
      for await (const _ of streamChatTurn(chat.graph, { threadId, message: "summarize sessions with errors on checkout", signal: stop.signal })) void _;
      const state = await chat.graph.getState({ configurable: { thread_id: threadId } });
      expect(state.values.report_request).toBeNull();
      expect(messageText(state.values.messages.at(-1)!)).toMatch(/^The report report-\S+ was cancelled: the turn was interrupted\.$/);
      const next: ChatStreamEvent[] = [];
      for await (const event of streamChatTurn(chat.graph, { threadId, message: "which pattern affects most sessions?" })) next.push(event);
      expect(next.map((e) => e.type)).toEqual(["tool_call", "tool_result", "token", "final"]);
      expect((next.at(-1) as { message: string }).message).toContain("There is no report in this conversation yet");
    } finally {
      await chat.close();
    }
  }, 60_000);
});
