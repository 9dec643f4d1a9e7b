import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { HallucinationError, ModelCallError, ModelOutputError } from "../../src/llm/errors.ts";
import { callStructured, createUsage, type UsageTotals } from "../../src/llm/structured/call.ts";
import { extractYaml } from "../../src/llm/structured/parse.ts";
import { messageText, type ChatModelLike } from "../../src/llm/structured/messages.ts";
import { validateCitedIds } from "../../src/llm/structured/cited-ids.ts";
import { formatSummarizeSession } from "../../prompts/summarize-session.ts";
import { RawAssignmentListSchema } from "../../src/domain/report.ts";
import { RawSessionSummarySchema, type RawSessionSummary } from "../../src/domain/summary.ts";
import { encodeSession } from "../../src/encode/index.ts";
import { checkoutSession, fixtureSession } from "../unit/encode-fixtures.ts";
import { formatAssignPatterns } from "../../prompts/assign-patterns.ts";
import { assignmentsFromPrompt, assignmentsYaml, eventIdsIn, MALFORMED, purposeOf, scriptByPurpose, summaryYamlFromPrompt, toYaml, withProse } from "../fakes/responses.ts";
import { providerError, ScriptedChatModel, type Script } from "../fakes/scripted-model.ts";

const session = fixtureSession();
const encoded = encodeSession({ sessionId: session.sessionId, events: checkoutSession(session) });
const messages = formatSummarizeSession({ encodedText: encoded.text });
const promptText = messageText(messages[1]!);
const validYaml = summaryYamlFromPrompt(promptText, {
  flag: (row) => (row.event === "$rageclick" ? { exception: "blocking", confusion: true, description: "Place order does nothing" } : undefined),
});

function modelWith(script: Script): ScriptedChatModel {
  return new ScriptedChatModel({ script, role: "summarizer" });
}

