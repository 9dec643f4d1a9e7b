import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { afterEach, describe, expect, it, vi } from "vitest";
import { modelOptionsFrom } from "../../src/llm/configuration.ts";
import { analystFor, describeModels, loadModel, OFFLINE_ANALYST_LABEL } from "../../src/llm/models.ts";
import { callStructured, createUsage } from "../../src/llm/structured/call.ts";
import { readConfig, type AppConfig } from "../../src/config/env.ts";
import { MODEL_ROLES, parseModelOverrides, parseModelSpec } from "../../src/config/models.ts";
import { ConfigError } from "../../src/domain/errors.ts";
import { OFFLINE_ANALYST_VERSION } from "../../src/analysts/index.ts";
import { z } from "zod";
import { ScriptedChatModel } from "../fakes/scripted-model.ts";
import { stubFetch } from "../fakes/stub-fetch.ts";
import { createPipelineAnalyst, SUMMARY_PROMPT_VERSION } from "../../src/llm/model-analyst.ts";

const OPENAI_KEY = "sk-test-0123456789abcdef";
const GOOGLE_KEY = "AIzaTest0123456789abcdefghijkl";

function configOf(env: Record<string, string>): AppConfig {
  return readConfig(env);
}

function expectConfigError(run: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
}

const openAiCompletion = (content: string) => ({
  id: "chatcmpl-test",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "gpt-4.1",
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop", logprobs: null }],
  usage: { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 },
});

const messages = [new SystemMessage("You answer in YAML."), new HumanMessage("Say ok.")];

describe("model config", () => {
  it("runs every role on the offline analyst when no key is set", () => {
    const config = configOf({});
    for (const role of MODEL_ROLES) {
      expect(config.models[role]).toEqual({ provider: "heuristic", model: "offline" });
      expect(loadModel(role, config)).toBeUndefined();
    }
    expect(Object.values(describeModels(config))).toEqual(MODEL_ROLES.map(() => OFFLINE_ANALYST_LABEL));
    expect(analystFor("summarizer", config)).toEqual({ kind: "heuristic", label: OFFLINE_ANALYST_LABEL });
  });

  it("defaults to OpenAI models with an OpenAI key", () => {
    const config = configOf({ OPENAI_API_KEY: OPENAI_KEY });
    expect(describeModels(config)).toEqual({
      summarizer: "openai:gpt-4.1-mini",
      reasoner: "openai:gpt-4.1",
      vision: "openai:gpt-4.1-mini",
      chat: "openai:gpt-4.1-mini",
    });
    expect(config.providers.openai.apiKey).toBe(OPENAI_KEY);
  });

  it("defaults to Gemini with only a Google key (GOOGLE_API_KEY or GEMINI_API_KEY)", () => {
    const envs: Array<Record<string, string>> = [{ GOOGLE_API_KEY: GOOGLE_KEY }, { GEMINI_API_KEY: GOOGLE_KEY }];
    for (const env of envs) {
      const config = configOf(env);
      expect(describeModels(config)).toEqual({
        summarizer: "google-genai:gemini-2.5-flash",
        reasoner: "google-genai:gemini-2.5-pro",
        vision: "google-genai:gemini-2.5-flash",
        chat: "google-genai:gemini-2.5-flash",
      });
      expect(config.providers.google.apiKey).toBe(GOOGLE_KEY);
    }
  });

  it("with both keys, looks at clips with Gemini and does the rest with OpenAI", () => {
    const labels = describeModels(configOf({ OPENAI_API_KEY: OPENAI_KEY, GOOGLE_API_KEY: GOOGLE_KEY }));
    expect(labels.vision).toBe("google-genai:gemini-2.5-flash");
    expect(labels.summarizer).toBe("openai:gpt-4.1-mini");
  });

  it("takes each role from its own variable", () => {
    const config = configOf({
      OPENAI_API_KEY: OPENAI_KEY,
      GOOGLE_API_KEY: GOOGLE_KEY,
      SESSION_SUMMARIES_SUMMARIZER: "google-genai:gemini-2.5-flash-lite",
      SESSION_SUMMARIES_REASONER: "openai:o4-mini",
      SESSION_SUMMARIES_VISION: "heuristic",
      SESSION_SUMMARIES_CHAT: "openai:gpt-4.1",
    });
    expect(config.models).toEqual({
      summarizer: { provider: "google-genai", model: "gemini-2.5-flash-lite" },
      reasoner: { provider: "openai", model: "o4-mini" },
      vision: { provider: "heuristic", model: "offline" },
      chat: { provider: "openai", model: "gpt-4.1" },
    });
  });

  it("reads call settings with defaults, and rejects bad numbers", () => {
    expect(configOf({}).modelCalls).toEqual({ timeoutMs: 300_000, maxConcurrency: 50, temperature: 0.1, providerRetries: 2 });
    const tuned = configOf({ SESSION_SUMMARIES_MODEL_TIMEOUT_MS: "5000", SESSION_SUMMARIES_MODEL_CONCURRENCY: "3", SESSION_SUMMARIES_TEMPERATURE: "0" });
    expect(tuned.modelCalls).toMatchObject({ timeoutMs: 5000, maxConcurrency: 3, temperature: 0 });
    expectConfigError(() => configOf({ SESSION_SUMMARIES_MODEL_TIMEOUT_MS: "soon" }), "SESSION_SUMMARIES_MODEL_TIMEOUT_MS");
    expectConfigError(() => configOf({ SESSION_SUMMARIES_TEMPERATURE: "3" }), "SESSION_SUMMARIES_TEMPERATURE");
  });

  it("reads a variable that is set but empty as unset", () => {
    const config = configOf({ OPENAI_API_KEY: "", OPENAI_BASE_URL: " ", SESSION_SUMMARIES_REASONER: "", SESSION_SUMMARIES_MODEL_TIMEOUT_MS: "" });
    expect(config.providers.openai).toEqual({ apiKey: undefined, baseUrl: undefined });
    expect(config.models.reasoner.provider).toBe("heuristic");
    expect(config.modelCalls.timeoutMs).toBe(300_000);
  });

  it("names the variable of a bad model setting", () => {
    expectConfigError(() => configOf({ SESSION_SUMMARIES_REASONER: "gpt-4.1" }), "SESSION_SUMMARIES_REASONER", "unknown provider", "openai:gpt-4.1");
  });
});

