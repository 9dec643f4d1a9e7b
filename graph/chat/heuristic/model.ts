import { randomUUID } from "node:crypto";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BindToolsInput } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage, type ToolMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import { messageText } from "../../../src/llm/structured/messages.ts";
import { LATEST_REPORT_LINE } from "../../../prompts/chat.ts";
import { composeAnswer, NEEDS_MODEL_ANSWER, planRequest, type ConversationFacts, type HeuristicPlan } from "./rules.ts";
import { WATCH_OFFLINE_REQUESTS, WATCH_TOOLS, WATCH_UNAVAILABLE_ANSWER } from "./watch-rules.ts";

/**
 * The chat model when none is configured: maps common requests to tool calls with the rules of
 * `rules.ts`, and turns tool results into the answer. Streams its answer word by word like a model.
 */
export class HeuristicChatModel extends BaseChatModel {
  private readonly toolNames: ReadonlySet<string>;
  private readonly now: () => Date;

  constructor(options: { toolNames?: Iterable<string>; now?: () => Date } = {}) {
    super({});
    this.toolNames = new Set(options.toolNames ?? []);
    this.now = options.now ?? (() => new Date());
  }

  _llmType(): string {
    return "heuristic-chat";
  }

  override bindTools(tools: BindToolsInput[]): HeuristicChatModel {
    const names = tools.map((t) => (t as { name?: string }).name ?? (t as { function?: { name?: string } }).function?.name).filter((n): n is string => typeof n === "string");
    return new HeuristicChatModel({ toolNames: names, now: this.now });
  }

  /** The next step of the conversation: a tool call for a new request, the answer after tool results. */
  decide(messages: readonly BaseMessage[]): HeuristicPlan {
    const last = messages.at(-1);
    if (last?.getType() === "tool") {
      const results: Array<{ name: string; content: string }> = [];
      for (let i = messages.length - 1; i >= 0 && messages[i]!.getType() === "tool"; i--) {
        results.unshift({ name: (messages[i] as ToolMessage).name ?? "tool", content: messageText(messages[i]!) });
      }
      return { kind: "answer", text: composeAnswer(results) };
    }
    const request = last?.getType() === "human" ? messageText(last) : "";
    const watch = WATCH_TOOLS.every((name) => this.toolNames.has(name));
    const plan = planRequest(request, { ...factsOf(messages, this.now()), watch });
    if (plan.kind === "answer" && plan.text === NEEDS_MODEL_ANSWER && watch) return { kind: "answer", text: NEEDS_MODEL_ANSWER + WATCH_OFFLINE_REQUESTS };
    if (plan.kind === "tool" && !this.toolNames.has(plan.call.name)) {
      return { kind: "answer", text: (WATCH_TOOLS as readonly string[]).includes(plan.call.name) ? WATCH_UNAVAILABLE_ANSWER : NEEDS_MODEL_ANSWER };
    }
    return plan;
  }

  private toMessage(plan: HeuristicPlan): AIMessage {
    if (plan.kind === "answer") return new AIMessage({ content: plan.text });
    return new AIMessage({ content: "", tool_calls: [{ id: `heuristic_${randomUUID()}`, name: plan.call.name, args: plan.call.args, type: "tool_call" }] });
  }

  override async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const message = this.toMessage(this.decide(messages));
    return { generations: [{ text: messageText(message), message }] };
  }

  override async *_streamResponseChunks(messages: BaseMessage[], _options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk> {
    const message = this.toMessage(this.decide(messages));
    if (message.tool_calls?.length) {
      const chunk = new AIMessageChunk({
        content: "",
        tool_call_chunks: message.tool_calls.map((call, index) => ({ id: call.id, name: call.name, args: JSON.stringify(call.args), index, type: "tool_call_chunk" as const })),
      });
      yield new ChatGenerationChunk({ text: "", message: chunk });
      return;
    }
    for (const piece of messageText(message).split(/(?<=\s)/)) {
      const chunk = new ChatGenerationChunk({ text: piece, message: new AIMessageChunk({ content: piece }) });
      yield chunk;
      await runManager?.handleLLMNewToken(piece, undefined, undefined, undefined, undefined, { chunk });
    }
  }
}

/**
 * Whether the conversation has a report, and the pattern it last looked at. The thread's report is
 * named in the system message (`Latest report: <id>`, from the state), so a thread opened on a
 * report, or whose report is older than the message window, has one too.
 */
export function factsOf(messages: readonly BaseMessage[], now: Date): ConversationFacts {
  let hasReport = false;
  let lastPatternId: number | undefined;
  let lastExample: number | undefined;
  let lastIssueId: number | undefined;
  for (const message of messages) {
    if (message.getType() === "system" && LATEST_REPORT_LINE.test(messageText(message))) hasReport = true;
    if (message.getType() !== "tool") continue;
    const name = (message as ToolMessage).name;
    const text = messageText(message);
    if (name === "summarize_sessions" && /^Report \S+ is ready/.test(text)) hasReport = true;
    if (name === "get_pattern") {
      const example = /^Example (\d+) of \d+ of pattern (\d+) of report/.exec(text);
      const pattern = /^Pattern (\d+) of report/.exec(text);
      if (example) [lastExample, lastPatternId] = [Number(example[1]), Number(example[2])];
      else if (pattern) [lastExample, lastPatternId] = [undefined, Number(pattern[1])];
    }
    // "Mute it" after find_issue means the issue it found.
    if (name === "find_issue") {
      const found = /^(?:Best match for .*?: )?issue (\d+) is /.exec(text);
      if (found) lastIssueId = Number(found[1]);
    }
    // After a list, "show an example" means the first pattern listed.
    if (name === "list_patterns") {
      const first = /^Pattern (\d+): /m.exec(text);
      if (first) [lastExample, lastPatternId] = [undefined, Number(first[1])];
    }
  }
  return {
    hasReport,
    ...(lastPatternId !== undefined ? { lastPatternId } : {}),
    ...(lastExample !== undefined ? { lastExample } : {}),
    ...(lastIssueId !== undefined ? { lastIssueId } : {}),
    now,
  };
}
