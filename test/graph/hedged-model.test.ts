import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { readConfig } from "../../src/config/env.ts";
import { ReportSchema } from "../../src/domain/report.ts";
import { encodeSession } from "../../src/encode/index.ts";
import { addUsage, NO_USAGE, type Usage } from "../../src/llm/analyst.ts";
import { ModelCallError } from "../../src/llm/errors.ts";
import { createModelCallGate, hedgedCallsOf, LatencyWindow, type ModelCallGate } from "../../src/llm/hedged-model.ts";
import { createPipelineAnalyst } from "../../src/llm/model-analyst.ts";
import { callStructured, createUsage } from "../../src/llm/structured/call.ts";
import { messageText, type ChatModelLike } from "../../src/llm/structured/messages.ts";
import { summaryYamlFromPrompt } from "../fakes/responses.ts";
import { ScriptedChatModel, type ScriptedReply } from "../fakes/scripted-model.ts";
import { checkoutSession, fixtureSession } from "../unit/encode-fixtures.ts";

const FAST_MS = 5;
const SLOW_MS = 150;

function conversation(stage: string, question: string): BaseMessage[] {
  return [new SystemMessage(`You are stage ${stage}.`), new HumanMessage(question)];
}

/** A scripted model whose every call's abort signal is kept, to see which attempts were cancelled. */
function recorded(model: ScriptedChatModel): { model: ChatModelLike; signals: AbortSignal[] } {
  const signals: AbortSignal[] = [];
  return {
    signals,
    model: {
      invoke: (messages, options) => {
        signals.push(options!.signal!);
        return model.invoke(messages, options);
      },
    },
  };
}

/** Replies by attempt of the same conversation: warm-up calls answer fast, then `original` and `duplicate`. */
function byAttempt(warmUps: number, original: ScriptedReply, duplicate: ScriptedReply): ScriptedChatModel {
  return new ScriptedChatModel({
    role: "summarizer",
    script: (call) => {
      if (call.attempt <= warmUps) return { text: `warm ${call.attempt}`, latencyMs: FAST_MS };
      return call.attempt === warmUps + 1 ? original : duplicate;
    },
  });
}

