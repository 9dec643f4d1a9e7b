import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MemorySaver } from "@langchain/langgraph";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline } from "../../graph/pipeline.ts";
import { readConfig, type AppConfig } from "../../src/config/env.ts";
import { ConfigError } from "../../src/domain/errors.ts";
import type { EncodedSession } from "../../src/encode/index.ts";
import { ProviderLimits } from "../../src/limits/index.ts";
import type { SessionInput } from "../../src/llm/analyst.ts";
import { ModelCallError } from "../../src/llm/errors.ts";
import { createPipelineAnalyst } from "../../src/llm/model-analyst.ts";
import { createProviderLimits, retryAfterMsOf } from "../../src/llm/provider-limits.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { cloneDataset } from "../fixtures/clone-dataset.ts";
import { providerError, ScriptedChatModel, type ScriptedCall, type ScriptedReply } from "../fakes/scripted-model.ts";
import { assignmentsFromPrompt, assignmentsYaml, extractAssignYamlFromPrompt, patternsYaml, purposeOf, summaryYamlFromPrompt } from "../fakes/responses.ts";
import { TEST_REDIS_URL, requireRedis, runId } from "./services.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SESSIONS = 6;
const run = runId("ss-wired");
let dataset: string;
let raw: Redis;

/** A model name unique to this run: its budget keys on the shared test Redis are this test's alone. */
function modelName(label: string): string {
  return `wired-${label}-${run}`.toLowerCase();
}

function configOf(model: string, env: Record<string, string>): AppConfig {
  return readConfig({
    OPENAI_API_KEY: "unused",
    SESSION_SUMMARIES_SUMMARIZER: `openai:${model}`,
    SESSION_SUMMARIES_REASONER: `openai:${model}`,
    SESSION_SUMMARIES_VALIDATE: "off",
    // Every session costs a call: the figures below count them.
    SESSION_SUMMARIES_TRIAGE: "off",
    ...env,
  });
}

/** Counts the calls in flight across every model sharing it, and the most seen at once. */
function inFlightCounter(latencyMs: number) {
  const counter = { running: 0, peak: 0, calls: 0 };
  const script = async (call: ScriptedCall): Promise<ScriptedReply> => {
    counter.running += 1;
    counter.calls += 1;
    counter.peak = Math.max(counter.peak, counter.running);
    try {
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      switch (purposeOf(call.messages)) {
        case "summarize":
          return summaryYamlFromPrompt(call.human);
        case "extract":
        case "combine":
          return patternsYaml([{ pattern_name: "Frustrated clicks", severity: "high" }]);
        case "assign":
          return assignmentsYaml(assignmentsFromPrompt(call.human));
        case "extract_assign":
          return extractAssignYamlFromPrompt(call.human, [{ pattern_name: "Frustrated clicks", severity: "high" }]);
        default:
          return { error: new Error("unexpected prompt") };
      }
    } finally {
      counter.running -= 1;
    }
  };
  return { counter, script };
}

/** One report by one pipeline, as one process of a deployment would make it. */
async function report(config: AppConfig, script: (call: ScriptedCall) => Promise<ScriptedReply>): Promise<void> {
  const pipeline = await createPipeline({
    config,
    source: new DatasetSource(dataset),
    blobs: new MemoryBlobStore(),
    checkpointer: new MemorySaver(),
    models: { factory: ({ role }) => new ScriptedChatModel({ script, role }) },
    // Each pipeline plays a worker process summarizing itself: the queue here is only where the budgets live.
    sessions: "in-process",
  });
  try {
    const state = await pipeline.graph.invoke({ report_id: "r", title: "Limits", selection: {} }, { configurable: { thread_id: "t" }, maxConcurrency: 8 });
    expect(state.report_key).toBeTruthy();
  } finally {
    await pipeline.close();
  }
}

function session(id: string): SessionInput {
  return { encoded: { sessionId: id, text: `events of ${id}` } as EncodedSession, events: [] };
}

