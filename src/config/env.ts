import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../domain/errors.ts";
import { ValidationModeSchema, type ValidationMode } from "../domain/validation-mode.ts";
import type { BlobStoreConfig, CheckpointerConfig } from "../store/config.ts";
import { DEFAULTS } from "./defaults.ts";

/**
 * The only reader of `process.env`. Every setting the product reads from the environment is
 * declared here, parsed with zod, and given its default from `defaults.ts`.
 */

const booleanish = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
  .transform((value) => ["1", "true", "yes", "on"].includes(value));

/** `KEY=` (set but empty, as .env files and compose files often leave keys) reads as unset. */
function blankAsUnset<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), schema.optional());
}

const EnvSchema = z.object({
  POSTHOG_HOST: z.url().default(DEFAULTS.posthog.host),
  POSTHOG_PROJECT_ID: z.string().min(1).optional(),
  POSTHOG_API_KEY: z.string().min(1).optional(),
  SESSION_SUMMARIES_REDACT_PII: booleanish.optional(),
  SESSION_SUMMARIES_CHROMIUM: z.string().min(1).optional(),
  /** Which flagged issues are checked against the replay. */
  SESSION_SUMMARIES_VALIDATE: ValidationModeSchema.optional(),
  SESSION_SUMMARIES_CLIP_BEFORE_MS: z.coerce.number().int().nonnegative().optional(),
  SESSION_SUMMARIES_CLIP_LENGTH_MS: z.coerce.number().int().min(1_000).max(120_000).optional(),
  SESSION_SUMMARIES_CLIP_FPS: z.coerce.number().min(0.5).max(10).optional(),
  SESSION_SUMMARIES_CLIP_SPEED: z.coerce.number().min(1).max(32).optional(),
  SESSION_SUMMARIES_RENDER_PAGES: z.coerce.number().int().min(1).max(16).optional(),
  /** Dataset directory the LangGraph dev server's graphs read. */
  SESSION_SUMMARIES_DATASET: z.string().min(1).optional(),
  /** Optional product map (JSON or YAML) that sharpens the offline analyst: see `src/analysts/product-map.ts`. */
  SESSION_SUMMARIES_PRODUCT_MAP: blankAsUnset(z.string().min(1)),
  SESSION_SUMMARIES_BLOB_STORE: z.enum(["memory", "filesystem", "redis"]).optional(),
  SESSION_SUMMARIES_DATA_DIR: z.string().min(1).optional(),
  SESSION_SUMMARIES_BLOB_TTL_SECONDS: z.coerce.number().int().positive().optional(),
  REDIS_URL: z.string().min(1).optional(),
  SESSION_SUMMARIES_REDIS_PREFIX: z.string().optional(),
  SESSION_SUMMARIES_CHECKPOINTER: z.enum(["memory", "sqlite", "postgres"]).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  POSTGRES_URL: z.string().min(1).optional(),
  SESSION_SUMMARIES_POSTGRES_SCHEMA: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/).optional(),
  OPENAI_API_KEY: blankAsUnset(z.string()),
  OPENAI_BASE_URL: blankAsUnset(z.url()),
  GOOGLE_API_KEY: blankAsUnset(z.string()),
  GEMINI_API_KEY: blankAsUnset(z.string()),
  SESSION_SUMMARIES_SUMMARIZER: blankAsUnset(z.string()),
  SESSION_SUMMARIES_REASONER: blankAsUnset(z.string()),
  SESSION_SUMMARIES_VISION: blankAsUnset(z.string()),
  SESSION_SUMMARIES_CHAT: blankAsUnset(z.string()),
  SESSION_SUMMARIES_MODEL_TIMEOUT_MS: blankAsUnset(z.coerce.number().int().positive()),
  SESSION_SUMMARIES_MODEL_CONCURRENCY: blankAsUnset(z.coerce.number().int().min(1).max(256)),
  SESSION_SUMMARIES_TEMPERATURE: blankAsUnset(z.coerce.number().min(0).max(2)),
  /** `key=project,key=project`: API keys of `serve`, each giving access to one project. */
  SESSION_SUMMARIES_API_KEYS: blankAsUnset(z.string()),
  SESSION_SUMMARIES_HOST: blankAsUnset(z.string()),
  SESSION_SUMMARIES_PORT: blankAsUnset(z.coerce.number().int().min(0).max(65_535)),
  SESSION_SUMMARIES_MAX_BODY_BYTES: blankAsUnset(z.coerce.number().int().min(1_024)),
  SESSION_SUMMARIES_MAX_RUNS_PER_PROJECT: blankAsUnset(z.coerce.number().int().min(1).max(100)),
  SESSION_SUMMARIES_MAX_TURNS_PER_PROJECT: blankAsUnset(z.coerce.number().int().min(1).max(1_000)),
});