async function warmUp(gate: ModelCallGate, model: ChatModelLike, messages: BaseMessage[], count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await gate.wrap(model, "summarizer").invoke(messages);
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("latency window", () => {
  it("keeps the last finished calls and answers a nearest-rank percentile", () => {
    const window = new LatencyWindow(10);
    expect(window.percentile(0.9)).toBeUndefined();
    for (let ms = 1; ms <= 10; ms += 1) window.add(ms);
    expect(window.percentile(0.9)).toBe(9);
    expect(window.percentile(0.5)).toBe(5);
    for (let i = 0; i < 10; i += 1) window.add(100);
    expect(window.count).toBe(10);
    expect(window.percentile(0.1)).toBe(100);
  });
});

describe("hedged model calls", () => {
  const messages = conversation("summaries", "session s1");

  it("hedges nothing before the stage has its minimum of finished calls", async () => {
    const gate = createModelCallGate({ maxInFlight: 10, hedge: { minSamples: 3 } });
    const model = new ScriptedChatModel({ role: "summarizer", script: (call) => ({ text: `answer ${call.attempt}`, latencyMs: call.attempt === 3 ? SLOW_MS : FAST_MS }) });
    const wrapped = gate.wrap(model, "summarizer");
    for (let i = 0; i < 3; i += 1) await wrapped.invoke(messages);
    expect(model.callCount()).toBe(3);
    expect(gate.stats).toMatchObject({ calls: 3, hedgedCalls: 0 });
    expect(gate.hedgeDelayMs("summarizer", messages)).toBeDefined();
    // Stages are per role and system prompt: another prompt starts with no sample.
    expect(gate.hedgeDelayMs("summarizer", conversation("extraction", "session s1"))).toBeUndefined();
    expect(gate.hedgeDelayMs("reasoner", messages)).toBeUndefined();
  });

  it("gives a call slower than the stage's p90 one duplicate; the duplicate's answer wins and the original is aborted", async () => {
    const gate = createModelCallGate({ maxInFlight: 10, hedge: { minSamples: 3 } });
    const scripted = byAttempt(3, { hang: true }, { text: "from the duplicate", latencyMs: FAST_MS });
    const { model, signals } = recorded(scripted);
    await warmUp(gate, model, messages, 3);

    const answer = await gate.wrap(model, "summarizer").invoke(messages);
    expect(messageText(answer)).toBe("from the duplicate");
    expect(scripted.callCount()).toBe(5);
    expect(gate.stats).toMatchObject({ calls: 5, hedgedCalls: 1, hedgeWins: 1, inFlight: 0 });
    expect(signals[3]!.aborted).toBe(true);
    expect(signals[3]!.reason).toBeInstanceOf(ModelCallError);
    expect(signals[4]!.aborted).toBe(false);
    expect(hedgedCallsOf(answer)).toBe(1);
  });

  it("hedges a call of a burst that started before its stage had samples, once 90% of the burst is done", async () => {
    const gate = createModelCallGate({ maxInFlight: 20, hedge: { minSamples: 3 } });
    // A burst of 11: the first call hangs, the next ten answer fast, the twelfth (the first call's duplicate) answers.
    const scripted = new ScriptedChatModel({
      role: "summarizer",
      script: (call) => (call.attempt === 1 ? { hang: true } : { text: call.attempt === 12 ? "from the duplicate" : `fast ${call.attempt}`, latencyMs: FAST_MS * call.attempt }),
    });
    const { model, signals } = recorded(scripted);
    const wrapped = gate.wrap(model, "summarizer");
    const first = wrapped.invoke(messages);
    const rest = Array.from({ length: 10 }, () => wrapped.invoke(messages));
    // While fewer than 90% of the burst are done, nothing is hedged, though the stage has its 3 samples.
    await Promise.all(rest.slice(0, 5));
    expect(gate.stats.hedgedCalls).toBe(0);
    await Promise.all(rest);
    expect(messageText(await first)).toBe("from the duplicate");
    expect(gate.stats).toMatchObject({ calls: 12, hedgedCalls: 1, hedgeWins: 1, inFlight: 0 });
    expect(signals[0]!.aborted).toBe(true);
  });

  it("a hedged call whose original answers late, while the duplicate still runs: the original wins and the duplicate is cancelled", async () => {
    const gate = createModelCallGate({ maxInFlight: 10, hedge: { minSamples: 3 } });
    const scripted = byAttempt(3, { text: "from the original", latencyMs: SLOW_MS }, { hang: true });
    const { model, signals } = recorded(scripted);
    await warmUp(gate, model, messages, 3);

    const answer = await gate.wrap(model, "summarizer").invoke(messages);
    expect(messageText(answer)).toBe("from the original");
    expect(gate.stats).toMatchObject({ calls: 5, hedgedCalls: 1, hedgeWins: 0, inFlight: 0 });
    expect(signals[3]!.aborted).toBe(false);
    expect(signals[4]!.aborted).toBe(true);
    // The duplicate was a call all the same: the answer says so.
    expect(hedgedCallsOf(answer)).toBe(1);
  });

  it("a failing duplicate does not fail the call: the original's answer is awaited", async () => {
    const gate = createModelCallGate({ maxInFlight: 10, hedge: { minSamples: 3 } });
    const scripted = byAttempt(3, { text: "from the original", latencyMs: SLOW_MS }, { error: new Error("duplicate failed") });
    await warmUp(gate, scripted, messages, 3);

    expect(messageText(await gate.wrap(scripted, "summarizer").invoke(messages))).toBe("from the original");
    expect(gate.stats).toMatchObject({ calls: 5, hedgedCalls: 1, hedgeWins: 0 });
  });

  it("a failing original waits for its duplicate; when both fail, the original's error is the call's", async () => {
    const gate = createModelCallGate({ maxInFlight: 10, hedge: { minSamples: 3 } });
    const rescued = byAttempt(3, { error: new Error("original failed"), latencyMs: SLOW_MS }, { text: "from the duplicate", latencyMs: SLOW_MS });
    await warmUp(gate, rescued, messages, 3);
    expect(messageText(await gate.wrap(rescued, "summarizer").invoke(messages))).toBe("from the duplicate");

    const both = byAttempt(3, { error: new Error("original failed"), latencyMs: SLOW_MS }, { error: new Error("duplicate failed") });
    await warmUp(gate, both, messages, 3);
    const error = await rejectionOf(gate.wrap(both, "summarizer").invoke(messages));
    expect((error as Error).message).toBe("original failed");
    expect(gate.stats.inFlight).toBe(0);
  });

  it("the caller's abort cancels the original and its duplicate", async () => {
    const gate = createModelCallGate({ maxInFlight: 10, hedge: { minSamples: 3 } });
    const scripted = byAttempt(3, { hang: true }, { hang: true });
    const { model, signals } = recorded(scripted);
    await warmUp(gate, model, messages, 3);

    const caller = new AbortController();
    const pending = gate.wrap(model, "summarizer").invoke(messages, { signal: caller.signal });
    await vi.waitFor(() => expect(gate.stats.hedgedCalls).toBe(1));
    const reason = new ModelCallError("aborted", "the run was cancelled");
    caller.abort(reason);
    expect(await rejectionOf(pending)).toBe(reason);
    expect(signals[3]!.aborted && signals[4]!.aborted).toBe(true);
    await vi.waitFor(() => expect(gate.stats.inFlight).toBe(0));
  });
});

describe("the cap on calls in flight", () => {
  it("never lets more calls than the cap reach the model, from every wrapped model together", async () => {
    const gate = createModelCallGate({ maxInFlight: 3 });
    let inModel = 0;
    let peakInModel = 0;
    const counting = (role: string): ChatModelLike => {
      const scripted = new ScriptedChatModel({ role, script: [{ text: "ok", latencyMs: 10 }] });
      return {
        invoke: async (messages, options) => {
          peakInModel = Math.max(peakInModel, (inModel += 1));
          try {
            return await scripted.invoke(messages, options);
          } finally {
            inModel -= 1;
          }
        },
      };
    };
    const summarizer = gate.wrap(counting("summarizer"), "summarizer");
    const reasoner = gate.wrap(counting("reasoner"), "reasoner");
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? summarizer : reasoner).invoke(conversation("any", `q${i}`))));
    expect(answers).toHaveLength(12);
    expect(peakInModel).toBe(3);
    expect(gate.stats).toMatchObject({ calls: 12, peakInFlight: 3, inFlight: 0 });
  });

  it("starts no duplicate when the cap is full", async () => {
    const gate = createModelCallGate({ maxInFlight: 2, hedge: { minSamples: 2 } });
    const model = new ScriptedChatModel({
      role: "summarizer",
      script: (call) => (call.human === "a" && call.attempt <= 2 ? { text: "warm", latencyMs: FAST_MS } : { text: "slow", latencyMs: SLOW_MS }),
    });
    const wrapped = gate.wrap(model, "summarizer");
    const first = conversation("summaries", "a");
    const second = conversation("summaries", "b");
    await wrapped.invoke(first);
    await wrapped.invoke(first);
    // Two slow calls fill the cap: their duplicates are skipped rather than queued.
    const answers = await Promise.all([wrapped.invoke(first), wrapped.invoke(second)]);
    expect(answers.map(messageText)).toEqual(["slow", "slow"]);
    expect(gate.stats).toMatchObject({ hedgesSkippedAtCap: 2, hedgedCalls: 0, calls: 4, peakInFlight: 2 });
  });
});

