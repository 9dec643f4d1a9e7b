import { createHash } from "node:crypto";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BaseChatModelParams } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { messageText } from "../../src/llm/structured/messages.ts";
import { countTokens } from "../../src/encode/index.ts";

/**
 * A chat model for tests and benchmarks whose answer is a function of the conversation, so it
 * stays deterministic when a graph fans out and calls arrive in any order (`FakeListChatModel`
 * hands out answers in call order, which breaks under parallel branches).
 *
 * Each conversation has a `key` (a hash of its system and first human message) and an `attempt`
 * number: the repair request of `callStructured` repeats both messages, so it is attempt 2 of the
 * same key. A reply can be text, an error, a hang until the caller's abort signal fires, with
 * optional latency; usage metadata is reported like a provider's.
 */

export interface ScriptedCall {
  /** The role this model plays (`summarizer`, `reasoner`, ...), for counting per role. */
  role: string;
  key: string;
  /** 1 for the first call with this key, 2 for the next (a repair), ... */
  attempt: number;
  messages: BaseMessage[];
  /** Text of the first system message, and of the first human message. */
  system: string;
  human: string;
}

export type ScriptedReply =
  | string
  | { text: string; usage?: { input: number; output: number }; latencyMs?: number }
  | { error: Error; latencyMs?: number }
  /** Never answers; rejects when the call's abort signal fires. */
  | { hang: true };

/** A function of the call, or a list of replies by attempt (the last one repeats). */
export type Script = ((call: ScriptedCall) => ScriptedReply | Promise<ScriptedReply>) | readonly ScriptedReply[];

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface ScriptedChatModelOptions extends BaseChatModelParams {
  script: Script;
  role?: string;
  keyOf?: (messages: readonly BaseMessage[]) => string;
  /** Latency added to every reply (on top of a reply's own `latencyMs`). */
  latencyMs?: number;
  /** Injectable for tests that must not wait for real time. */
  sleep?: Sleep;
  /** A call log shared between several models (one per role). */
  log?: ScriptedCall[];
}

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason ?? new Error("aborted"));
      },
      { once: true },
    );
  });

function firstText(messages: readonly BaseMessage[], type: string): string {
  const message = messages.find((candidate) => candidate.getType() === type);
  return message ? messageText(message) : "";
}

export function conversationKey(messages: readonly BaseMessage[]): string {
  return createHash("sha256")
    .update(`${firstText(messages, "system")}\u0000${firstText(messages, "human")}`)
    .digest("hex")
    .slice(0, 16);
}

export class ScriptedChatModel extends BaseChatModel {
  readonly role: string;
  /** Every call, in arrival order. */
  readonly calls: ScriptedCall[];
  private readonly script: Script;
  private readonly keyOf: (messages: readonly BaseMessage[]) => string;
  private readonly latencyMs: number;
  private readonly sleep: Sleep;
  private readonly attempts = new Map<string, number>();

  constructor(options: ScriptedChatModelOptions) {
    super(options);
    this.script = options.script;
    this.role = options.role ?? "model";
    this.keyOf = options.keyOf ?? conversationKey;
    this.latencyMs = options.latencyMs ?? 0;
    this.sleep = options.sleep ?? realSleep;
    this.calls = options.log ?? [];
  }

  _llmType(): string {
    return "scripted";
  }

  /** Calls made, optionally only those of one key or role. */
  callCount(filter: { key?: string; role?: string } = {}): number {
    return this.calls.filter((call) => (filter.key === undefined || call.key === filter.key) && (filter.role === undefined || call.role === filter.role)).length;
  }

  override async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], _runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    const key = this.keyOf(messages);
    const attemptKey = `${this.role}\u0000${key}`;
    const attempt = (this.attempts.get(attemptKey) ?? 0) + 1;
    this.attempts.set(attemptKey, attempt);
    const call: ScriptedCall = { role: this.role, key, attempt, messages, system: firstText(messages, "system"), human: firstText(messages, "human") };
    this.calls.push(call);

    const reply = typeof this.script === "function" ? await this.script(call) : this.script[Math.min(attempt, this.script.length) - 1];
    if (reply === undefined) throw new Error(`scripted model (${this.role}): no reply for attempt ${attempt}`);
    const signal = options.signal;
    const latency = this.latencyMs + (typeof reply === "object" && "latencyMs" in reply ? (reply.latencyMs ?? 0) : 0);
    if (latency > 0) await this.sleep(latency, signal);

    if (typeof reply === "object" && "hang" in reply) {
      await new Promise<never>((_, reject) => {
        if (signal?.aborted) reject(signal.reason ?? new Error("aborted"));
        signal?.addEventListener("abort", () => reject(signal.reason ?? new Error("aborted")), { once: true });
      });
    }
    if (typeof reply === "object" && "error" in reply) throw reply.error;

    const text = typeof reply === "string" ? reply : "text" in reply ? reply.text : "";
    const reported = typeof reply === "object" && "usage" in reply ? reply.usage : undefined;
    const input = reported?.input ?? countTokens(messages.map(messageText).join("\n"));
    const output = reported?.output ?? countTokens(text);
    const message = new AIMessage({
      content: text,
      usage_metadata: { input_tokens: input, output_tokens: output, total_tokens: input + output },
      response_metadata: { model_name: `scripted-${this.role}` },
    });
    return { generations: [{ text, message }] };
  }
}

/** A provider-style error with an HTTP status. */
export function providerError(status: number, message = `provider answered ${status}`): Error {
  return Object.assign(new Error(message), { status });
}
