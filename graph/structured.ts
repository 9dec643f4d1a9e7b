import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { isScalar, isSeq, parseDocument, visit, type Scalar } from "yaml";
import { z } from "zod";
import { describeIssues } from "../src/domain/errors.ts";
import type { RawSessionSummary } from "../src/domain/summary.ts";
import { countTokens } from "../src/encode/index.ts";
import { HallucinationError, ModelCallError, ModelOutputError } from "./errors.ts";

/**
 * Calling a model for YAML that must satisfy a zod schema: extract the YAML from whatever the model
 * wrapped it in, parse, validate, and on failure ask once for a corrected answer quoting the errors.
 * Every call's tokens go into a usage accumulator, so reports can say what they cost.
 */

/** What `callStructured` needs of a model: `BaseChatModel` and the scripted fakes both fit. */
export interface ChatModelLike {
  invoke(input: BaseMessage[], options?: { signal?: AbortSignal }): Promise<BaseMessage>;
}

export interface UsageCounts {
  calls: number;
  inputTokens: number;
  outputTokens: number;
}

/** Accumulated usage of a run, in total and per role. Mutated in place by `recordUsage`. */
export interface UsageTotals extends UsageCounts {
  byRole: Record<string, UsageCounts>;
}

export function createUsage(): UsageTotals {
  return { calls: 0, inputTokens: 0, outputTokens: 0, byRole: {} };
}

export function recordUsage(usage: UsageTotals, role: string, inputTokens: number, outputTokens: number): void {
  const perRole = (usage.byRole[role] ??= { calls: 0, inputTokens: 0, outputTokens: 0 });
  for (const counts of [usage, perRole]) {
    counts.calls += 1;
    counts.inputTokens += inputTokens;
    counts.outputTokens += outputTokens;
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
}

export interface StructuredResult<T> {
  value: T;
  /** The text of the answer that was accepted. */
  raw: string;
  /** Model calls made: 1, or 2 after a repair. */
  calls: number;
  repaired: boolean;
}

const MAX_REPORTED_ERRORS = 8;

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
  return [
    "Your answer could not be used:",
    ...errors.map((error) => `- ${error}`),
    "Reply with the corrected YAML only: the whole document in the requested format, no prose.",
  ].join("\n");
}

async function invokeCounted(options: CallStructuredOptions<z.ZodType>, messages: BaseMessage[]): Promise<string> {
  const response = await invokeWithTimeout(options.model, messages, options.timeoutMs, options.label, options.signal);
  const text = messageText(response);
  if (options.usage) {
    const reported = usageMetadataOf(response);
    recordUsage(
      options.usage,
      options.role,
      reported?.input ?? countTokens(messages.map(messageText).join("\n")),
      reported?.output ?? countTokens(text),
    );
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
 * if the model ignores the abort signal it is given.
 */
export async function invokeWithTimeout(
  model: ChatModelLike,
  messages: BaseMessage[],
  timeoutMs: number,
  label: string,
  signal?: AbortSignal,
): Promise<BaseMessage> {
  if (signal?.aborted) throw new ModelCallError("aborted", `${label}: aborted before the call`);
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

/** The text of a message: a string content, or its text blocks joined (reasoning blocks skipped). */
export function messageText(message: BaseMessage): string {
  const content = message.content;
  if (typeof content === "string") return content;
  return content
    .map((block) => (typeof block === "string" ? block : block.type === "text" && typeof block.text === "string" ? block.text : ""))
    .join("");
}

type ParseOutcome<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Extracts, parses and validates an answer; every problem found is one entry of `errors`. */
export function parseStructured<S extends z.ZodType>(text: string, schema: S, rootKeys: readonly string[] = rootKeysOf(schema)): ParseOutcome<z.output<S>> {
  const yamlText = extractYaml(text, rootKeys);
  if (yamlText.trim() === "") return { ok: false, errors: ["the answer contains no YAML"] };
  const document = parseDocument(yamlText, { prettyErrors: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      // Pretty messages start with "... at line L, column C:"; the snippet lines after it are dropped.
      errors: document.errors.slice(0, MAX_REPORTED_ERRORS).map((error) => `invalid YAML: ${firstLine(error.message).replace(/:$/, "")}`),
    };
  }
  keepIdsAsWritten(document);
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 50 });
  } catch (error) {
    return { ok: false, errors: [`invalid YAML: ${firstLine(error instanceof Error ? error.message : String(error))}`] };
  }
  if (data === null || data === undefined) return { ok: false, errors: ["the answer contains no YAML document"] };
  const result = schema.safeParse(data);
  if (!result.success) return { ok: false, errors: result.error.issues.slice(0, MAX_REPORTED_ERRORS).map((issue) => describeIssues([issue])) };
  return { ok: true, value: result.data };
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

const ID_KEY = /(^|_)event_ids?$/;

/**
 * Event ids are 8 hex characters, and YAML reads some of them as numbers: `00012345` becomes
 * 12345 and `12e45678` becomes Infinity. Values of id keys keep the text the model wrote.
 */
function keepIdsAsWritten(document: ReturnType<typeof parseDocument>): void {
  const restore = (node: unknown): void => {
    if (isScalar(node)) restoreScalar(node);
    else if (isSeq(node)) for (const item of node.items) if (isScalar(item)) restoreScalar(item);
  };
  visit(document, {
    Pair(_, pair) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key === "string" && ID_KEY.test(key)) restore(pair.value);
    },
  });
}