describe("parseModelSpec and overrides", () => {
  it("parses provider:model, aliases and the heuristic analyst", () => {
    expect(parseModelSpec("openai:gpt-4.1")).toEqual({ provider: "openai", model: "gpt-4.1" });
    expect(parseModelSpec(" google-genai:gemini-2.5-flash ")).toEqual({ provider: "google-genai", model: "gemini-2.5-flash" });
    expect(parseModelSpec("gemini:gemini-2.5-pro")).toEqual({ provider: "google-genai", model: "gemini-2.5-pro" });
    expect(parseModelSpec("heuristic")).toEqual({ provider: "heuristic", model: "offline" });
  });

  it("keeps the colons of an Ollama tag in the model name", () => {
    expect(parseModelSpec("openai:llama3.1:8b")).toEqual({ provider: "openai", model: "llama3.1:8b" });
  });

  it("explains what is wrong", () => {
    expectConfigError(() => parseModelSpec("anthropic:claude"), "unknown provider", '"anthropic"', "openai, google-genai, heuristic");
    expectConfigError(() => parseModelSpec("openai:"), "missing model name");
    expectConfigError(() => parseModelSpec("openai"), "missing model name");
    expectConfigError(() => parseModelSpec("heuristic:fast"), "takes no model name");
    expectConfigError(() => parseModelSpec("openai:gpt 4"), "spaces");
    expectConfigError(() => parseModelSpec("constructor:x"), "unknown provider");
  });

  it("parses role=provider:model overrides and rejects unknown roles", () => {
    expect(parseModelOverrides(["reasoner=openai:o4-mini", "vision=heuristic"])).toEqual({
      reasoner: { provider: "openai", model: "o4-mini" },
      vision: { provider: "heuristic", model: "offline" },
    });
    expectConfigError(() => parseModelOverrides(["judge=openai:o3"]), "summarizer, reasoner, vision, chat", '"judge=openai:o3"');
    expectConfigError(() => parseModelOverrides(["openai:o3"]), "role=provider:model");
    expectConfigError(() => parseModelOverrides(["chat=openai:"]), "--model chat", "missing model name");
  });
});