export interface PostHogConfig {
  host: string;
  projectId?: string;
  /** Personal API key. Never logged; `describeConfig` masks it. */
  apiKey?: string;
}

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

export interface AppConfig {
  posthog: PostHogConfig;
  /** The model behind each role (`heuristic` = the offline analyst). */
  models: Record<ModelRole, ModelSpec>;
  providers: ModelProvidersConfig;
  modelCalls: ModelCallSettings;
  redactPii: boolean;
  /** Path of the Chromium binary used to replay recordings. */
  chromiumPath: string;
  /** Which flagged key actions are checked against the replay (`SESSION_SUMMARIES_VALIDATE`). */
  validation: ValidationMode;
  /** The clip around a checked event, and how it is rendered. */
  clip: { beforeEventMs: number; lengthMs: number; framesPerSecond: number; speed: number; maxPages: number };
  /** Dataset directory for surfaces that take none on the command line (LangGraph Studio). */
  datasetDir?: string;
  /** Product map file of the offline analyst (`SESSION_SUMMARIES_PRODUCT_MAP`): page names, goal events, steps that matter. */
  productMapPath?: string;
  /** Where blobs and checkpoints live; URLs may hold passwords: print them with `describeBlobStore`/`describeCheckpointer`. */
  store: { blobs: BlobStoreConfig; checkpointer: CheckpointerConfig };
  server: ServerConfig;
}

/** One API key and the project it opens. Keys are secrets: never logged. */
export interface ApiKeyGrant {
  key: string;
  project: string;
}

/** Settings of `session-summaries serve` (the chat and reports API). */
export interface ServerConfig {
  host: string;
  port: number;
  /** From `SESSION_SUMMARIES_API_KEYS`; a `--config` file can add projects with their own datasets. */
  apiKeys: ApiKeyGrant[];
  maxBodyBytes: number;
  maxRunsPerProject: number;
  /** Chat turns answering at once per project. */
  maxTurnsPerProject: number;
  heartbeatMs: number;
}

/** Project names become blob-key and thread-id prefixes: plain identifiers only. */
export const PROJECT_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Short keys are guessable; whitespace and `,`/`=` would break the `key=project` list. */
export const API_KEY_PATTERN = /^[^\s,=]{12,256}$/;

