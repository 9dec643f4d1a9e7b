import { ConfigError } from "../domain/errors.ts";
import { DEFAULTS } from "./defaults.ts";

/** Models per role: the roles, providers and specs, and parsing `provider:model` (env vars, CLI flags, Studio). */

/** What each model does: see DESIGN.md §7. */
export const MODEL_ROLES = ["summarizer", "reasoner", "vision", "chat"] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

/** `heuristic` is the built-in offline analyst: no model at all. */
export const MODEL_PROVIDERS = ["openai", "google-genai", "heuristic"] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

export interface ModelSpec {
  provider: ModelProvider;
  /** The provider's model name; `offline` for the heuristic analyst. */
  model: string;
  /** OpenAI-compatible server (Ollama, vLLM, LM Studio); defaults to `OPENAI_BASE_URL`, then OpenAI. */
  baseUrl?: string;
}

/** Provider credentials. Never logged: `describeModels` prints only provider, model and host. */
export interface ModelProvidersConfig {
  openai: { apiKey?: string; baseUrl?: string };
  google: { apiKey?: string };
}

export interface ModelCallSettings {
  timeoutMs: number;
  maxConcurrency: number;
  temperature: number;
  /** Retries the provider client makes on 429/5xx. */
  providerRetries: number;
}

const HEURISTIC_SPEC: ModelSpec = { provider: "heuristic", model: "offline" };
const PROVIDER_ALIASES: Record<string, ModelProvider> = {
  openai: "openai",
  "google-genai": "google-genai",
  google: "google-genai",
  gemini: "google-genai",
  heuristic: "heuristic",
  offline: "heuristic",
};

/**
 * `provider:model` → a spec, e.g. `openai:gpt-4.1`, `google-genai:gemini-2.5-flash`, `heuristic`.
 * Only the first colon separates, so `openai:llama3.1:8b` (an Ollama tag) keeps its own.
 * `source` names where the text came from (an env var, a CLI flag) in the error.
 */
export function parseModelSpec(text: string, source = "model"): ModelSpec {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(":");
  const providerText = (colon === -1 ? trimmed : trimmed.slice(0, colon)).trim().toLowerCase();
  const model = colon === -1 ? "" : trimmed.slice(colon + 1).trim();
  const provider = Object.hasOwn(PROVIDER_ALIASES, providerText) ? PROVIDER_ALIASES[providerText] : undefined;
  if (!provider) {
    throw new ConfigError(
      "invalid_model",
      `${source}: unknown provider ${JSON.stringify(providerText)} in ${JSON.stringify(text)}; expected one of ${MODEL_PROVIDERS.join(", ")} (e.g. openai:gpt-4.1)`,
    );
  }
  if (provider === "heuristic") {
    if (model !== "") throw new ConfigError("invalid_model", `${source}: heuristic takes no model name, got ${JSON.stringify(text)}`);
    return { ...HEURISTIC_SPEC };
  }
  if (model === "") {
    throw new ConfigError("invalid_model", `${source}: missing model name in ${JSON.stringify(text)}; expected ${provider}:<model>, e.g. openai:gpt-4.1`);
  }
  if (/\s/.test(model)) throw new ConfigError("invalid_model", `${source}: model name must not contain spaces: ${JSON.stringify(model)}`);
  return { provider, model };
}

/** CLI-style overrides, each `role=provider:model` (e.g. `reasoner=openai:o4-mini`). */
export function parseModelOverrides(items: readonly string[], source = "--model"): Partial<Record<ModelRole, ModelSpec>> {
  const overrides: Partial<Record<ModelRole, ModelSpec>> = {};
  for (const item of items) {
    const equals = item.indexOf("=");
    const role = item.slice(0, Math.max(0, equals)).trim().toLowerCase();
    if (equals === -1 || !(MODEL_ROLES as readonly string[]).includes(role)) {
      throw new ConfigError("invalid_model", `${source}: expected role=provider:model with role one of ${MODEL_ROLES.join(", ")}, got ${JSON.stringify(item)}`);
    }
    overrides[role as ModelRole] = parseModelSpec(item.slice(equals + 1), `${source} ${role}`);
  }
  return overrides;
}

/** The model per role when none is configured: OpenAI with its key, else Gemini with its key, else offline. */
export function defaultModels(keys: { openai: boolean; google: boolean }): Record<ModelRole, ModelSpec> {
  const pick = (role: ModelRole): ModelSpec => {
    // Gemini takes video, so with both keys it looks at clips.
    if (keys.google && (!keys.openai || role === "vision")) return { provider: "google-genai", model: DEFAULTS.models.google[role] };
    if (keys.openai) return { provider: "openai", model: DEFAULTS.models.openai[role] };
    return { ...HEURISTIC_SPEC };
  };
  return Object.fromEntries(MODEL_ROLES.map((role) => [role, pick(role)])) as Record<ModelRole, ModelSpec>;
}

/** A spec of the `openai` provider without a base URL of its own takes `OPENAI_BASE_URL`. */
export function withOpenAiBaseUrl(spec: ModelSpec, baseUrl: string | undefined): ModelSpec {
  return spec.provider === "openai" && baseUrl !== undefined && spec.baseUrl === undefined ? { ...spec, baseUrl } : spec;
}
