import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { SessionSummariesError } from "../../src/domain/errors.ts";
import { messageText } from "../../src/llm/structured/messages.ts";
import type { ChatDeps } from "./deps.ts";
import { buildChatGraph } from "./graph.ts";
import { answerInterruptedToolCalls } from "./nodes/agent.ts";
import type { ChatStateType, ChatStateUpdate } from "./state.ts";
import type { SessionResult } from "../session/state.ts";
import type { SummarizeStateType } from "../summarize/state.ts";
import type { ReportDigest } from "../../src/domain/report-digest.ts";
import type { ReportRequest } from "../../src/domain/report-request.ts";
import { RunProgressTracker } from "../../src/runtime/progress.ts";
import { isRunEvent, type RunEvent } from "../../src/domain/progress.ts";
import { PRELIMINARY_LIMITS, PreliminaryIssues, preliminaryHeading, preliminaryIssueLines, type PreliminaryIssueList } from "../../src/report/preliminary.ts";
import { createLogger, type Logger } from "../../src/log/logger.ts";

export { buildChatGraph } from "./graph.ts";
export type { ChatDeps } from "./deps.ts";
export type { ChatStateType } from "./state.ts";

export type ChatGraph = ReturnType<typeof compileChatGraph>;

export function compileChatGraph(deps: ChatDeps) {
  return buildChatGraph(deps).compile(deps.checkpointer ? { checkpointer: deps.checkpointer } : {});
}

/** One turn's stream, as the API writes it (SSE `event: <type>`, `data: <json>`) and the terminal prints it. */
export type ChatStreamEvent =
  | { type: "token"; text: string }
  | { type: "progress"; message: string; stage: string; done?: number; total?: number }
  /** Issues triage saw while a report runs, before any model read the sessions; the report (and the `final` answer) replaces them. */
  | ({ type: "preliminary"; message: string } & PreliminaryIssueList)
  | { type: "tool_call"; name: string; args: Record<string, unknown> }
  | { type: "tool_result"; name: string; content: string }
  | { type: "final"; message: string; report_id?: string }
  | { type: "error"; code: string; message: string };

export interface ChatTurnInput {
  /** The full checkpoint thread id (callers namespace it by project). */
  threadId: string;
  message: string;
  signal?: AbortSignal;
  /**
   * Whether a report stopped by this abort reason is finished by the next turn (a server shutting
   * down) rather than answered "cancelled" (the person stopped the turn, or the client went away).
   */
  resumeAfterAbort?: (reason: unknown) => boolean;
  /** Where details of an unexpected failure go (the stream says only that it failed); default: a logger on stderr. */
  logger?: Logger;
}

/** Steps of one turn: the agent and the tools alternate; more means the agent is looping. */
const MAX_TURN_STEPS = 25;

type ThreadConfig = { configurable: { thread_id: string } };

/**
 * Runs one user message through the chat graph and yields what happens: tokens of the answer,
 * tool calls and results, report progress, then `final` (or `error`). A report the thread's previous
 * turn left unfinished (the process ended mid-report) is finished first, under its own id. Never throws.
 */
export async function* streamChatTurn(graph: ChatGraph, input: ChatTurnInput): AsyncIterable<ChatStreamEvent> {
  const config: ThreadConfig = { configurable: { thread_id: input.threadId } };
  try {
    const resumed = await stoppedReport(graph, config);
    if (resumed) {
      const progress = new RunProgressTracker();
      const sessions = resumed.sessions ? `: ${resumed.sessions.done} of ${resumed.sessions.total} sessions were done` : "";
      yield { type: "progress", stage: "resuming", message: `Finishing report ${resumed.request.report_id}, stopped before it was done${sessions}` };
      if (resumed.sessions) progress.resumeSessions(resumed.sessions.total, resumed.sessions.done);
      yield* streamRun(graph, null, config, input.signal, progress);
    }
    await answerInterruptedTurn(graph, config);
    yield* streamRun(graph, { messages: [new HumanMessage(input.message)] }, config, input.signal);
    const state = await graph.getState(config);
    const values = state.values as ChatStateType;
    const last = [...(values.messages ?? [])].reverse().find((m) => m.getType() === "ai");
    yield { type: "final", message: last ? messageText(last) : "", ...(values.report ? { report_id: values.report.report_id } : {}) };
  } catch (error) {
    const described = describeTurnError(error, input.signal);
    if (described.code === "chat_failed") {
      (input.logger ?? createLogger()).error({ err: error, thread: input.threadId }, "chat turn failed");
    }
    if (input.signal?.aborted && !input.resumeAfterAbort?.(input.signal.reason)) await cancelStoppedReport(graph, config).catch(() => undefined);
    yield { type: "error", ...described };
  }
}

/**
 * One graph run of a turn (`null` resumes the thread where it stopped), as stream events. The report
 * subgraph's progress comes through `custom` from any depth; its own updates and tokens are not the
 * conversation's and are left out.
 */