function summarize(model: ChatModelLike, extra: { repair?: boolean; timeoutMs?: number; signal?: AbortSignal; usage?: UsageTotals } = {}) {
  return callStructured({ model, messages, schema: RawSessionSummarySchema, role: "summarizer", label: "summarize s1", timeoutMs: 2_000, ...extra });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("callStructured", () => {
  it("accepts valid YAML in one call", async () => {
    const model = modelWith([validYaml]);
    const result = await summarize(model);
    expect(result).toMatchObject({ calls: 1, repaired: false });
    expect(result.value.segments[0]!.key_actions[0]).toMatchObject({ exception: "blocking", confusion: true, abandonment: false });
    expect(eventIdsIn(promptText)).toContain(result.value.segments[0]!.start_event_id);
    expect(model.callCount()).toBe(1);
  });

  it("finds fenced YAML inside prose", async () => {
    const result = await summarize(modelWith([withProse(validYaml)]));
    expect(result.calls).toBe(1);
    expect(result.value.session_outcome.success).toBe(false);
  });

  it("finds unfenced YAML after leading prose, and drops trailing prose and reasoning tags", () => {
    const answer = `<think>the user clicked twice</think>Sure! Here is the summary:\n${validYaml}\nHope this helps.`;
    expect(extractYaml(answer, ["segments", "session_outcome"]).trim()).toBe(validYaml.trim());
  });

  it("repairs invalid YAML with a second call that quotes the error", async () => {
    const model = modelWith([MALFORMED.yaml, validYaml]);
    const result = await summarize(model);
    expect(result).toMatchObject({ calls: 2, repaired: true });
    const repair = model.calls[1]!.messages;
    expect(repair).toHaveLength(messages.length + 2);
    expect(repair[messages.length]).toBeInstanceOf(AIMessage);
    expect(messageText(repair[messages.length]!)).toBe(MALFORMED.yaml);
    const request = messageText(repair.at(-1)!);
    expect(request).toContain("invalid YAML");
    expect(request).toContain("corrected YAML only");
    // The repair is the same conversation: attempt 2 of the same key.
    expect(model.calls[1]).toMatchObject({ key: model.calls[0]!.key, attempt: 2 });
  });

  it("fails with ModelOutputError after exactly two invalid answers", async () => {
    const model = modelWith([MALFORMED.yaml]);
    const error = await rejectionOf(summarize(model));
    expect(error).toBeInstanceOf(ModelOutputError);
    expect(error).toMatchObject({ code: "invalid_output", raw: MALFORMED.yaml });
    expect((error as ModelOutputError).errors[0]).toMatch(/^invalid YAML/);
    expect((error as Error).message).toContain("summarize s1");
    expect(model.callCount()).toBe(2);
  });

  it("makes no second call when repair is off", async () => {
    const model = modelWith([MALFORMED.prose, validYaml]);
    await expect(summarize(model, { repair: false })).rejects.toBeInstanceOf(ModelOutputError);
    expect(model.callCount()).toBe(1);
  });

  it("repairs an answer of the wrong shape, naming the field", async () => {
    const model = modelWith([MALFORMED.schema, validYaml]);
    const result = await summarize(model);
    expect(result.repaired).toBe(true);
    const request = messageText(model.calls[1]!.messages.at(-1)!);
    expect(request).toContain("segments.0.key_actions.0.exception");
  });

  it("keeps event ids that YAML would read as numbers", async () => {
    const yaml = toYaml({ patterns: [{ pattern_id: 1, event_ids: ["x"] }] }).replace('- "x"', "- 00012345\n      - 12e45678\n      - 1a2b3c4d");
    const result = await callStructured({
      model: modelWith([yaml]),
      messages,
      schema: RawAssignmentListSchema,
      role: "reasoner",
      label: "assign",
      timeoutMs: 1_000,
    });
    expect(result.value.patterns[0]!.event_ids).toEqual(["00012345", "12e45678", "1a2b3c4d"]);
  });

  it("times out a hanging call with ModelCallError, within the timeout", async () => {
    const model = modelWith([{ hang: true }]);
    const started = Date.now();
    const error = await rejectionOf(summarize(model, { timeoutMs: 100 }));
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(ModelCallError);
    expect(error).toMatchObject({ code: "timeout" });
    expect((error as Error).message).toContain("100 ms");
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(1_000);
    expect(model.callCount()).toBe(1);
  });

  it("times out even a model that ignores the abort signal", async () => {
    const deaf: ChatModelLike = { invoke: () => new Promise<BaseMessage>(() => {}) };
    const error = await rejectionOf(summarize(deaf, { timeoutMs: 50 }));
    expect(error).toMatchObject({ code: "timeout" });
  });

  it("stops when the caller aborts", async () => {
    const controller = new AbortController();
    const pending = summarize(modelWith([{ hang: true }]), { signal: controller.signal, timeoutMs: 5_000 });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: "aborted" });
    controller.abort();
    await expect(summarize(modelWith([validYaml]), { signal: controller.signal })).rejects.toMatchObject({ code: "aborted" });
  });

  it("reports a provider error as ModelCallError with its status, and no key", async () => {
    const model = modelWith([{ error: providerError(429, "Rate limit reached for key sk-live-abcdefghijklmnop; retry in 2s") }]);
    const error = await rejectionOf(summarize(model));
    expect(error).toBeInstanceOf(ModelCallError);
    expect(error).toMatchObject({ code: "provider_error", status: 429, retryable: true });
    expect(new ModelCallError("provider_error", "bad key", 401).retryable).toBe(false);
    expect((error as Error).message).toContain("Rate limit reached");
    expect((error as Error).message).not.toContain("sk-live-abcdefghijklmnop");
    expect(model.callCount()).toBe(1);
  });

  it("adds every call's usage to the accumulator, per role", async () => {
    const usage = createUsage();
    const model = modelWith([
      { text: MALFORMED.yaml, usage: { input: 1_000, output: 20 } },
      { text: validYaml, usage: { input: 1_030, output: 300 } },
    ]);
    await summarize(model, { usage });
    await callStructured({
      model: modelWith([{ text: "patterns: []", usage: { input: 50, output: 5 } }]),
      messages,
      schema: RawAssignmentListSchema,
      role: "reasoner",
      label: "assign",
      timeoutMs: 1_000,
      usage,
    });
    expect(usage).toEqual({
      calls: 3,
      inputTokens: 2_080,
      outputTokens: 325,
      byRole: {
        summarizer: { calls: 2, inputTokens: 2_030, outputTokens: 320 },
        reasoner: { calls: 1, inputTokens: 50, outputTokens: 5 },
      },
    });
  });

  it("counts tokens itself when the provider reports no usage", async () => {
    const usage = createUsage();
    const bare: ChatModelLike = { invoke: async () => new AIMessage(validYaml) };
    await summarize(bare, { usage });
    expect(usage.calls).toBe(1);
    expect(usage.inputTokens).toBeGreaterThan(encoded.stats.tokens);
    expect(usage.outputTokens).toBeGreaterThan(50);
  });

  it("keeps concurrent conversations apart under fan-out", async () => {
    const prompts = [1, 2, 3].map((n) => [new SystemMessage("sys"), new HumanMessage(`session ${n}`)]);
    const model = new ScriptedChatModel({
      // Later sessions answer first.
      script: (call) => ({ text: `answer: "${call.human}"`, latencyMs: 40 - 10 * Number(call.human.at(-1)) }),
      role: "summarizer",
    });
    const results = await Promise.all(prompts.map((conversation) => callStructured({ model, messages: conversation, schema: EchoSchema, role: "summarizer", label: "echo", timeoutMs: 1_000 })));
    expect(results.map((result) => result.value.answer)).toEqual(["session 1", "session 2", "session 3"]);
  });
});