describe("usage of hedged calls", () => {
  const messages = conversation("summaries", "session s1");

  it("counts the duplicate as a model call with its input tokens", async () => {
    const gate = createModelCallGate({ maxInFlight: 10, hedge: { minSamples: 3 } });
    const scripted = new ScriptedChatModel({
      role: "summarizer",
      script: (call) => (call.attempt === 4 ? { hang: true } : { text: "answer: ok", usage: { input: 100, output: 10 }, latencyMs: FAST_MS }),
    });
    const model = gate.wrap(scripted, "summarizer");
    const schema = z.object({ answer: z.string() });
    const usage = createUsage();
    for (let i = 0; i < 4; i += 1) await callStructured({ model, messages, schema, role: "summarizer", label: `call ${i}`, timeoutMs: 5_000, usage });
    expect(usage).toMatchObject({ calls: 5, hedgedCalls: 1, inputTokens: 500, outputTokens: 40 });
    expect(usage.byRole.summarizer).toMatchObject({ calls: 5, hedgedCalls: 1 });
  });

  it("carries hedged calls from the analyst to the report's usage, and leaves them out when there were none", async () => {
    const gate = createModelCallGate({ maxInFlight: 10, hedge: { minSamples: 2 } });
    const analyst = createPipelineAnalyst(
      readConfig({}),
      {
        factory: ({ role }) =>
          new ScriptedChatModel({
            role,
            // The same session three times: attempts 1-2 warm the stage up, 3 is the slow original, 4 its duplicate.
            script: (call) => (call.attempt === 3 ? { hang: true } : { text: summaryYamlFromPrompt(call.human), latencyMs: FAST_MS }),
          }),
      },
      gate,
    );
    const session = fixtureSession();
    const encoded = encodeSession({ sessionId: session.sessionId, events: checkoutSession(session) });
    let total: Usage = NO_USAGE;
    for (let i = 0; i < 3; i += 1) await analyst.summarize({ encoded, events: [] }, (usage) => (total = addUsage(total, usage)));
    expect(total).toMatchObject({ model_calls: 4, hedged_calls: 1 });
    expect(addUsage(NO_USAGE, NO_USAGE)).not.toHaveProperty("hedged_calls");
    expect(ReportSchema.shape.usage.parse(total)).toEqual(total);
  });
});