/** `key=project,key=project` → grants; `source` names the setting in errors. Keys never appear in messages. */
export function parseApiKeys(text: string, source = "SESSION_SUMMARIES_API_KEYS"): ApiKeyGrant[] {
  const grants: ApiKeyGrant[] = [];
  const items = text.split(",").map((item) => item.trim()).filter(Boolean);
  items.forEach((item, index) => {
    const equals = item.lastIndexOf("=");
    const key = equals === -1 ? "" : item.slice(0, equals).trim();
    const project = equals === -1 ? "" : item.slice(equals + 1).trim();
    if (equals === -1) throw new ConfigError("invalid_env", `${source}: item ${index + 1} is not key=project`);
    if (!API_KEY_PATTERN.test(key)) {
      throw new ConfigError("invalid_env", `${source}: the key of item ${index + 1} must be 12 to 256 characters without spaces, commas or =`);
    }
    if (!PROJECT_NAME_PATTERN.test(project)) {
      throw new ConfigError("invalid_env", `${source}: item ${index + 1}: project ${JSON.stringify(project)} must be 1 to 64 letters, digits, _ or -`);
    }
    if (grants.some((grant) => grant.key === key)) throw new ConfigError("invalid_env", `${source}: item ${index + 1} repeats a key`);
    grants.push({ key, project });
  });
  return grants;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new ConfigError("invalid_env", `invalid environment: ${details}`);
  }
  const e = parsed.data;
  const providers: ModelProvidersConfig = {
    openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL },
    google: { apiKey: e.GOOGLE_API_KEY ?? e.GEMINI_API_KEY },
  };
  const roleSettings: Record<ModelRole, string | undefined> = {
    summarizer: e.SESSION_SUMMARIES_SUMMARIZER,
    reasoner: e.SESSION_SUMMARIES_REASONER,
    vision: e.SESSION_SUMMARIES_VISION,
    chat: e.SESSION_SUMMARIES_CHAT,
  };
  const defaults = defaultModels({ openai: Boolean(providers.openai.apiKey), google: Boolean(providers.google.apiKey) });
  const models = Object.fromEntries(
    MODEL_ROLES.map((role) => {
      const setting = roleSettings[role];
      const spec = setting === undefined ? defaults[role] : parseModelSpec(setting, `SESSION_SUMMARIES_${role.toUpperCase()}`);
      return [role, withOpenAiBaseUrl(spec, providers.openai.baseUrl)];
    }),
  ) as Record<ModelRole, ModelSpec>;
  return {
    posthog: { host: e.POSTHOG_HOST, projectId: e.POSTHOG_PROJECT_ID, apiKey: e.POSTHOG_API_KEY },
    models,
    providers,
    modelCalls: {
      timeoutMs: e.SESSION_SUMMARIES_MODEL_TIMEOUT_MS ?? DEFAULTS.models.callTimeoutMs,
      maxConcurrency: e.SESSION_SUMMARIES_MODEL_CONCURRENCY ?? DEFAULTS.models.maxConcurrency,
      temperature: e.SESSION_SUMMARIES_TEMPERATURE ?? DEFAULTS.models.temperature,
      providerRetries: DEFAULTS.models.providerRetries,
    },
    redactPii: e.SESSION_SUMMARIES_REDACT_PII ?? DEFAULTS.encode.redactPii,
    chromiumPath: e.SESSION_SUMMARIES_CHROMIUM ?? DEFAULTS.render.chromiumPath,
    validation: e.SESSION_SUMMARIES_VALIDATE ?? DEFAULTS.validation,
    clip: {
      beforeEventMs: e.SESSION_SUMMARIES_CLIP_BEFORE_MS ?? DEFAULTS.clip.beforeEventMs,
      lengthMs: e.SESSION_SUMMARIES_CLIP_LENGTH_MS ?? DEFAULTS.clip.lengthMs,
      framesPerSecond: e.SESSION_SUMMARIES_CLIP_FPS ?? DEFAULTS.clip.framesPerSecond,
      speed: e.SESSION_SUMMARIES_CLIP_SPEED ?? DEFAULTS.clip.speed,
      maxPages: e.SESSION_SUMMARIES_RENDER_PAGES ?? DEFAULTS.clip.maxPages,
    },
    ...(e.SESSION_SUMMARIES_DATASET ? { datasetDir: e.SESSION_SUMMARIES_DATASET } : {}),
    ...(e.SESSION_SUMMARIES_PRODUCT_MAP ? { productMapPath: e.SESSION_SUMMARIES_PRODUCT_MAP } : {}),
    store: readStoreConfig(e),
    server: {
      host: e.SESSION_SUMMARIES_HOST ?? DEFAULTS.server.host,
      port: e.SESSION_SUMMARIES_PORT ?? DEFAULTS.server.port,
      apiKeys: e.SESSION_SUMMARIES_API_KEYS ? parseApiKeys(e.SESSION_SUMMARIES_API_KEYS) : [],
      maxBodyBytes: e.SESSION_SUMMARIES_MAX_BODY_BYTES ?? DEFAULTS.server.maxBodyBytes,
      maxRunsPerProject: e.SESSION_SUMMARIES_MAX_RUNS_PER_PROJECT ?? DEFAULTS.server.maxRunsPerProject,
      maxTurnsPerProject: e.SESSION_SUMMARIES_MAX_TURNS_PER_PROJECT ?? DEFAULTS.server.maxTurnsPerProject,
      heartbeatMs: DEFAULTS.server.heartbeatMs,
    },
  };
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
      throw new ConfigError(
        "invalid_model",
        `${source}: expected role=provider:model with role one of ${MODEL_ROLES.join(", ")}, got ${JSON.stringify(item)}`,
      );
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

