import path from "node:path";
import { fileURLToPath } from "node:url";
import { AIMessage, type BaseMessage, type ToolMessage } from "@langchain/core/messages";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileChatGraph, streamChatTurn, type ChatGraph, type ChatStreamEvent } from "../../graph/chat/index.ts";
import { answerInterruptedToolCalls, unansweredToolCalls } from "../../graph/chat/nodes/agent.ts";
import { createPipeline, type Pipeline } from "../../graph/pipeline.ts";
import { messageText } from "../../src/llm/structured/messages.ts";
import { readConfig } from "../../src/config/env.ts";
import { createCheckpointer, type Checkpointer } from "../../src/store/checkpointer.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { GatedSource } from "../e2e/server-client.ts";
import type { ScriptedCall } from "../fakes/scripted-model.ts";
import { ScriptedToolChatModel, toolCall } from "../fakes/scripted-tool-model.ts";

/**
 * A turn cancelled while a tool runs (client gone, shutdown, step limit) must not leave the thread
 * with a tool call nobody answered: providers refuse such histories, so every later turn would fail.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATASET = path.join(ROOT, "examples/dataset");
const THREAD = "local/chat/cancel-1";
let checkpointer: Checkpointer;
let pipeline: Pipeline;
let source: GatedSource;
let graph: ChatGraph;

/** Like a provider: a history with an unanswered tool call is an error, not a reply. */
function script(call: ScriptedCall): string | { error: Error } {
  const orphans = unansweredToolCalls(call.messages);
  if (orphans.length > 0) return { error: new Error(`400 tool_call_ids did not have response messages: ${orphans.map((c) => c.id).join(", ")}`) };
  const last = call.messages.at(-1)!;
  if (last.getType() === "tool") return `From the tools: ${messageText(last).split("\n")[0]}`;
  if (messageText(last).startsWith("find")) return toolCall("find_sessions", { visited_url_contains: "checkout" });
  return "Hello again.";
}

beforeAll(async () => {
  checkpointer = await createCheckpointer({ kind: "memory" });
  source = GatedSource.ofDataset(DATASET);
  const config = readConfig({});
  pipeline = await createPipeline({ config, source, project: "local", blobs: new MemoryBlobStore(), checkpointer: checkpointer.saver, validation: "off" });
  const model = new ScriptedToolChatModel({ role: "chat", script });
  graph = compileChatGraph({ runtime: pipeline.runtime, config, checkpointer: checkpointer.saver, models: { factory: ({ role }) => (role === "chat" ? model : undefined) } });
});
afterAll(async () => {
  source.open();
  await pipeline.close();
  await checkpointer.close();
});

async function turn(message: string, signal?: AbortSignal): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of streamChatTurn(graph, { threadId: THREAD, message, ...(signal ? { signal } : {}) })) events.push(event);
  return events;
}

async function messages(): Promise<BaseMessage[]> {
  return ((await graph.getState({ configurable: { thread_id: THREAD } })).values as { messages: BaseMessage[] }).messages;
}

describe("a turn cancelled while a tool runs", () => {
  it("aborts the tool's reads, and the next turn answers the interrupted call and works", async () => {
    const controller = new AbortController();
    const cancelled = turn("find sessions on checkout", controller.signal);
    await source.untilWaiting();
    controller.abort(new Error("the client left"));
    const events = await cancelled;
    expect(events.at(-1)).toMatchObject({ type: "error", code: "aborted" });
    // The tool saw the signal: its read waiting at the gate was aborted, not left hanging.
    for (let i = 0; i < 50 && source.abortedReads === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(source.abortedReads).toBeGreaterThan(0);
    // The checkpoint stopped after the agent's tool call.
    expect(unansweredToolCalls(await messages())).toHaveLength(1);

    source.open();
    const next = await turn("hello");
    expect(next.filter((e) => e.type === "error")).toEqual([]);
    expect(next.at(-1)).toMatchObject({ type: "final", message: "Hello again." });
    const after = await messages();
    expect(unansweredToolCalls(after)).toEqual([]);
    const answer = after.find((m) => m.getType() === "tool") as ToolMessage;
    expect(messageText(answer)).toBe("cancelled: the previous turn was interrupted");
    expect(answer.name).toBe("find_sessions");
    // In order: the call, its answer, then the new request.
    expect(after.map((m) => m.getType())).toEqual(["human", "ai", "tool", "human", "ai"]);
  }, 30_000);

  it("answerInterruptedToolCalls answers only the calls without a tool message", () => {
    const history = [
      new AIMessage({
        content: "",
        tool_calls: [
          { id: "a", name: "get_pattern", args: {} },
          { id: "b", name: "find_sessions", args: {} },
        ],
      }),
    ];
    const answers = answerInterruptedToolCalls(history);
    expect(answers.map((m) => [m.tool_call_id, m.name])).toEqual([
      ["a", "get_pattern"],
      ["b", "find_sessions"],
    ]);
    expect(answerInterruptedToolCalls([...history, ...answers])).toEqual([]);
  });
});