describe("a long tail", () => {
  it("hedges the slow tail of a stage and keeps the cap (figures printed)", async () => {
    // 16 callers at a time under a cap of 20: room for duplicates (a full cap starts none).
    const cap = 20;
    const callers = 16;
    const gate = createModelCallGate({ maxInFlight: cap, hedge: true });
    // One call in 20 is four times slower on its first attempt; a duplicate takes the usual time.
    const model = new ScriptedChatModel({
      role: "summarizer",
      script: (call) => {
        const index = Number(call.human.slice(1));
        return { text: `answer ${index}`, latencyMs: call.attempt === 1 && index % 20 === 19 ? 4 * 20 : 10 + (index % 7) };
      },
    });
    const wrapped = gate.wrap(model, "summarizer");
    const answers: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        for (let i = next++; i < 200; i = next++) answers[i] = messageText(await wrapped.invoke(conversation("summaries", `s${i}`)));
      }),
    );
    expect(answers).toEqual(Array.from({ length: 200 }, (_, i) => `answer ${i}`));
    expect(gate.stats.peakInFlight).toBeLessThanOrEqual(cap);
    expect(gate.stats.hedgedCalls).toBeGreaterThan(0);
    const { calls, hedgedCalls, hedgeWins, hedgesSkippedAtCap, peakInFlight } = gate.stats;
    console.log(
      `hedging figures: 200 requests by ${callers} callers, ${calls} model calls, ${hedgedCalls} hedged (${((100 * hedgedCalls) / calls).toFixed(1)}% of calls), ${hedgeWins} won by the duplicate, ${hedgesSkippedAtCap} skipped at the cap, peak in flight ${peakInFlight}/${cap}`,
    );
  });
});
