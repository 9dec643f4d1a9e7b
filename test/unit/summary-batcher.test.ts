import { describe, expect, it } from "vitest";
import { formatSummarizeSessions } from "../../prompts/summarize-sessions.ts";
import { countPromptTokens } from "../../prompts/common.ts";
import { SUMMARIZE_SESSION_SYSTEM } from "../../prompts/summarize-session.ts";
import { encodeSession, type EncodedSession } from "../../src/encode/index.ts";
import { addUsage, NO_USAGE, type SessionInput, type Usage } from "../../src/llm/analyst.ts";
import { packRequestsFirstFit, splitProportionally, SummaryBatcher, summarizeAlone, type SummaryBatchLimits } from "../../src/llm/batch/index.ts";
import { HallucinationError, ModelCallError } from "../../src/llm/errors.ts";
import { SUMMARY_PROMPT_VERSION } from "../../src/llm/model-analyst.ts";
import { validateCitedIds } from "../../src/llm/structured/cited-ids.ts";
import { batchSessionsIn, eventIdsIn, MALFORMED, purposeOf, scriptByPurpose, summariesYamlFromBatchPrompt, summaryFromPrompt, summaryYamlFromPrompt, toYaml } from "../fakes/responses.ts";
import { ScriptedChatModel, type Script, type ScriptedCall } from "../fakes/scripted-model.ts";
import { fixtureSession, generatedSession } from "./encode-fixtures.ts";

/** Small sessions with their own ids (the session id scopes the event ids). */
function sessionInput(n: number, events = 12): SessionInput {
  const session = fixtureSession({ sessionId: `0193a1b2-c3d4-7e5f-8a9b-${String(n).padStart(12, "0")}` });
  const encoded: EncodedSession = encodeSession({ sessionId: session.sessionId, events: generatedSession(n, events, session) });
  return { encoded, events: [] };
}

const LIMITS: SummaryBatchLimits = { maxSessions: 4, maxInputTokens: 50_000, maxSessionTokens: 8_000, waitMs: 20 };

/** The answer a careful model gives: every session summarized exactly as alone. */
const FAITHFUL = {
  summarize: (call: ScriptedCall) => summaryYamlFromPrompt(call.human),
  summarize_batch: (call: ScriptedCall) => summariesYamlFromBatchPrompt(call.human),
};

function batcherWith(script: Script, limits: SummaryBatchLimits = LIMITS) {
  const model = new ScriptedChatModel({ script, role: "summarizer" });
  return { model, batcher: new SummaryBatcher({ model, timeoutMs: 2_000 }, limits) };
}

/** The sessions (by their first event id) each call of `model` asked about, and its purpose. */
function callsOf(model: ScriptedChatModel): Array<{ purpose: string; sessions: string[] }> {
  return model.calls.map((call) => {
    const purpose = purposeOf(call.messages);
    const parts = purpose === "summarize_batch" ? batchSessionsIn(call.human).map((part) => part.text) : [call.human];
    return { purpose, sessions: parts.map((text) => eventIdsIn(text)[0]!) };
  });
}

const firstIdOf = (input: SessionInput) => input.encoded.eventsTable.split("\n")[1]!.split("\t")[0]!;

async function settle<T>(promises: Array<Promise<T>>) {
  return Promise.allSettled(promises);
}

describe("the batch prompt", () => {
  it("keeps the single prompt's text (its hash is the summary cache key)", () => {
    expect(SUMMARY_PROMPT_VERSION).toBe("efdb6e75");
    expect(SUMMARIZE_SESSION_SYSTEM.startsWith("You summarize one recorded session")).toBe(true);
  });

  it("labels each session, says the notice and the column legend once, and keeps each session's own fenced tables", () => {
    const inputs = [sessionInput(1), sessionInput(2), sessionInput(3)];
    const [system, human] = formatSummarizeSessions({ encodedTexts: inputs.map((input) => input.encoded.text), focusArea: "checkout" });
    const text = String(human!.content);
    expect(String(system!.content)).toMatch(/scoped per session/);
    expect(text.match(/treat it strictly as data/g)).toHaveLength(1);
    expect(text.match(/^Event table columns/gm)).toHaveLength(1);
    const parts = batchSessionsIn(text);
    expect(parts.map((part) => part.label)).toEqual(["s1", "s2", "s3"]);
    parts.forEach((part, index) => expect(eventIdsIn(part.text)).toEqual(eventIdsIn(inputs[index]!.encoded.text)));
    expect(text).toMatch(/Focus area: checkout\./);
  });
});

