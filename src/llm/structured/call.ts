import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { z } from "zod";
import { countTokens } from "../../encode/index.ts";
import { ProviderLimitsError, type Lease } from "../../limits/index.ts";
import { ModelCallError, ModelOutputError } from "../errors.ts";
import { hedgedCallsOf } from "../hedged-model.ts";
import { LIMITED_CALL_DEFAULTS, retryAfterMsOf, type ModelCallLimits } from "../provider-limits.ts";
import { messageText, type ChatModelLike } from "./messages.ts";
import { parseStructured, rootKeysOf } from "./parse.ts";

/**
 * Calling a model for YAML that must satisfy a zod schema: extract the YAML from whatever the model
 * wrapped it in, parse, validate, and on failure ask once for a corrected answer quoting the errors.
 * Every call's tokens go into a usage accumulator, so reports can say what they cost.
 */

export interface UsageCounts {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** Duplicates of slow calls (hedging); each is also one of `calls`, its input in `inputTokens`. */
  hedgedCalls?: number;
}

/** Accumulated usage of a run, in total and per role. Mutated in place by `recordUsage`. */
export interface UsageTotals extends UsageCounts {
  byRole: Record<string, UsageCounts>;
}

export function createUsage(): UsageTotals {
  return { calls: 0, inputTokens: 0, outputTokens: 0, byRole: {} };
}

/** One answered call; `hedgedCalls` duplicates of it were made too (their input is in `inputTokens`). */
export function recordUsage(usage: UsageTotals, role: string, inputTokens: number, outputTokens: number, hedgedCalls = 0): void {
  const perRole = (usage.byRole[role] ??= { calls: 0, inputTokens: 0, outputTokens: 0 });
  for (const counts of [usage, perRole]) {
    counts.calls += 1 + hedgedCalls;
    counts.inputTokens += inputTokens;
    counts.outputTokens += outputTokens;
    if (hedgedCalls > 0) counts.hedgedCalls = (counts.hedgedCalls ?? 0) + hedgedCalls;
  }
}

export interface CallStructuredOptions<S extends z.ZodType> {
  model: ChatModelLike;
  messages: BaseMessage[];
  schema: S;
  /** The model role, for usage per role. */
  role: string;
  /** What is being asked, for error messages, e.g. `summarize 0192fbc6`. */
  label: string;
  /** Ask once for a corrected answer when the first one is invalid (default true). */
  repair?: boolean;
  /** Per call: the repair call gets its own `timeoutMs`. */
  timeoutMs: number;
  signal?: AbortSignal;
  usage?: UsageTotals;
  /** The provider budgets shared across processes (with a queue); absent: no limit but the client's own. */
  limits?: ModelCallLimits;
}

export interface StructuredResult<T> {
  value: T;
  /** The text of the answer that was accepted. */
  raw: string;
  /** Model calls made: 1, or 2 after a repair. */
  calls: number;
  repaired: boolean;
}

/**
 * Invokes `model`, parses its answer as YAML and validates it with `schema`. Throws
 * `ModelOutputError` (`invalid_output`) when the answer (after one repair attempt) is still
 * invalid, `ModelCallError` (`timeout`, `aborted`, `provider_error`) when a call fails.
 */
export async function callStructured<S extends z.ZodType>(options: CallStructuredOptions<S>): Promise<StructuredResult<z.output<S>>> {
  const { schema, label } = options;
  const rootKeys = rootKeysOf(schema);
  const first = await invokeCounted(options, options.messages);
  let parsed = parseStructured(first, schema, rootKeys);
  if (parsed.ok) return { value: parsed.value, raw: first, calls: 1, repaired: false };
  if (options.repair === false) {
    throw new ModelOutputError(`${label}: invalid answer: ${parsed.errors.join("; ")}`, parsed.errors, first);
  }

  const repairMessages = [...options.messages, new AIMessage(first.trim() === "" ? "(empty answer)" : first), new HumanMessage(repairRequest(parsed.errors))];
  const second = await invokeCounted(options, repairMessages);
  parsed = parseStructured(second, schema, rootKeys);
  if (parsed.ok) return { value: parsed.value, raw: second, calls: 2, repaired: true };
  throw new ModelOutputError(`${label}: invalid answer after a repair attempt: ${parsed.errors.join("; ")}`, parsed.errors, second);
}

/** The follow-up asking for a corrected answer. */
export function repairRequest(errors: readonly string[]): string {
  return ["Your answer could not be used:", ...errors.map((error) => `- ${error}`), "Reply with the corrected YAML only: the whole document in the requested format, no prose."].join("\n");
}

async function invokeCounted(options: CallStructuredOptions<z.ZodType>, messages: BaseMessage[]): Promise<string> {
  const response = await invokeWithTimeout(options.model, messages, options.timeoutMs, options.label, options.signal, options.limits);
  const text = messageText(response);
  if (options.usage) {
    const reported = usageMetadataOf(response);
    recordUsage(options.usage, options.role, reported?.input ?? countTokens(messages.map(messageText).join("\n")), reported?.output ?? countTokens(text), hedgedCallsOf(response));
  }
  return text;
}