function withOpenAiBaseUrl(spec: ModelSpec, baseUrl: string | undefined): ModelSpec {
  return spec.provider === "openai" && baseUrl !== undefined && spec.baseUrl === undefined ? { ...spec, baseUrl } : spec;
}

/**
 * Blob store and checkpointer. The embedded defaults (files under the data dir) need no service;
 * Redis and Postgres are chosen explicitly, never because a URL happens to be set.
 */
function readStoreConfig(e: z.infer<typeof EnvSchema>): AppConfig["store"] {
  const dataDir = path.resolve(e.SESSION_SUMMARIES_DATA_DIR ?? DEFAULTS.store.dataDir);
  const ttlSeconds = e.SESSION_SUMMARIES_BLOB_TTL_SECONDS;
  const blobKind = e.SESSION_SUMMARIES_BLOB_STORE ?? DEFAULTS.store.blobStore;
  let blobs: BlobStoreConfig;
  if (blobKind === "redis") {
    if (!e.REDIS_URL) throw new ConfigError("invalid_env", "SESSION_SUMMARIES_BLOB_STORE=redis needs REDIS_URL (e.g. redis://127.0.0.1:6379)");
    if (!/^rediss?:\/\//.test(e.REDIS_URL)) throw new ConfigError("invalid_env", "REDIS_URL must start with redis:// or rediss://");
    blobs = {
      kind: "redis",
      url: e.REDIS_URL,
      prefix: e.SESSION_SUMMARIES_REDIS_PREFIX ?? DEFAULTS.store.redisPrefix,
      ttlSeconds: ttlSeconds ?? DEFAULTS.store.redisBlobTtlSeconds,
    };
  } else if (blobKind === "memory") {
    blobs = { kind: "memory", ttlSeconds };
  } else {
    blobs = { kind: "filesystem", dir: path.join(dataDir, DEFAULTS.store.blobsSubdir), ttlSeconds };
  }
  const checkpointerKind = e.SESSION_SUMMARIES_CHECKPOINTER ?? DEFAULTS.store.checkpointer;
  let checkpointer: CheckpointerConfig;
  if (checkpointerKind === "postgres") {
    const url = e.DATABASE_URL ?? e.POSTGRES_URL;
    if (!url) {
      throw new ConfigError("invalid_env", "SESSION_SUMMARIES_CHECKPOINTER=postgres needs DATABASE_URL or POSTGRES_URL (e.g. postgresql://user@host:5432/db)");
    }
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError("invalid_env", "DATABASE_URL / POSTGRES_URL must start with postgresql:// or postgres://");
    checkpointer = { kind: "postgres", url, schema: e.SESSION_SUMMARIES_POSTGRES_SCHEMA ?? DEFAULTS.store.postgresSchema };
  } else if (checkpointerKind === "memory") {
    checkpointer = { kind: "memory" };
  } else {
    checkpointer = { kind: "sqlite", file: path.join(dataDir, DEFAULTS.store.checkpointFile) };
  }
  return { blobs, checkpointer };
}
