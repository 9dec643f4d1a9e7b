import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ToolMessage, type AIMessage, type BaseMessage, type ToolCall } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { formatChatSystem } from "../../../prompts/chat.ts";
import { ConfigError } from "../../../src/domain/errors.ts";
import type { ChatStateType, ChatStateUpdate } from "../state.ts";

/** Messages of a thread sent to the model: the newest ones, never starting on a tool result. */
export const MAX_HISTORY_MESSAGES = 60;

export function recentHistory(messages: readonly BaseMessage[], max = MAX_HISTORY_MESSAGES): BaseMessage[] {
  let start = Math.max(0, messages.length - max);
  // A tool result without the AI message that asked for it is rejected by providers.
  while (start < messages.length && messages[start]!.getType() === "tool") start += 1;
  return withInterruptedCallsAnswered(messages.slice(start));
}

/** What an interrupted turn's tool calls are answered with, so the thread stays valid for providers. */
export const INTERRUPTED_TOOL_ANSWER = "cancelled: the previous turn was interrupted";

/** Tool calls of AI messages that no tool message answers (a turn cut short while its tools ran). */
export function unansweredToolCalls(messages: readonly BaseMessage[]): ToolCall[] {
  const answered = new Set(messages.filter((m) => m.getType() === "tool").map((m) => (m as ToolMessage).tool_call_id));
  return messages.flatMap((m) => (m.getType() === "ai" ? ((m as AIMessage).tool_calls ?? []) : [])).filter((call) => call.id !== undefined && !answered.has(call.id));
}

/** A "cancelled" tool message for every unanswered tool call, in call order. */
export function answerInterruptedToolCalls(messages: readonly BaseMessage[]): ToolMessage[] {
  return unansweredToolCalls(messages).map((call) => new ToolMessage({ content: INTERRUPTED_TOOL_ANSWER, tool_call_id: call.id!, name: call.name }));
}

/**
 * The history with each unanswered tool call answered right after its AI message. The checkpoint
 * is repaired at the start of a turn (`streamChatTurn`); this also covers graphs run another way (Studio).
 */
function withInterruptedCallsAnswered(messages: BaseMessage[]): BaseMessage[] {
  if (unansweredToolCalls(messages).length === 0) return messages;
  const answered = new Set(messages.filter((m) => m.getType() === "tool").map((m) => (m as ToolMessage).tool_call_id));
  const repaired: BaseMessage[] = [];
  for (const message of messages) {
    repaired.push(message);
    if (message.getType() !== "ai") continue;
    const orphans = ((message as AIMessage).tool_calls ?? []).filter((call) => call.id !== undefined && !answered.has(call.id));
    for (const call of orphans) repaired.push(new ToolMessage({ content: INTERRUPTED_TOOL_ANSWER, tool_call_id: call.id!, name: call.name }));
  }
  return repaired;
}

/** The model's turn: the instructions with the latest report's digest, then the conversation. */
export function makeAgentNode(model: BaseChatModel, tools: StructuredToolInterface[], project: string, now: () => Date = () => new Date()) {
  if (typeof model.bindTools !== "function") {
    throw new ConfigError("chat_model_without_tools", `the chat model (${model._llmType()}) cannot call tools; choose one that can (SESSION_SUMMARIES_CHAT)`);
  }
  const withTools = model.bindTools(tools);
  const watch = tools.some((t) => t.name === "list_issues");
  return async function agent(state: ChatStateType, config: RunnableConfig): Promise<ChatStateUpdate> {
    const system = formatChatSystem({ project, ...(state.report ? { report: state.report } : {}), today: now().toISOString().slice(0, 10), watch });
    const response = await withTools.invoke([system, ...recentHistory(state.messages)], config);
    return { messages: [response] };
  };
}