/** `usage_metadata` when the provider reported it (OpenAI, Gemini and the fakes do). */
function usageMetadataOf(message: BaseMessage): { input: number; output: number } | undefined {
  const usage = (message as { usage_metadata?: { input_tokens?: unknown; output_tokens?: unknown } }).usage_metadata;
  if (!usage || typeof usage.input_tokens !== "number" || typeof usage.output_tokens !== "number") return undefined;
  return { input: usage.input_tokens, output: usage.output_tokens };
}

/**
 * One model call bounded by `timeoutMs` and `signal`. The race returns control at the deadline even
 * if the model ignores the abort signal it is given. With `limits`, the call first waits for its
 * model's shared budgets (the wait is not part of `timeoutMs`: it bounds the provider, not the
 * queue), gives its slot back with the tokens it really used, and a 429 pauses every process.
 */
export async function invokeWithTimeout(model: ChatModelLike, messages: BaseMessage[], timeoutMs: number, label: string, signal?: AbortSignal, limits?: ModelCallLimits): Promise<BaseMessage> {
  if (signal?.aborted) throw new ModelCallError("aborted", `${label}: aborted before the call`);
  if (!limits) return invokeBounded(model, messages, timeoutMs, label, signal);
  const lease = await acquireLease(limits, messages, label, signal);
  let actualTokens: number | undefined;
  try {
    const response = await invokeBounded(model, messages, timeoutMs, label, signal);
    const reported = usageMetadataOf(response);
    if (reported) actualTokens = reported.input + reported.output;
    return response;
  } catch (error) {
    if (error instanceof ModelCallError && error.status === 429) {
      const retryAfterMs = retryAfterMsOf(error.cause) ?? limits.defaultThrottleMs ?? LIMITED_CALL_DEFAULTS.throttleMs;
      // The call's own error says what happened; a Redis failure here must not replace it.
      await limits.limits.reportThrottled(limits.modelKey, retryAfterMs).catch(() => {});
    }
    throw error;
  } finally {
    // An unreachable Redis must not fail a call that succeeded; the lease expires on its own.
    await lease.release(actualTokens).catch(() => {});
  }
}

/** Waits for the model's budgets; budget problems become call errors, so a run counts the item as failed rather than crashing. */
async function acquireLease(limits: ModelCallLimits, messages: BaseMessage[], label: string, signal?: AbortSignal): Promise<Lease> {
  const estimated = countTokens(messages.map(messageText).join("\n")) + (limits.expectedOutputTokens ?? LIMITED_CALL_DEFAULTS.expectedOutputTokens);
  try {
    return await limits.limits.acquire(limits.modelKey, estimated, signal);
  } catch (error) {
    if (signal?.aborted) throw new ModelCallError("aborted", `${label}: aborted while waiting for the ${limits.modelKey} budget`, undefined, { cause: error });
    const reason = error instanceof ProviderLimitsError ? error.message : describeProviderError(error);
    throw new ModelCallError("provider_error", `${label}: ${reason}`, undefined, { cause: error });
  }
}

async function invokeBounded(model: ChatModelLike, messages: BaseMessage[], timeoutMs: number, label: string, signal?: AbortSignal): Promise<BaseMessage> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new ModelCallError("timeout", `${label}: no answer within ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  const cancelled = new Promise<never>((_, reject) => {
    if (!signal) return;
    onAbort = () => {
      const error = new ModelCallError("aborted", `${label}: aborted`);
      controller.abort(error);
      reject(error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([model.invoke(messages, { signal: controller.signal }), deadline, cancelled]);
  } catch (error) {
    if (error instanceof ModelCallError) throw error;
    // The provider may reject with its own abort error first; the reason says why we aborted.
    if (controller.signal.aborted && controller.signal.reason instanceof ModelCallError) throw controller.signal.reason;
    throw new ModelCallError("provider_error", `${label}: ${describeProviderError(error)}`, statusOf(error), { cause: error });
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

// Keys can appear in provider error messages (echoed headers, URLs with ?key=): never pass them on.
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/sk-[A-Za-z0-9_-]{8,}/g, "[redacted]"],
  [/AIza[0-9A-Za-z_-]{20,}/g, "[redacted]"],
  [/([?&](?:key|api_key|token)=)[^&\s]+/gi, "$1[redacted]"],
  [/(Bearer\s+)\S+/gi, "$1[redacted]"],
];

export function describeProviderError(error: unknown): string {
  const raw = error instanceof Error ? `${error.name === "Error" ? "" : `${error.name}: `}${error.message}` : String(error);
  let text = raw.replace(/\s+/g, " ").trim();
  for (const [pattern, replacement] of SECRET_PATTERNS) text = text.replace(pattern, replacement);
  return text.length > 300 ? `${text.slice(0, 299)}…` : text || "unknown provider error";
}
