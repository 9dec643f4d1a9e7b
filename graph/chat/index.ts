import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { AppConfig } from "../../src/config/env.ts";
import { SessionSummariesError } from "../../src/domain/errors.ts";
import type { Report } from "../../src/domain/report.ts";
import type { ReportRuns } from "../../src/service/report-runs.ts";
import type { LoadModelOptions } from "../models.ts";
import type { Pipeline } from "../pipeline.ts";
import { messageText } from "../structured.ts";
import { buildChatGraph } from "./graph.ts";
import { answerInterruptedToolCalls } from "./nodes/agent.ts";
import { isChatProgressEvent } from "./progress.ts";
import type { ChatStateType, ReportDigest } from "./state.ts";

export { buildChatGraph } from "./graph.ts";
export type { ChatStateType, ReportDigest, PatternDigest } from "./state.ts";

/** What the chat graph works with; one per project. */
export interface ChatDeps {
  /** The project every tool reads and every report run is filed under. */
  project: string;
  /** The project's report pipeline (its source, blob store, summary cache). */
  pipeline: Pipeline;
  runs: ReportRuns;
  config: AppConfig;
  /** Model construction for role `chat` (tests: a factory returning a scripted model). */
  models?: LoadModelOptions;
  /** Without one the graph keeps no thread state (Studio brings its own). */
  checkpointer?: BaseCheckpointSaver;
  /** Details of unexpected tool failures; default stderr. */
  log?: (line: string) => void;
  /** Where a person opens a report (the served page, or the terminal's report.html); answers about a report name it. */
  reportLocation?: (report: Report) => Promise<string | undefined>;
}

export type ChatGraph = ReturnType<typeof compileChatGraph>;

export function compileChatGraph(deps: ChatDeps) {
  return buildChatGraph(deps).compile(deps.checkpointer ? { checkpointer: deps.checkpointer } : {});
}

/** One turn's stream, as the API writes it (SSE `event: <type>`, `data: <json>`) and the terminal prints it. */
export type ChatStreamEvent =
  | { type: "token"; text: string }
  | { type: "progress"; message: string; stage: string; done?: number; total?: number }
  | { type: "tool_call"; name: string; args: Record<string, unknown> }
  | { type: "tool_result"; name: string; content: string }
  | { type: "final"; message: string; report_id?: string }
  | { type: "error"; code: string; message: string };

export interface ChatTurnInput {
  /** The full checkpoint thread id (callers namespace it by project). */
  threadId: string;
  message: string;
  signal?: AbortSignal;
  /** Where details of an unexpected failure go (the stream says only that it failed); default stderr. */
  log?: (line: string) => void;
}

/** Steps of one turn: the agent and the tools alternate; more means the agent is looping. */
const MAX_TURN_STEPS = 25;

/**
 * Runs one user message through the chat graph and yields what happens: tokens of the answer,
 * tool calls and results, report progress, then `final` (or `error`). Never throws.
 */