describe("loadModel", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("builds the configured provider per role, overrides first", () => {
    const config = configOf({ OPENAI_API_KEY: OPENAI_KEY, GOOGLE_API_KEY: GOOGLE_KEY });
    const summarizer = loadModel("summarizer", config);
    expect(summarizer?._llmType()).toBe("openai");
    expect((summarizer as unknown as { model: string }).model).toBe("gpt-4.1-mini");
    expect(loadModel("vision", config)?._llmType()).toBe("googlegenerativeai");

    const overrides = parseModelOverrides(["summarizer=google-genai:gemini-2.5-pro", "reasoner=heuristic"]);
    const overridden = loadModel("summarizer", config, { overrides });
    expect(overridden?._llmType()).toBe("googlegenerativeai");
    expect((overridden as unknown as { model: string }).model).toBe("gemini-2.5-pro");
    expect(loadModel("reasoner", config, { overrides })).toBeUndefined();
    expect(describeModels(config, overrides).reasoner).toBe(OFFLINE_ANALYST_LABEL);
  });

  it("refuses an OpenAI model without OPENAI_API_KEY, naming the variable", () => {
    const config = configOf({ SESSION_SUMMARIES_SUMMARIZER: "openai:gpt-4.1" });
    expectConfigError(() => loadModel("summarizer", config), "OPENAI_API_KEY", "summarizer");
    expectConfigError(() => loadModel("chat", configOf({}), { overrides: { chat: parseModelSpec("openai:gpt-4.1") } }), "OPENAI_API_KEY");
  });

  it("refuses a Gemini model without GOOGLE_API_KEY, naming the variable", () => {
    const config = configOf({ OPENAI_API_KEY: OPENAI_KEY, SESSION_SUMMARIES_VISION: "google-genai:gemini-2.5-flash" });
    expectConfigError(() => loadModel("vision", config), "GOOGLE_API_KEY", "vision");
  });

  it("never puts a key in a label", () => {
    const config = configOf({ OPENAI_API_KEY: OPENAI_KEY, GOOGLE_API_KEY: GOOGLE_KEY, OPENAI_BASE_URL: "http://user:secret@localhost:11434/v1" });
    const labels = JSON.stringify(describeModels(config));
    expect(labels).not.toContain(OPENAI_KEY);
    expect(labels).not.toContain(GOOGLE_KEY);
    expect(labels).not.toContain("secret");
    expect(describeModels(config).summarizer).toBe("openai:gpt-4.1-mini @ localhost:11434");
  });

  it("sends OpenAI requests to the configured base URL with the model, messages and key", async () => {
    const config = configOf({ OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: "http://127.0.0.1:11434/v1", SESSION_SUMMARIES_SUMMARIZER: "openai:llama3.1:8b" });
    const { fetch, requests } = stubFetch(openAiCompletion("answer: ok"));
    const model = loadModel("summarizer", config, { fetch })!;
    const usage = createUsage();
    const result = await callStructured({ model, messages, schema: z.object({ answer: z.string() }), role: "summarizer", label: "wiring", timeoutMs: 5_000, usage });

    expect(result.value).toEqual({ answer: "ok" });
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.url).toBe("http://127.0.0.1:11434/v1/chat/completions");
    expect(request!.headers.get("authorization")).toBe(`Bearer ${OPENAI_KEY}`);
    expect(request!.body).toMatchObject({
      model: "llama3.1:8b",
      temperature: 0.1,
      messages: [
        { role: "system", content: "You answer in YAML." },
        { role: "user", content: "Say ok." },
      ],
    });
    // The provider's usage, not a local count.
    expect(usage).toMatchObject({ calls: 1, inputTokens: 42, outputTokens: 7 });
  });

  it("talks to an OpenAI-compatible server without a key", async () => {
    const config = configOf({ OPENAI_BASE_URL: "http://localhost:1234/v1", SESSION_SUMMARIES_CHAT: "openai:qwen2.5" });
    const { fetch, requests } = stubFetch(openAiCompletion("hello"));
    const model = loadModel("chat", config, { fetch })!;
    const answer = await model.invoke(messages);
    expect(answer.content).toBe("hello");
    expect(requests[0]!.url).toBe("http://localhost:1234/v1/chat/completions");
  });

  it("does not send a temperature to reasoning models", async () => {
    const config = configOf({ OPENAI_API_KEY: OPENAI_KEY, SESSION_SUMMARIES_REASONER: "openai:o4-mini" });
    const { fetch, requests } = stubFetch(openAiCompletion("ok"));
    await loadModel("reasoner", config, { fetch })!.invoke(messages);
    expect(requests[0]!.url).toBe("https://api.openai.com/v1/chat/completions");
    expect(requests[0]!.body.model).toBe("o4-mini");
    expect(requests[0]!.body).not.toHaveProperty("temperature");
  });

  it("sends Gemini requests with the model, the messages and the key in a header", async () => {
    const config = configOf({ GOOGLE_API_KEY: GOOGLE_KEY });
    const { fetch, requests } = stubFetch({
      candidates: [{ content: { role: "model", parts: [{ text: "answer: ok" }] }, finishReason: "STOP", index: 0 }],
      usageMetadata: { promptTokenCount: 31, candidatesTokenCount: 4, totalTokenCount: 35 },
    });
    // The Gemini SDK calls the global fetch; it takes no fetch option.
    vi.stubGlobal("fetch", fetch);
    const model = loadModel("summarizer", config)!;
    const usage = createUsage();
    const result = await callStructured({ model, messages, schema: z.object({ answer: z.string() }), role: "summarizer", label: "wiring", timeoutMs: 5_000, usage });

    expect(result.value).toEqual({ answer: "ok" });
    const [request] = requests;
    expect(request!.url).toBe("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent");
    expect(request!.url).not.toContain(GOOGLE_KEY);
    expect(request!.headers.get("x-goog-api-key")).toBe(GOOGLE_KEY);
    expect(JSON.stringify(request!.body)).toContain("Say ok.");
    expect(JSON.stringify(request!.body)).toContain("You answer in YAML.");
    expect(request!.body).toMatchObject({ generationConfig: { temperature: 0.1 } });
    expect(usage).toMatchObject({ calls: 1, inputTokens: 31, outputTokens: 4 });
  });
});