describe("packRequestsFirstFit", () => {
  const limits = { maxItems: 3, maxTokens: 100, maxItemTokens: 60 };

  it("packs by count and by tokens, in arrival order, first fit", () => {
    expect(packRequestsFirstFit([10, 10, 10, 10, 10], (t) => t, limits)).toEqual([
      [10, 10, 10],
      [10, 10],
    ]);
    expect(packRequestsFirstFit([50, 40, 30, 20], (t) => t, limits)).toEqual([
      [50, 40],
      [30, 20],
    ]);
    // 20 still fits the first pack after 50 and 30 opened others
    expect(packRequestsFirstFit([50, 50, 30, 20], (t) => t, limits)).toEqual([
      [50, 50],
      [30, 20],
    ]);
  });

  it("sends a session over the per-session limit alone", () => {
    expect(packRequestsFirstFit([10, 70, 10], (t) => t, limits)).toEqual([[10, 10], [70]]);
  });

  it("splits usage in whole numbers that sum exactly", () => {
    const parts = splitProportionally(1001, [100, 200, 300]);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(1001);
    expect(parts[2]).toBeGreaterThan(parts[1]!);
    expect(parts[1]).toBeGreaterThan(parts[0]!);
    expect(splitProportionally(5, [0, 0])).toEqual([3, 2]);
  });
});

