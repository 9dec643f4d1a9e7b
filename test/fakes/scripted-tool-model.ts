import { randomUUID } from "node:crypto";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { BindToolsInput } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { ScriptedChatModel } from "./scripted-model.ts";

/**
 * A scripted chat model that can call tools, for agent graphs: a reply `toolCall(name, args)` (JSON
 * text) becomes an AI message with that tool call (a unique id, as providers give: the tools node skips
 * calls already answered in the thread); any other reply is a plain answer.
 */
export class ScriptedToolChatModel extends ScriptedChatModel {
  /** The names of the tools the graph bound, from the last `bindTools`. */
  boundTools: string[] = [];
  override bindTools(tools: BindToolsInput[]): this {
    this.boundTools = tools.map((t) => (t as { name: string }).name);
    return this;
  }

  override async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    const result = await super._generate(messages, options, runManager);
    const generation = result.generations[0]!;
    const planned = parseToolCall(generation.text);
    if (!planned) return result;
    const message = new AIMessage({
      content: "",
      tool_calls: [{ id: `scripted_${randomUUID()}`, name: planned.name, args: planned.args, type: "tool_call" }],
      usage_metadata: (generation.message as AIMessage).usage_metadata,
    });
    return { generations: [{ text: "", message }] };
  }
}

const TOOL_CALL_MARK = "__tool_call__";

/** The reply that makes `ScriptedToolChatModel` call a tool. */
export function toolCall(name: string, args: Record<string, unknown>): string {
  return JSON.stringify({ [TOOL_CALL_MARK]: { name, args } });
}

function parseToolCall(text: string): { name: string; args: Record<string, unknown> } | undefined {
  if (!text.startsWith(`{"${TOOL_CALL_MARK}"`)) return undefined;
  return (JSON.parse(text) as Record<string, { name: string; args: Record<string, unknown> }>)[TOOL_CALL_MARK];
}