describe("summary cache label", () => {
  it("names the summarizer and its prompt version, so editing the prompt asks the model again", () => {
    const analyst = createPipelineAnalyst(configOf({ OPENAI_API_KEY: OPENAI_KEY }));
    expect(SUMMARY_PROMPT_VERSION).toMatch(/^[0-9a-f]{8}$/);
    expect(analyst.cacheLabel).toBe(`openai:gpt-4.1-mini@${SUMMARY_PROMPT_VERSION}`);
    expect(createPipelineAnalyst(configOf({})).cacheLabel).toBe(`heuristic@${OFFLINE_ANALYST_VERSION}`);
    expect(OFFLINE_ANALYST_VERSION).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe("injecting models", () => {
  it("a factory replaces every provider, heuristic roles included", () => {
    const config = configOf({});
    const fake = new ScriptedChatModel({ script: ["answer: ok"] });
    const seen: string[] = [];
    const factory = ({ role, spec }: { role: string; spec: { provider: string } }) => {
      seen.push(`${role}:${spec.provider}`);
      return role === "chat" ? undefined : fake;
    };
    expect(loadModel("summarizer", config, { factory })).toBe(fake);
    expect(loadModel("chat", config, { factory })).toBeUndefined();
    expect(seen).toEqual(["summarizer:heuristic", "chat:heuristic"]);
  });

  it("reads overrides and a factory from a graph run's configurable", () => {
    const config = configOf({});
    const fake = new ScriptedChatModel({ script: ["answer: ok"] });
    const options = modelOptionsFrom({ configurable: { thread_id: "t1", models: { reasoner: "openai:o4-mini" }, modelFactory: () => fake } });
    expect(options.overrides).toEqual({ reasoner: { provider: "openai", model: "o4-mini" } });
    expect(loadModel("reasoner", config, options)).toBe(fake);
    expect(modelOptionsFrom(undefined)).toEqual({});
    expectConfigError(() => modelOptionsFrom({ configurable: { models: { reasoner: "claude" } } }), "configurable.models.reasoner");
    expectConfigError(() => modelOptionsFrom({ configurable: { models: { judge: "openai:o3" } } }), "configurable.models");
  });
});
