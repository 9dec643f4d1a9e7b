import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ChatGoogleGenerativeAI } from "@langchain/google-genai";
import { ChatOpenAI } from "@langchain/openai";
import { DEFAULTS } from "../config/defaults.ts";
import { type AppConfig } from "../config/env.ts";
import { MODEL_ROLES, type ModelRole, type ModelSpec } from "../config/models.ts";
import { ConfigError } from "../domain/errors.ts";
import type { Analyst } from "../domain/summary.ts";
import type { ProviderLimits } from "../limits/index.ts";

/**
 * The one place models are constructed. Nodes call `loadModel(role, config, options)` and never
 * build a model themselves, so tests swap every model of a graph through `options.factory`.
 *
 * `undefined` means "no model": the role is `heuristic`, and the node runs the offline analyst.
 * A plain `undefined` (rather than a marker object) makes the branch impossible to forget: the
 * result cannot be invoked without narrowing it first.
 */

export type ModelOverrides = Partial<Record<ModelRole, ModelSpec>>;

export interface ModelRequest {
  role: ModelRole;
  /** The spec after overrides. */
  spec: ModelSpec;
  config: AppConfig;
}

/**
 * Builds the model for a role, replacing the providers (tests: scripted fakes). Called for every
 * role, `heuristic` included; return `undefined` for the offline analyst.
 */
export type ModelFactory = (request: ModelRequest) => BaseChatModel | undefined;

export interface LoadModelOptions {
  /** Per-role specs that win over `config.models` (CLI `--model role=provider:model`, graph configurable). */
  overrides?: ModelOverrides;
  factory?: ModelFactory;
  /** The HTTP client's fetch for OpenAI-compatible providers (wiring tests). */
  fetch?: typeof fetch;
  /**
   * Provider budgets shared through Redis (with a queue): every call of the models built from these
   * options waits for them. Owned by the caller, who closes it.
   */
  limits?: ProviderLimits;
}

export const OFFLINE_ANALYST_LABEL = "offline analyst";

/** The spec a role runs with: the override, else the config's; OpenAI specs get the configured base URL. */
export function resolveModelSpec(role: ModelRole, config: AppConfig, overrides?: ModelOverrides): ModelSpec {
  const spec = overrides?.[role] ?? config.models[role];
  const baseUrl = config.providers.openai.baseUrl;
  return spec.provider === "openai" && spec.baseUrl === undefined && baseUrl !== undefined ? { ...spec, baseUrl } : spec;
}

/** OpenAI's reasoning models (o-series, gpt-5 except its chat variant) reject `temperature`. */
export function isReasoningModel(model: string): boolean {
  return /^o\d/.test(model) || (model.startsWith("gpt-5") && !model.startsWith("gpt-5-chat"));
}

/** The chat model for `role`, or `undefined` when the role runs offline (`heuristic`). */
export function loadModel(role: ModelRole, config: AppConfig, options: LoadModelOptions = {}): BaseChatModel | undefined {
  const spec = resolveModelSpec(role, config, options.overrides);
  if (options.factory) return options.factory({ role, spec, config });
  switch (spec.provider) {
    case "heuristic":
      return undefined;
    case "openai":
      return openAiModel(role, spec, config, options.fetch);
    case "google-genai":
      return googleModel(role, spec, config);
  }
}

function openAiModel(role: ModelRole, spec: ModelSpec, config: AppConfig, fetchImpl?: typeof fetch): BaseChatModel {
  const baseURL = spec.baseUrl ?? config.providers.openai.baseUrl ?? DEFAULTS.models.openaiBaseUrl;
  const official = isOfficialOpenAi(baseURL);
  const apiKey = config.providers.openai.apiKey;
  if (!apiKey && official) {
    throw new ConfigError(
      "missing_api_key",
      `the ${role} model is openai:${spec.model} but OPENAI_API_KEY is not set (set it, set OPENAI_BASE_URL for an OpenAI-compatible server, or use ${envVarOf(role)}=heuristic)`,
    );
  }
  const calls = config.modelCalls;
  return new ChatOpenAI({
    model: spec.model,
    // Local OpenAI-compatible servers accept any key; the client refuses to start without one.
    apiKey: apiKey ?? "not-needed",
    ...(isReasoningModel(spec.model) ? {} : { temperature: calls.temperature }),
    timeout: calls.timeoutMs,
    maxRetries: calls.providerRetries,
    maxConcurrency: calls.maxConcurrency,
    ...streamingOf(role),
    // Explicit so the client reads no environment variable of its own.
    configuration: { baseURL, ...(fetchImpl ? { fetch: fetchImpl } : {}) },
  });
}

function googleModel(role: ModelRole, spec: ModelSpec, config: AppConfig): BaseChatModel {
  const apiKey = config.providers.google.apiKey;
  if (!apiKey) {
    throw new ConfigError("missing_api_key", `the ${role} model is google-genai:${spec.model} but GOOGLE_API_KEY (or GEMINI_API_KEY) is not set (set it, or use ${envVarOf(role)}=heuristic)`);
  }
  const calls = config.modelCalls;
  return new ChatGoogleGenerativeAI({
    model: spec.model,
    apiKey,
    baseUrl: DEFAULTS.models.googleBaseUrl,
    temperature: calls.temperature,
    maxRetries: calls.providerRetries,
    maxConcurrency: calls.maxConcurrency,
    ...streamingOf(role),
  });
}

/**
 * Only the chat's answer is streamed to people. The other roles answer structured text that is
 * parsed whole; they run inside a chat turn (the report subgraph) whose token stream would
 * otherwise switch them to streaming too.
 */
function streamingOf(role: ModelRole): { disableStreaming?: boolean } {
  return role === "chat" ? {} : { disableStreaming: true };
}

function isOfficialOpenAi(baseUrl: string): boolean {
  try {
    return new URL(baseUrl).hostname === "api.openai.com";
  } catch {
    return false;
  }
}

function envVarOf(role: ModelRole): string {
  return `SESSION_SUMMARIES_${role.toUpperCase()}`;
}

/** `openai:gpt-4.1`, `openai:llama3.1 @ localhost:11434` for a custom server, or `offline analyst`. No credentials. */
export function describeModel(spec: ModelSpec): string {
  if (spec.provider === "heuristic") return OFFLINE_ANALYST_LABEL;
  const label = `${spec.provider}:${spec.model}`;
  if (spec.provider !== "openai" || spec.baseUrl === undefined || isOfficialOpenAi(spec.baseUrl)) return label;
  try {
    // Host only: a base URL may carry user:password or a token in its query.
    return `${label} @ ${new URL(spec.baseUrl).host}`;
  } catch {
    return `${label} @ custom server`;
  }
}

/** The label of each role's model, for reports. */
export function describeModels(config: AppConfig, overrides?: ModelOverrides): Record<ModelRole, string> {
  return Object.fromEntries(MODEL_ROLES.map((role) => [role, describeModel(resolveModelSpec(role, config, overrides))])) as Record<ModelRole, string>;
}

/** Which analyst a role's output comes from, as recorded in summaries and reports. */
export function analystFor(role: ModelRole, config: AppConfig, overrides?: ModelOverrides): Analyst {
  const spec = resolveModelSpec(role, config, overrides);
  return spec.provider === "heuristic" ? { kind: "heuristic", label: OFFLINE_ANALYST_LABEL } : { kind: "model", label: describeModel(spec) };
}