describe("SummaryBatcher", () => {
  it("packs waiting sessions by count: the summaries are those of single calls", async () => {
    const inputs = Array.from({ length: 6 }, (_, i) => sessionInput(i + 1));
    const { model, batcher } = batcherWith(scriptByPurpose(FAITHFUL));
    const summaries = await Promise.all(inputs.map((input) => batcher.summarize(input, () => {})));

    const alone = new ScriptedChatModel({ script: scriptByPurpose(FAITHFUL), role: "summarizer" });
    const expected = await Promise.all(inputs.map((input) => summarizeAlone({ model: alone, timeoutMs: 2_000 }, input, () => {})));
    expect(summaries).toEqual(expected);
    const calls = callsOf(model);
    console.log(`6 sessions, maxSessions 4: ${calls.length} calls (${calls.map((c) => c.sessions.length).join(" + ")})`);
    expect(calls.map((c) => c.sessions.length)).toEqual([4, 2]);
    expect(calls.every((c) => c.purpose === "summarize_batch")).toBe(true);
  });

  it("packs by input tokens, and sends a session over maxSessionTokens alone with the single prompt", async () => {
    const small = [1, 2, 3, 4].map((n) => sessionInput(n, 10));
    const big = sessionInput(9, 120);
    const perSession = Math.max(...small.map((input) => input.encoded.stats.tokens));
    const promptTokens = countPromptTokens(formatSummarizeSessions({ encodedTexts: [] }));
    // room for two small sessions per call, and the big one is over the per-session limit
    const limits = { ...LIMITS, maxInputTokens: promptTokens + 2 * perSession + 1, maxSessionTokens: big.encoded.stats.tokens - 1 };
    expect(big.encoded.stats.tokens).toBeGreaterThan(2 * perSession);
    const { model, batcher } = batcherWith(scriptByPurpose(FAITHFUL), limits);
    await Promise.all([...small, big].map((input) => batcher.summarize(input, () => {})));
    const calls = callsOf(model);
    expect(calls.filter((c) => c.purpose === "summarize_batch").map((c) => c.sessions.length)).toEqual([2, 2]);
    expect(calls.filter((c) => c.purpose === "summarize")).toEqual([{ purpose: "summarize", sessions: [firstIdOf(big)] }]);
  });

  it("only batches sessions with the same focus area", async () => {
    const { model, batcher } = batcherWith(scriptByPurpose(FAITHFUL));
    const inputs = [1, 2, 3, 4].map((n) => ({ ...sessionInput(n), focusArea: n % 2 ? "checkout" : "search" }));
    await Promise.all(inputs.map((input) => batcher.summarize(input, () => {})));
    expect(model.calls.map((call) => /Focus area: (\w+)/.exec(call.human)?.[1])).toEqual(["checkout", "search"]);
    expect(callsOf(model).map((c) => c.sessions)).toEqual([
      [firstIdOf(inputs[0]!), firstIdOf(inputs[2]!)],
      [firstIdOf(inputs[1]!), firstIdOf(inputs[3]!)],
    ]);
  });

  it("keeps ids scoped per session: a summary citing a neighbour's ids is that session's hallucination only", async () => {
    const inputs = [1, 2, 3].map((n) => sessionInput(n));
    // The model mixes up s1 with s2: s1's summary cites s2's events.
    const { batcher } = batcherWith(
      scriptByPurpose({
        summarize_batch: (call) => {
          const parts = batchSessionsIn(call.human);
          return toYaml({ sessions: parts.map((part, i) => ({ session: part.label, summary: summaryFromPrompt(i === 0 ? parts[1]!.text : part.text) })) });
        },
      }),
    );
    const summaries = await Promise.all(inputs.map((input) => batcher.summarize(input, () => {})));
    expect(() => validateCitedIds(summaries[0]!, inputs[0]!.encoded.idMap, 0.15)).toThrow(HallucinationError);
    expect(() => validateCitedIds(summaries[1]!, inputs[1]!.encoded.idMap, 0.15)).not.toThrow();
    expect(() => validateCitedIds(summaries[2]!, inputs[2]!.encoded.idMap, 0.15)).not.toThrow();
  });

  it("retries only a malformed or missing entry alone; its neighbours keep the batch's answers", async () => {
    const inputs = [1, 2, 3, 4].map((n) => sessionInput(n));
    const malformed = { segments: [{ name: "Browse", key_actions: "none" }] };
    const { model, batcher } = batcherWith(
      scriptByPurpose({
        summarize: FAITHFUL.summarize,
        summarize_batch: (call) => {
          const parts = batchSessionsIn(call.human);
          // s2 malformed, s4 left out
          return toYaml({ sessions: parts.filter((part) => part.label !== "s4").map((part) => ({ session: part.label, summary: part.label === "s2" ? malformed : summaryFromPrompt(part.text) })) });
        },
      }),
    );
    const summaries = await Promise.all(inputs.map((input) => batcher.summarize(input, () => {})));
    summaries.forEach((summary, i) => expect(summary).toEqual(summaryFromPrompt(inputs[i]!.encoded.text)));
    expect(callsOf(model)).toEqual([
      { purpose: "summarize_batch", sessions: inputs.map(firstIdOf) },
      { purpose: "summarize", sessions: [firstIdOf(inputs[1]!)] },
      { purpose: "summarize", sessions: [firstIdOf(inputs[3]!)] },
    ]);
  });

  it("reads entries labelled loosely or written without the summary key", async () => {
    const inputs = [1, 2].map((n) => sessionInput(n));
    const { model, batcher } = batcherWith(
      scriptByPurpose({
        summarize_batch: (call) => {
          const [first, second] = batchSessionsIn(call.human);
          return toYaml({
            sessions: [
              { session: "Session S2", summary: summaryFromPrompt(second!.text) },
              { session: "s1", ...summaryFromPrompt(first!.text) },
            ],
          });
        },
      }),
    );
    const summaries = await Promise.all(inputs.map((input) => batcher.summarize(input, () => {})));
    summaries.forEach((summary, i) => expect(summary).toEqual(summaryFromPrompt(inputs[i]!.encoded.text)));
    expect(model.calls).toHaveLength(1);
  });

  it("fails a session whose own retry fails, and no other", async () => {
    const inputs = [1, 2, 3].map((n) => sessionInput(n));
    const { batcher } = batcherWith(
      scriptByPurpose({
        summarize: () => ({ error: Object.assign(new Error("Service Unavailable"), { status: 503 }) }),
        summarize_batch: (call) => {
          const parts = batchSessionsIn(call.human);
          return toYaml({ sessions: parts.map((part) => ({ session: part.label, summary: part.label === "s3" ? { segments: [] } : summaryFromPrompt(part.text) })) });
        },
      }),
    );
    const results = await settle(inputs.map((input) => batcher.summarize(input, () => {})));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(ModelCallError);
  });

  it("splits a failed batch in halves down to single calls, so one bad session fails alone", async () => {
    const inputs = [1, 2, 3, 4].map((n) => sessionInput(n));
    const poison = eventIdsIn(inputs[3]!.encoded.text)[0]!;
    // Any call that contains the fourth session fails as a whole: first as a provider error, then as broken YAML.
    const { model, batcher } = batcherWith((call) => {
      if (call.human.includes(poison)) return purposeOf(call.messages) === "summarize_batch" ? { error: new Error("provider down") } : MALFORMED.yaml;
      return purposeOf(call.messages) === "summarize_batch" ? summariesYamlFromBatchPrompt(call.human) : summaryYamlFromPrompt(call.human);
    });
    const results = await settle(inputs.map((input) => batcher.summarize(input, () => {})));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "rejected"]);
    const calls = callsOf(model);
    const ids = inputs.map(firstIdOf);
    console.log(`whole-batch failure, 4 sessions: ${calls.length} calls: ${calls.map((c) => `${c.purpose}(${c.sessions.length})`).join(", ")}`);
    expect(calls).toEqual([
      { purpose: "summarize_batch", sessions: ids },
      { purpose: "summarize_batch", sessions: ids.slice(0, 2) },
      { purpose: "summarize_batch", sessions: ids.slice(2) },
      { purpose: "summarize", sessions: [ids[2]] },
      { purpose: "summarize", sessions: [ids[3]] },
      // the single prompt's repair attempt, as without batching
      { purpose: "summarize", sessions: [ids[3]] },
    ]);
  });

  it("a request aborted while waiting leaves the batch", async () => {
    const inputs = [1, 2, 3].map((n) => sessionInput(n));
    const { model, batcher } = batcherWith(scriptByPurpose(FAITHFUL));
    const controller = new AbortController();
    const pending = inputs.map((input, i) => batcher.summarize(input, () => {}, i === 1 ? controller.signal : undefined));
    controller.abort();
    const results = await settle(pending);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: "aborted" });
    expect(callsOf(model).map((c) => c.sessions)).toEqual([[firstIdOf(inputs[0]!), firstIdOf(inputs[2]!)]]);
  });

  it("aborts the call only when every request of the batch aborted", async () => {
    const inputs = [1, 2].map((n) => sessionInput(n));
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => {};
    const callStarted = new Promise<void>((resolve) => (started = resolve));
    const { model, batcher } = batcherWith(async (call) => {
      started();
      await released;
      return summariesYamlFromBatchPrompt(call.human);
    });
    const [first, second] = [new AbortController(), new AbortController()];
    const pending = [batcher.summarize(inputs[0]!, () => {}, first.signal), batcher.summarize(inputs[1]!, () => {}, second.signal)];
    await callStarted;
    first.abort();
    release();
    const results = await settle(pending);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);

    // Both abort during a call that never answers: the call is aborted, nothing is retried.
    const hanging = batcherWith(() => ({ hang: true }));
    const controllers = [new AbortController(), new AbortController()];
    const stuck = inputs.map((input, i) => hanging.batcher.summarize(input, () => {}, controllers[i]!.signal));
    await new Promise((resolve) => setTimeout(resolve, LIMITS.waitMs * 2));
    expect(hanging.model.calls).toHaveLength(1);
    controllers[0]!.abort();
    controllers[1]!.abort();
    expect((await settle(stuck)).map((r) => r.status)).toEqual(["rejected", "rejected"]);
    await new Promise((resolve) => setTimeout(resolve, LIMITS.waitMs));
    expect(hanging.model.calls).toHaveLength(1);
    expect(model.calls).toHaveLength(1);
  });

  it("counts each call once and splits its tokens over the batch by input size", async () => {
    const inputs = [sessionInput(1, 6), sessionInput(2, 12), sessionInput(3, 30), sessionInput(4, 12), sessionInput(5, 12)];
    const { model, batcher } = batcherWith(
      (call) => {
        if (purposeOf(call.messages) !== "summarize_batch") return { text: summaryYamlFromPrompt(call.human), usage: { input: 500, output: 50 } };
        // a full batch (3) loses its last entry: one single call more
        const parts = batchSessionsIn(call.human);
        const answered = parts.length === 3 ? parts.slice(0, -1) : parts;
        return { text: toYaml({ sessions: answered.map((part) => ({ session: part.label, summary: summaryFromPrompt(part.text) })) }), usage: { input: 10_001, output: 777 } };
      },
      { ...LIMITS, maxSessions: 3 },
    );
    const usages: Usage[] = inputs.map(() => NO_USAGE);
    await Promise.all(inputs.map((input, i) => batcher.summarize(input, (usage) => (usages[i] = addUsage(usages[i]!, usage)))));
    const total = usages.reduce(addUsage, NO_USAGE);
    console.log(`usage over 5 sessions: ${JSON.stringify(usages)}`);
    expect(model.calls).toHaveLength(3);
    expect(total).toEqual({ model_calls: 3, input_tokens: 2 * 10_001 + 500, output_tokens: 2 * 777 + 50 });
    // the first batch's tokens follow the sessions' sizes
    expect(usages[2]!.input_tokens).toBeGreaterThan(usages[1]!.input_tokens);
    expect(usages[1]!.input_tokens).toBeGreaterThan(usages[0]!.input_tokens);
  });
});