async function* streamRun(
  graph: ChatGraph,
  runInput: ChatStateUpdate | null,
  config: ThreadConfig,
  signal: AbortSignal | undefined,
  progress = new RunProgressTracker(),
): AsyncIterable<ChatStreamEvent> {
  const stream = await graph.stream(runInput, { ...config, streamMode: ["messages", "updates", "custom"], subgraphs: true, recursionLimit: MAX_TURN_STEPS, ...(signal ? { signal } : {}) });
  const preliminary = new PreliminaryIssuesStream();
  for await (const [namespace, mode, chunk] of stream as AsyncIterable<[string[], string, unknown]>) {
    if (mode === "custom") {
      if (isRunEvent(chunk)) {
        const early = preliminary.handle(chunk, Date.now());
        if (early) yield early;
        if (chunk.kind === "preliminary_issues") continue;
        const { message, stage, done, total } = progress.handle(chunk);
        yield { type: "progress", message, stage, ...(done === undefined ? {} : { done }), ...(total === undefined ? {} : { total }) };
      }
      continue;
    }
    if (namespace.length > 0) continue;
    if (mode === "messages") {
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
}

/**
 * The preliminary issues of the report under way, as chat events: the first as soon as it comes,
 * then changes at most once per `PRELIMINARY_LIMITS.updateIntervalMs` (a change held back goes out
 * with the next event after that); none once the report is ready, which replaces them.
 */
class PreliminaryIssuesStream {
  private readonly issues = new PreliminaryIssues();
  private pending = false;
  private sentAt: number | undefined;
  private replaced = false;

  handle(event: RunEvent, now: number): ChatStreamEvent | undefined {
    if (event.kind === "report_ready") this.replaced = true;
    if (this.replaced) return undefined;
    if (event.kind === "preliminary_issues" && this.issues.add(event)) this.pending = true;
    if (!this.pending || (this.sentAt !== undefined && now - this.sentAt < PRELIMINARY_LIMITS.updateIntervalMs)) return undefined;
    this.pending = false;
    this.sentAt = now;
    const list = this.issues.list();
    return { type: "preliminary", message: `${preliminaryHeading(list)}: ${preliminaryIssueLines(list).join("; ")}`, ...list };
  }
}

/** The report the thread's last turn asked for and did not finish (it stopped inside the `make_report` node), and how far its sessions got. */
async function stoppedReport(graph: ChatGraph, config: ThreadConfig): Promise<{ request: ReportRequest; sessions?: { total: number; done: number } } | undefined> {
  const state = await graph.getState(config);
  const request = (state.values as Partial<ChatStateType>).report_request;
  if (!request || !state.next.includes("make_report")) return undefined;
  // The report graph is invoked inside the node, so its checkpoint is found under the task's namespace.
  const task = state.tasks.find((t) => t.name === "make_report");
  const saved =
    task && graph.checkpointer && typeof graph.checkpointer !== "boolean"
      ? await graph.checkpointer.getTuple({ configurable: { ...config.configurable, checkpoint_ns: `make_report:${task.id}` } })
      : undefined;
  const values = saved?.checkpoint.channel_values as Partial<SummarizeStateType> | undefined;
  const total = values?.session_ids?.length ?? 0;
  if (total === 0) return { request };
  // Sessions finished in the step that was cut short are pending writes of that step, not yet in the values.
  const done = new Set((values?.session_results ?? []).map((r) => r.session_id));
  for (const [, channel, value] of saved?.pendingWrites ?? []) {
    if (channel === "session_results") for (const result of [value].flat() as SessionResult[]) done.add(result.session_id);
  }
  return { request, sessions: { total, done: Math.min(total, done.size) } };
}

/** A report stopped on purpose is answered "cancelled", so the next turn does not finish it. */
async function cancelStoppedReport(graph: ChatGraph, config: ThreadConfig): Promise<void> {
  const request = (await stoppedReport(graph, config))?.request;
  if (!request) return;
  const answer = new ToolMessage({ content: `The report ${request.report_id} was cancelled: the turn was interrupted.`, tool_call_id: request.tool_call_id, name: "summarize_sessions" });
  await graph.updateState(config, { messages: [answer], report_request: null }, "make_report");
}

/**
 * A turn cut short while its tools ran (client gone, shutdown, step limit) left the agent's tool
 * calls unanswered in the checkpoint; providers reject such a history, so they are answered
 * "cancelled" — written as the tools' step, so the graph goes on from the agent as usual.
 */
async function answerInterruptedTurn(graph: ChatGraph, config: ThreadConfig): Promise<void> {
  const state = await graph.getState(config);
  const messages = (state.values as Partial<ChatStateType>).messages ?? [];
  const answers = answerInterruptedToolCalls(messages);
  if (answers.length > 0) await graph.updateState(config, { messages: answers, report_request: null }, "tools");
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
  /** A report the thread asked for and did not finish (the server stopped mid-report): the next message finishes it. */
  report_pending?: string;
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
    ...(values.report_request && state.next.includes("make_report") ? { report_pending: values.report_request.report_id } : {}),
  };
}