function restoreScalar(scalar: Scalar): void {
  if (typeof scalar.value !== "string" && typeof scalar.source === "string" && scalar.type === "PLAIN") scalar.value = scalar.source;
}

/** Top-level keys of an object schema: where the YAML starts when the model wrote prose first. */
function rootKeysOf(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

const FENCE = /```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n([\s\S]*?)(?:\n[ \t]*```|$)/g;
const ANY_KEY_LINE = /^[A-Za-z_][\w-]*:(\s|$)/;

/**
 * The YAML in a model's answer: the yaml-labelled (else the first) fenced block, or the text from
 * the first line that starts a top-level key, with trailing prose cut. Reasoning tags dropped.
 */
export function extractYaml(text: string, rootKeys: readonly string[] = []): string {
  const answer = text.replace(/<think(?:ing)?>[\s\S]*?<\/think(?:ing)?>/gi, "").replace(/\r\n?/g, "\n");
  const fences = [...answer.matchAll(FENCE)].map((match) => ({ language: (match[1] ?? "").toLowerCase(), body: match[2] ?? "" }));
  if (fences.length > 0) {
    const chosen =
      fences.find((fence) => fence.language === "yaml" || fence.language === "yml") ??
      fences.find((fence) => startsWithKey(fence.body, rootKeys)) ??
      fences[0]!;
    return chosen.body;
  }
  const lines = answer.split("\n");
  const isRootLine = (line: string) =>
    rootKeys.length > 0 ? rootKeys.some((key) => line.startsWith(`${key}:`)) : ANY_KEY_LINE.test(line) || line.trim() === "---";
  let start = lines.findIndex(isRootLine);
  if (start === -1) start = lines.findIndex((line) => ANY_KEY_LINE.test(line));
  if (start === -1) return answer;
  let end = lines.length;
  // Trailing prose: unindented lines that are neither keys, list items, comments nor document markers.
  while (end > start + 1) {
    const line = lines[end - 1]!;
    if (line.trim() === "" || !(ANY_KEY_LINE.test(line) || /^[\s#-]/.test(line) || line.startsWith("..."))) end -= 1;
    else break;
  }
  return lines.slice(start, end).join("\n");
}

function startsWithKey(body: string, rootKeys: readonly string[]): boolean {
  return rootKeys.some((key) => new RegExp(`^${key}:`, "m").test(body));
}

export interface CitedIdsCheck {
  /** Citations counted (segment boundaries and key actions; a repeated id counts each time). */
  cited: number;
  /** Distinct cited ids that are not in the session's table. */
  unknownIds: string[];
  /** Unknown citations / all citations. */
  ratio: number;
}

/**
 * The hallucination rule: a summary citing more than `maxUnknownRatio` of its event ids from
 * outside the session's table is rejected with `HallucinationError` (the caller retries once).
 * Below the threshold the unknown ids are returned, for the caller to drop.
 */
export function validateCitedIds(
  summary: Pick<RawSessionSummary, "segments">,
  knownIds: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  maxUnknownRatio = 0.15,
): CitedIdsCheck {
  const citations = summary.segments.flatMap((segment) => [
    segment.start_event_id,
    segment.end_event_id,
    ...segment.key_actions.map((action) => action.event_id),
  ]);
  const unknown = citations.filter((id) => !knownIds.has(id.trim().toLowerCase()));
  const ratio = citations.length === 0 ? 0 : unknown.length / citations.length;
  const unknownIds = [...new Set(unknown)];
  if (ratio > maxUnknownRatio) throw new HallucinationError(unknownIds, citations.length, ratio, maxUnknownRatio);
  return { cited: citations.length, unknownIds, ratio };
}