beforeAll(async () => {
  await requireRedis();
  raw = new Redis(TEST_REDIS_URL);
  dataset = await mkdtemp(path.join(tmpdir(), "ss-wired-"));
  await cloneDataset(path.join(ROOT, "examples/sample"), dataset, SESSIONS);
});

afterAll(async () => {
  if (raw) {
    let cursor = "0";
    do {
      const [next, keys] = await raw.scan(cursor, "MATCH", `*${run.toLowerCase()}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await raw.unlink(...keys);
    } while (cursor !== "0");
    await raw.quit();
  }
  if (dataset) await rm(dataset, { recursive: true, force: true });
});

describe("provider limits wired into the model calls", () => {
  it("two pipelines (two processes) summarizing at once never have more than maxInFlight = 1 model call in flight", async () => {
    const model = modelName("inflight");
    const config = configOf(model, {
      SESSION_SUMMARIES_QUEUE: TEST_REDIS_URL,
      SESSION_SUMMARIES_PROVIDER_LIMITS: JSON.stringify({ default: { maxInFlight: 50 }, [`openai:${model}`]: { maxInFlight: 1 } }),
    });
    const { counter, script } = inFlightCounter(25);
    await Promise.all([report(config, script), report(config, script)]);
    // Both reports summarized every session and found patterns: each made at least SESSIONS + 1 calls.
    expect(counter.calls).toBeGreaterThanOrEqual(2 * (SESSIONS + 1));
    expect(counter.peak).toBe(1);
    // Every slot was given back.
    expect(await raw.zcard(`session-summaries:limits:openai:${model}:inflight`)).toBe(0);
  });

  it("without the queue the same limits are not applied and nothing connects to Redis: the calls overlap", async () => {
    const model = modelName("noqueue");
    const config = configOf(model, { SESSION_SUMMARIES_PROVIDER_LIMITS: JSON.stringify({ [`openai:${model}`]: { maxInFlight: 1 } }) });
    expect(config.providerLimits?.models[`openai:${model}`]).toEqual({ maxInFlight: 1 });
    expect(createProviderLimits(config)).toBeUndefined();
    const { counter, script } = inFlightCounter(25);
    await report(config, script);
    expect(counter.peak).toBeGreaterThan(1);
    expect(await raw.keys(`*${model}*`)).toEqual([]);

    // A queue on a Redis nobody listens on, without limits: nothing connects to it, the report completes.
    await report(configOf(model, { SESSION_SUMMARIES_QUEUE: "redis://127.0.0.1:1" }), inFlightCounter(1).script);
  });

  it("a bad SESSION_SUMMARIES_PROVIDER_LIMITS is a ConfigError naming the setting, with or without the queue", () => {
    const cases = ["{not json", "[1]", JSON.stringify({ "gpt-4.1": { maxInFlight: 1 } }), JSON.stringify({ default: { maxInFlight: 0 } }), JSON.stringify({ default: { perHour: 5 } })];
    for (const text of cases) {
      for (const queue of [{}, { SESSION_SUMMARIES_QUEUE: "redis://127.0.0.1:1" }]) {
        expect(() => readConfig({ SESSION_SUMMARIES_PROVIDER_LIMITS: text, ...queue })).toThrow(ConfigError);
        expect(() => readConfig({ SESSION_SUMMARIES_PROVIDER_LIMITS: text, ...queue })).toThrow(/SESSION_SUMMARIES_PROVIDER_LIMITS/);
      }
    }
    const config = readConfig({
      SESSION_SUMMARIES_PROVIDER_LIMITS: JSON.stringify({ default: { requestsPerMinute: 500, tokensPerMinute: 200_000, maxInFlight: 50 }, "openai:gpt-4.1-mini": { maxInFlight: 2 } }),
    });
    expect(config.providerLimits).toEqual({ defaults: { requestsPerMinute: 500, tokensPerMinute: 200_000, maxInFlight: 50 }, models: { "openai:gpt-4.1-mini": { maxInFlight: 2 } } });
  });

  it("a 429 answered to one analyst delays the next call of another analyst (another process) on the same model", async () => {
    const model = modelName("throttle");
    const config = configOf(model, { SESSION_SUMMARIES_QUEUE: TEST_REDIS_URL, SESSION_SUMMARIES_PROVIDER_LIMITS: JSON.stringify({ default: { maxInFlight: 5 } }) });
    const machines = [createProviderLimits(config)!, createProviderLimits(config)!];
    try {
      const throttled = Object.assign(providerError(429, "Rate limit reached"), { headers: { "retry-after-ms": "700" } });
      const throttledAnalyst = createPipelineAnalyst(config, { limits: machines[0], factory: ({ role }) => new ScriptedChatModel({ role, script: () => ({ error: throttled }) }) });
      let otherCalledAt: number | undefined;
      const otherAnalyst = createPipelineAnalyst(config, {
        limits: machines[1],
        factory: ({ role }) =>
          new ScriptedChatModel({
            role,
            script: (call) => {
              otherCalledAt ??= Date.now();
              return summaryYamlFromPrompt(call.human);
            },
          }),
      });

      const failure = await throttledAnalyst.summarize(session("a"), () => {}).catch((error: unknown) => error);
      const throttledAt = Date.now();
      expect(failure).toBeInstanceOf(ModelCallError);
      expect((failure as ModelCallError).status).toBe(429);
      expect(await raw.pttl(machines[1]!.keysFor(`openai:${model}`).throttle)).toBeGreaterThan(300);

      // (The fake's answer to this table-less session does not matter: only when the call was made.)
      await otherAnalyst.summarize(session("b"), () => {}).catch(() => {});
      // The other process waited out the provider's retry-after before calling at all.
      expect(otherCalledAt).toBeDefined();
      expect(otherCalledAt! - throttledAt).toBeGreaterThanOrEqual(500);
    } finally {
      await Promise.all(machines.map((limits) => limits.close()));
    }
  });

  it("reads a provider's retry-after in milliseconds, seconds or as a date, from a Headers object or a record", () => {
    expect(retryAfterMsOf({ headers: new Headers({ "retry-after-ms": "250" }) })).toBe(250);
    expect(retryAfterMsOf({ headers: { "Retry-After": "2" } })).toBe(2_000);
    expect(retryAfterMsOf({ response: { headers: { "retry-after": new Date(10_000).toUTCString() } } }, 7_000)).toBe(3_000);
    expect(retryAfterMsOf({ cause: { headers: { "retry-after": "1" } } })).toBe(1_000);
    expect(retryAfterMsOf(new Error("no headers"))).toBeUndefined();
    expect(retryAfterMsOf({ headers: { "retry-after": "soon" } })).toBeUndefined();
  });

  it("a model call waiting for a full in-flight slot is aborted by the run's signal and takes nothing", async () => {
    const model = modelName("abort");
    const config = configOf(model, { SESSION_SUMMARIES_QUEUE: TEST_REDIS_URL, SESSION_SUMMARIES_PROVIDER_LIMITS: JSON.stringify({ default: { maxInFlight: 1 } }) });
    const limits = createProviderLimits(config)!;
    const other = new ProviderLimits({ url: TEST_REDIS_URL, defaults: { maxInFlight: 1 } });
    try {
      const held = await other.acquire(`openai:${model}`, 1);
      let called = false;
      const analyst = createPipelineAnalyst(config, {
        limits,
        factory: ({ role }) =>
          new ScriptedChatModel({
            role,
            script: (call) => {
              called = true;
              return summaryYamlFromPrompt(call.human);
            },
          }),
      });
      const controller = new AbortController();
      const pending = analyst.summarize(session("c"), () => {}, controller.signal).catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 150));
      controller.abort();
      const error = await pending;
      expect(error).toBeInstanceOf(ModelCallError);
      expect((error as ModelCallError).code).toBe("aborted");
      expect(called).toBe(false);
      expect(await limits.inFlight(`openai:${model}`)).toBe(1);
      await held.release();
      expect(await limits.inFlight(`openai:${model}`)).toBe(0);
    } finally {
      await Promise.all([limits.close(), other.close()]);
    }
  });
});