export async function* streamChatTurn(graph: ChatGraph, input: ChatTurnInput): AsyncIterable<ChatStreamEvent> {
  const config = { configurable: { thread_id: input.threadId } };
  try {
    await answerInterruptedTurn(graph, config);
    const stream = await graph.stream(
      { messages: [new HumanMessage(input.message)] },
      { ...config, streamMode: ["messages", "updates", "custom"], recursionLimit: MAX_TURN_STEPS, ...(input.signal ? { signal: input.signal } : {}) },
    );
    for await (const [mode, chunk] of stream as AsyncIterable<[string, unknown]>) {
      if (mode === "custom") {
        if (isChatProgressEvent(chunk)) {
          const { message, stage, done, total } = chunk;
          yield { type: "progress", message, stage, ...(done === undefined ? {} : { done }), ...(total === undefined ? {} : { total }) };
        }
      } else if (mode === "messages") {
        const [message, metadata] = chunk as [BaseMessage, { langgraph_node?: string }];
        if (metadata?.langgraph_node !== "agent" || message.getType() !== "ai") continue;
        const text = messageText(message);
        if (text) yield { type: "token", text };
      } else if (mode === "updates") {
        for (const message of updatedMessages(chunk)) {
          if (message instanceof AIMessage || message.getType() === "ai") {
            for (const call of (message as AIMessage).tool_calls ?? []) yield { type: "tool_call", name: call.name, args: call.args };
          } else if (message.getType() === "tool") {
            yield { type: "tool_result", name: (message as ToolMessage).name ?? "tool", content: messageText(message) };
          }
        }
      }
    }
    const state = await graph.getState(config);
    const values = state.values as ChatStateType;
    const last = [...(values.messages ?? [])].reverse().find((m) => m.getType() === "ai");
    yield { type: "final", message: last ? messageText(last) : "", ...(values.report ? { report_id: values.report.report_id } : {}) };
  } catch (error) {
    const described = describeTurnError(error, input.signal);
    if (described.code === "chat_failed") {
      const log = input.log ?? ((line: string) => process.stderr.write(`${line}\n`));
      log(`chat turn of thread ${input.threadId} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    yield { type: "error", ...described };
  }
}

/**
 * A turn cut short while its tools ran (client gone, shutdown, step limit) left the agent's tool
 * calls unanswered in the checkpoint; providers reject such a history, so they are answered
 * "cancelled" — written as the tools' step, so the graph goes on from the agent as usual.
 */
async function answerInterruptedTurn(graph: ChatGraph, config: { configurable: { thread_id: string } }): Promise<void> {
  const state = await graph.getState(config);
  const messages = (state.values as Partial<ChatStateType>).messages ?? [];
  const answers = answerInterruptedToolCalls(messages);
  if (answers.length > 0) await graph.updateState(config, { messages: answers }, "tools");
}

function describeTurnError(error: unknown, signal?: AbortSignal): { code: string; message: string } {
  if (signal?.aborted) return { code: "aborted", message: "the turn was cancelled" };
  if (error instanceof SessionSummariesError) return { code: error.code, message: error.message };
  const name = error instanceof Error ? error.name : "";
  if (name === "GraphRecursionError") return { code: "too_many_steps", message: `the agent took more than ${MAX_TURN_STEPS} steps without answering` };
  // Anything else may name files, hosts or provider responses: its details go to the log only.
  return { code: "chat_failed", message: "the turn failed unexpectedly: the details are in the log" };
}

/** Messages in an `updates` chunk: `{ node: { messages: [...] } }`, where a node may return a list of updates (tools returning commands). */
function updatedMessages(chunk: unknown): BaseMessage[] {
  const found: BaseMessage[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      const messages = (value as { messages?: unknown }).messages;
      if (Array.isArray(messages)) {
        for (const m of messages) if (isMessage(m)) found.push(m);
      } else if (isMessage(messages)) {
        found.push(messages);
      }
      const update = (value as { update?: unknown }).update;
      if (update) visit(update);
    }
  };
  for (const nodeUpdate of Object.values((chunk ?? {}) as Record<string, unknown>)) visit(nodeUpdate);
  return found;
}

function isMessage(value: unknown): value is BaseMessage {
  return typeof (value as BaseMessage | null)?.getType === "function";
}

/** A thread as the API returns it. */
export interface ChatThreadView {
  thread_id: string;
  messages: Array<{ role: "user" | "assistant" | "tool"; content: string; name?: string }>;
  report_id?: string;
  report_summary?: ReportDigest;
  report_ids: string[];
}

/** The thread's transcript and latest report, or undefined when it has no checkpoint. */
export async function readChatThread(graph: ChatGraph, threadId: string): Promise<ChatThreadView | undefined> {
  const state = await graph.getState({ configurable: { thread_id: threadId } });
  const values = state.values as Partial<ChatStateType>;
  if (!state.createdAt && !values.messages) return undefined;
  const messages: ChatThreadView["messages"] = [];
  for (const message of values.messages ?? []) {
    const type = message.getType();
    const content = messageText(message);
    if (type === "human") messages.push({ role: "user", content });
    else if (type === "ai") {
      if (content) messages.push({ role: "assistant", content });
    } else if (type === "tool") messages.push({ role: "tool", content, name: (message as ToolMessage).name ?? "tool" });
  }
  return {
    thread_id: threadId,
    messages,
    ...(values.report ? { report_id: values.report.report_id, report_summary: values.report } : {}),
    report_ids: values.report_ids ?? [],
  };
}