const EchoSchema = z.object({ answer: z.string() });

describe("validateCitedIds", () => {
  const known = new Set(Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(8, "0")));
  const knownIds = [...known];

  /** A summary citing `total` ids (2 segment boundaries + key actions), the last `unknown` of them not in the table. */
  function citing(total: number, unknown: number): RawSessionSummary {
    const ids = [...knownIds.slice(0, total - unknown), ...Array.from({ length: unknown }, (_, i) => `ffff${i.toString(16).padStart(4, "0")}`)];
    return {
      segments: [
        {
          name: "Visit",
          start_event_id: ids[0]!,
          end_event_id: ids[1]!,
          key_actions: ids.slice(2).map((event_id) => ({ event_id, description: "did something", exception: null, confusion: false, abandonment: false })),
          outcome: { success: true, summary: "ok" },
        },
      ],
      session_outcome: { success: true, summary: "ok" },
    };
  }

  it("accepts exactly 15% unknown ids and returns them", () => {
    const check = validateCitedIds(citing(20, 3), known);
    expect(check.cited).toBe(20);
    expect(check.ratio).toBe(0.15);
    expect(check.unknownIds).toEqual(["ffff0000", "ffff0001", "ffff0002"]);
  });

  it("rejects more than 15% unknown ids with HallucinationError", () => {
    let caught: unknown;
    try {
      validateCitedIds(citing(20, 4), known);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HallucinationError);
    expect(caught).toMatchObject({ code: "hallucinated_ids", citedCount: 20, ratio: 0.2 });
    expect((caught as HallucinationError).unknownIds).toHaveLength(4);
  });

  it("takes a custom threshold", () => {
    expect(() => validateCitedIds(citing(10, 1), known, 0)).toThrow(HallucinationError);
    expect(validateCitedIds(citing(10, 5), known, 0.5).unknownIds).toHaveLength(5);
  });

  it("checks against the encoder's id map", () => {
    const summary = RawSessionSummarySchema.parse(parseYaml(validYaml));
    expect(validateCitedIds(summary, encoded.idMap)).toEqual({ cited: 3, unknownIds: [], ratio: 0 });
    summary.segments[0]!.key_actions[0]!.event_id = "deadbeef";
    expect(() => validateCitedIds(summary, encoded.idMap)).toThrow(HallucinationError);
  });
});

describe("the scripted model", () => {
  const assignMessages = formatAssignPatterns({
    patterns: [{ pattern_id: 1, pattern_name: "Payment fails", pattern_description: "Payment fails.", severity: "critical", indicators: ["a", "b"] }],
    digests: [
      'session s1: 60 s, failed: "x"\n- "Pay": failed: "y"\n  0a0a0a0a blocking: "Payment error"',
      'session s2: 80 s, failed: "x"\n- "Pay": failed: "y"\n  0b0b0b0b confusion: "Clicked Pay again"',
    ],
  });

  it("answers each prompt by its purpose, from what the prompt contains", async () => {
    expect(purposeOf(messages)).toBe("summarize");
    expect(purposeOf(assignMessages)).toBe("assign");
    const model = new ScriptedChatModel({
      role: "reasoner",
      script: scriptByPurpose({ assign: (call) => assignmentsYaml(assignmentsFromPrompt(call.human, (id) => (id === "0a0a0a0a" ? 1 : undefined))) }),
    });
    const result = await callStructured({ model, messages: assignMessages, schema: RawAssignmentListSchema, role: "reasoner", label: "assign", timeoutMs: 1_000 });
    expect(result.value).toEqual({ patterns: [{ pattern_id: 1, event_ids: ["0a0a0a0a"] }] });
    await expect(model.invoke(messages)).rejects.toThrow("no handler for the summarize prompt");
    expect(model.callCount({ role: "reasoner" })).toBe(2);
  });

  it("waits through an injected sleep, so tests need not wait for real time", async () => {
    const waits: number[] = [];
    const model = new ScriptedChatModel({ script: [{ text: "answer: ok", latencyMs: 5_000 }], latencyMs: 1_000, sleep: async (ms) => void waits.push(ms) });
    const answer = await model.invoke(messages);
    expect(answer.content).toBe("answer: ok");
    expect(waits).toEqual([6_000]);
  });
});
