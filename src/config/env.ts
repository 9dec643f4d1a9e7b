import { TRIAGE_MODES, type TriageMode } from "../domain/triage.ts";
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../domain/errors.ts";
import { ValidationModeSchema, type ValidationMode } from "../domain/validation-mode.ts";
import type { BlobStoreConfig, CheckpointerConfig, WatchStoreConfig } from "./stores.ts";
import { DEFAULTS } from "./defaults.ts";
import { LOG_LEVELS, type LogLevel } from "./log-levels.ts";
import { defaultModels, MODEL_ROLES, parseModelSpec, withOpenAiBaseUrl, type ModelCallSettings, type ModelProvidersConfig, type ModelRole, type ModelSpec } from "./models.ts";
import { parseApiKeys, type ServerConfig } from "./server.ts";

/**
 * The only reader of `process.env`. Every setting the product reads from the environment is
 * declared here, parsed with zod, and given its default from `defaults.ts`.
 */

const booleanish = z.enum(["1", "0", "true", "false", "yes", "no", "on", "off"]).transform((value) => ["1", "true", "yes", "on"].includes(value));

/** `KEY=` (set but empty, as .env files and compose files often leave keys) reads as unset. */
function blankAsUnset<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), schema.optional());
}

const EnvSchema = z.object({
  POSTHOG_HOST: z.url().default(DEFAULTS.posthog.host),
  POSTHOG_PROJECT_ID: z.string().min(1).optional(),
  POSTHOG_API_KEY: z.string().min(1).optional(),
  SESSION_SUMMARIES_REDACT_PII: booleanish.optional(),
  /** `signals`: sessions without an issue signal are summarized offline, never sent to a model; `off`: every session is. */
  SESSION_SUMMARIES_TRIAGE: blankAsUnset(z.enum(TRIAGE_MODES)),
  /** Several small sessions per summarizer call. */
  SESSION_SUMMARIES_BATCH: blankAsUnset(booleanish),
  /** A duplicate of a slow call, and a gather that does not wait for the last stragglers. */
  SESSION_SUMMARIES_HEDGE: blankAsUnset(booleanish),
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
  /** Where monitors, issues and alerts live; unset: Postgres when the checkpointer is, else a SQLite file under the data dir. */
  SESSION_SUMMARIES_WATCH_STORE: blankAsUnset(z.enum(["sqlite", "postgres"])),
  SESSION_SUMMARIES_QUEUE: blankAsUnset(z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")),
  SESSION_SUMMARIES_QUEUE_PREFIX: blankAsUnset(z.string().regex(/^[A-Za-z0-9_.{}-]+$/, "may hold only letters, digits, _ - . and {}")),
  /** Model-provider budgets shared through the queue's Redis (JSON; see `parseProviderLimits`). */
  SESSION_SUMMARIES_PROVIDER_LIMITS: blankAsUnset(z.string()),
  SESSION_SUMMARIES_SESSION_IDLE_MINUTES: blankAsUnset(
    z.coerce
      .number()
      .min(0)
      .max(24 * 60),
  ),
  SESSION_SUMMARIES_PRICES: blankAsUnset(z.string()),
  SESSION_SUMMARIES_ALERT_SECRETS: blankAsUnset(z.string()),
  /** Issues → tickets (`src/tickets`): credentials are never logged. */
  SESSION_SUMMARIES_GITHUB_TOKEN: blankAsUnset(z.string()),
  SESSION_SUMMARIES_GITHUB_REPO: blankAsUnset(z.string().regex(/^[\w.-]+\/[\w.-]+$/, "must be owner/repo")),
  SESSION_SUMMARIES_GITHUB_API_URL: blankAsUnset(z.url()),
  SESSION_SUMMARIES_LINEAR_API_KEY: blankAsUnset(z.string()),
  SESSION_SUMMARIES_LINEAR_TEAM: blankAsUnset(z.string()),
  SESSION_SUMMARIES_LINEAR_API_URL: blankAsUnset(z.url()),
  SESSION_SUMMARIES_TICKET_WEBHOOK_URL: blankAsUnset(z.url()),
  SESSION_SUMMARIES_TICKET_WEBHOOK_SECRET: blankAsUnset(z.string().min(8)),
  /** The served API's public address, for links in tickets (report pages, the issues page). */
  SESSION_SUMMARIES_PUBLIC_URL: blankAsUnset(z.url()),
  DATABASE_URL: z.string().min(1).optional(),
  POSTGRES_URL: z.string().min(1).optional(),
  SESSION_SUMMARIES_POSTGRES_SCHEMA: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/)
    .optional(),
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
  /** How much the servers and sources log (JSON lines on stderr). */
  SESSION_SUMMARIES_LOG_LEVEL: blankAsUnset(z.enum(LOG_LEVELS)),
});

/** The levers of a report's model calls; they matter only when a model summarizes (the offline analyst makes no call). */
export interface SpeedSettings {
  triage: TriageMode;
  batch: boolean;
  hedge: boolean;
}

export interface PostHogConfig {
  host: string;
  projectId?: string;
  /** Personal API key. Never logged; `describeConfig` masks it. */
  apiKey?: string;
}

export interface AppConfig {
  posthog: PostHogConfig;
  /** Level of the structured log on stderr (`SESSION_SUMMARIES_LOG_LEVEL`). */
  logLevel: LogLevel;
  /** The model behind each role (`heuristic` = the offline analyst). */
  models: Record<ModelRole, ModelSpec>;
  providers: ModelProvidersConfig;
  modelCalls: ModelCallSettings;
  /** Triage, batching and hedging of a report's model calls (`SESSION_SUMMARIES_TRIAGE`, `_BATCH`, `_HEDGE`). */
  speed: SpeedSettings;
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
  /** Where monitors, sweeps, issues and alerts live (`SESSION_SUMMARIES_WATCH_STORE`); print it with `describeWatchStore`. */
  watchStore: WatchStoreConfig;
  watch: {
    /** A session is finished (a sweep may take it) when nothing arrived for this long (`SESSION_SUMMARIES_SESSION_IDLE_MINUTES`). */
    sessionIdleMinutes: number;
    /** Price overrides as JSON, `{"openai:gpt-4.1-mini": {"input": 0.4, "output": 1.6}}` in USD per 1M tokens (`SESSION_SUMMARIES_PRICES`); parsed by the watch layer. */
    pricesJson?: string;
    /** Webhook signing secrets by name (`SESSION_SUMMARIES_ALERT_SECRETS=name=secret,...`): monitors name them, the store never holds them. */
    alertSecrets: Readonly<Record<string, string>>;
  };
  /**
   * Budgets per provider model (`SESSION_SUMMARIES_PROVIDER_LIMITS`): requests and tokens per minute
   * and calls in flight, shared by every process on the queue's Redis. Read (and validated) always,
   * used only with `queue`: the budgets live on that Redis.
   */
  providerLimits?: ProviderLimitsConfig;
  /** BullMQ on Redis for workers (`SESSION_SUMMARIES_QUEUE=redis://…`); absent: everything runs in process. The URL may hold a password. */
  queue?: {
    url: string;
    /** The deployment's key prefix (`SESSION_SUMMARIES_QUEUE_PREFIX`), so staging and production can share one Redis; default `session-summaries-queue`. */
    prefix?: string;
  };
  server: ServerConfig;
  /** Where issues become tickets; each tracker only when its settings are complete. Secrets: never log them. */
  tickets?: TicketsConfig;
}

export interface TicketsConfig {
  github?: { token: string; repo: string; apiUrl: string };
  linear?: { apiKey: string; teamId: string; apiUrl: string };
  webhook?: { url: string; secret?: string };
  /** The served API's public address: tickets link to report pages and the issues page under it. */
  publicUrl?: string;
}

/** One model's budgets; an absent field means no limit of that kind. */
export interface ModelLimitsConfig {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  maxInFlight?: number;
}

export interface ProviderLimitsConfig {
  /** Limits of every model without its own entry (the `default` key). */
  defaults?: ModelLimitsConfig;
  /** By model key as written (`openai:gpt-4.1-mini`); the LLM layer normalizes the keys. */
  models: Record<string, ModelLimitsConfig>;
}

const MODEL_LIMIT_NAMES = ["requestsPerMinute", "tokensPerMinute", "maxInFlight"] as const;

/**
 * `{"default": {"requestsPerMinute": 500, "tokensPerMinute": 200000, "maxInFlight": 50}, "openai:gpt-4.1-mini": {...}}`.
 * Every key but `default` is a `provider:model`; every limit a whole number >= 1.
 */
export function parseProviderLimits(text: string, source = "SESSION_SUMMARIES_PROVIDER_LIMITS"): ProviderLimitsConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError("invalid_env", `${source} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError("invalid_env", `${source} must be a JSON object of limits by model ("default" or "provider:model")`);
  }
  const result: ProviderLimitsConfig = { models: {} };
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (key !== "default" && !/^[^:\s]+:\S.*$/.test(key.trim())) {
      throw new ConfigError("invalid_env", `${source}: key ${JSON.stringify(key)} must be "default" or a model as provider:model (e.g. openai:gpt-4.1-mini)`);
    }
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new ConfigError("invalid_env", `${source}["${key}"] must be an object of limits`);
    const limits: ModelLimitsConfig = {};
    for (const [name, limit] of Object.entries(entry as Record<string, unknown>)) {
      if (!(MODEL_LIMIT_NAMES as readonly string[]).includes(name)) {
        throw new ConfigError("invalid_env", `${source}["${key}"].${name} is not a limit (expected ${MODEL_LIMIT_NAMES.join(", ")})`);
      }
      if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
        throw new ConfigError("invalid_env", `${source}["${key}"].${name} must be a whole number >= 1 (omit it for no limit), got ${JSON.stringify(limit)}`);
      }
      limits[name as (typeof MODEL_LIMIT_NAMES)[number]] = limit;
    }
    if (key === "default") result.defaults = limits;
    else result.models[key.trim()] = limits;
  }
  return result;
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
    logLevel: e.SESSION_SUMMARIES_LOG_LEVEL ?? DEFAULTS.log.level,
    models,
    providers,
    modelCalls: {
      timeoutMs: e.SESSION_SUMMARIES_MODEL_TIMEOUT_MS ?? DEFAULTS.models.callTimeoutMs,
      maxConcurrency: e.SESSION_SUMMARIES_MODEL_CONCURRENCY ?? DEFAULTS.models.maxConcurrency,
      temperature: e.SESSION_SUMMARIES_TEMPERATURE ?? DEFAULTS.models.temperature,
      providerRetries: DEFAULTS.models.providerRetries,
    },
    speed: {
      triage: e.SESSION_SUMMARIES_TRIAGE ?? DEFAULTS.speed.triage,
      batch: e.SESSION_SUMMARIES_BATCH ?? DEFAULTS.speed.batch.enabled,
      hedge: e.SESSION_SUMMARIES_HEDGE ?? DEFAULTS.speed.hedge.enabled,
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
    watchStore: readWatchStoreConfig(e),
    ...(e.SESSION_SUMMARIES_QUEUE ? { queue: { url: e.SESSION_SUMMARIES_QUEUE, ...(e.SESSION_SUMMARIES_QUEUE_PREFIX ? { prefix: e.SESSION_SUMMARIES_QUEUE_PREFIX } : {}) } } : {}),
    ...(e.SESSION_SUMMARIES_PROVIDER_LIMITS ? { providerLimits: parseProviderLimits(e.SESSION_SUMMARIES_PROVIDER_LIMITS) } : {}),
    watch: {
      sessionIdleMinutes: e.SESSION_SUMMARIES_SESSION_IDLE_MINUTES ?? DEFAULTS.watch.sessionIdleMinutes,
      ...(e.SESSION_SUMMARIES_PRICES ? { pricesJson: e.SESSION_SUMMARIES_PRICES } : {}),
      alertSecrets: e.SESSION_SUMMARIES_ALERT_SECRETS ? parseAlertSecrets(e.SESSION_SUMMARIES_ALERT_SECRETS) : {},
    },
    ...ticketsOf(e),
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

/**
 * Blob store and checkpointer. The embedded defaults (files under the data dir) need no service;
 * Redis and Postgres are chosen explicitly, never because a URL happens to be set.
 */
function readStoreConfig(e: z.infer<typeof EnvSchema>): AppConfig["store"] {
  const dataDir = dataDirOf(e);
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
    checkpointer = { kind: "postgres", ...readPostgres(e, "SESSION_SUMMARIES_CHECKPOINTER=postgres") };
  } else if (checkpointerKind === "memory") {
    checkpointer = { kind: "memory" };
  } else {
    checkpointer = { kind: "sqlite", file: path.join(dataDir, DEFAULTS.store.checkpointFile) };
  }
  return { blobs, checkpointer };
}

/** Follows the checkpointer unless set: a deployment on Postgres keeps everything there; else a SQLite file under the data dir. */
function readWatchStoreConfig(e: z.infer<typeof EnvSchema>): WatchStoreConfig {
  const checkpointerKind = e.SESSION_SUMMARIES_CHECKPOINTER ?? DEFAULTS.store.checkpointer;
  const kind = e.SESSION_SUMMARIES_WATCH_STORE ?? (checkpointerKind === "postgres" ? "postgres" : "sqlite");
  if (kind === "postgres") return { kind: "postgres", ...readPostgres(e, "SESSION_SUMMARIES_WATCH_STORE=postgres") };
  return { kind: "sqlite", file: path.join(dataDirOf(e), DEFAULTS.store.watchFile) };
}

function dataDirOf(e: z.infer<typeof EnvSchema>): string {
  return path.resolve(e.SESSION_SUMMARIES_DATA_DIR ?? DEFAULTS.store.dataDir);
}

/** The Postgres URL and schema, for the setting (`setting`) that asked for Postgres. */
function readPostgres(e: z.infer<typeof EnvSchema>, setting: string): { url: string; schema: string } {
  const url = e.DATABASE_URL ?? e.POSTGRES_URL;
  if (!url) throw new ConfigError("invalid_env", `${setting} needs DATABASE_URL or POSTGRES_URL (e.g. postgresql://user@host:5432/db)`);
  if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError("invalid_env", "DATABASE_URL / POSTGRES_URL must start with postgresql:// or postgres://");
  return { url, schema: e.SESSION_SUMMARIES_POSTGRES_SCHEMA ?? DEFAULTS.store.postgresSchema };
}

/** Tracker settings; a token without its repo (or key without its team) is an error, not a silent no. */
function ticketsOf(e: z.infer<typeof EnvSchema>): { tickets?: TicketsConfig } {
  const pair = (a: string | undefined, b: string | undefined, names: string): boolean => {
    if (Boolean(a) !== Boolean(b)) throw new ConfigError("invalid_env", `${names} go together: set both or neither`);
    return Boolean(a);
  };
  const tickets: TicketsConfig = {
    ...(pair(e.SESSION_SUMMARIES_GITHUB_TOKEN, e.SESSION_SUMMARIES_GITHUB_REPO, "SESSION_SUMMARIES_GITHUB_TOKEN and SESSION_SUMMARIES_GITHUB_REPO")
      ? { github: { token: e.SESSION_SUMMARIES_GITHUB_TOKEN!, repo: e.SESSION_SUMMARIES_GITHUB_REPO!, apiUrl: e.SESSION_SUMMARIES_GITHUB_API_URL ?? DEFAULTS.tickets.githubApiUrl } }
      : {}),
    ...(pair(e.SESSION_SUMMARIES_LINEAR_API_KEY, e.SESSION_SUMMARIES_LINEAR_TEAM, "SESSION_SUMMARIES_LINEAR_API_KEY and SESSION_SUMMARIES_LINEAR_TEAM")
      ? { linear: { apiKey: e.SESSION_SUMMARIES_LINEAR_API_KEY!, teamId: e.SESSION_SUMMARIES_LINEAR_TEAM!, apiUrl: e.SESSION_SUMMARIES_LINEAR_API_URL ?? DEFAULTS.tickets.linearApiUrl } }
      : {}),
    ...(e.SESSION_SUMMARIES_TICKET_WEBHOOK_URL
      ? { webhook: { url: e.SESSION_SUMMARIES_TICKET_WEBHOOK_URL, ...(e.SESSION_SUMMARIES_TICKET_WEBHOOK_SECRET ? { secret: e.SESSION_SUMMARIES_TICKET_WEBHOOK_SECRET } : {}) } }
      : {}),
    ...(e.SESSION_SUMMARIES_PUBLIC_URL ? { publicUrl: e.SESSION_SUMMARIES_PUBLIC_URL } : {}),
  };
  return Object.keys(tickets).length > 0 ? { tickets } : {};
}

/** `name=secret,name2=secret2`: names are plain identifiers; a secret may contain anything but a comma. */
export function parseAlertSecrets(text: string, source = "SESSION_SUMMARIES_ALERT_SECRETS"): Record<string, string> {
  const secrets: Record<string, string> = {};
  text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)
    .forEach((item, index) => {
      const equals = item.indexOf("=");
      const name = equals === -1 ? "" : item.slice(0, equals).trim();
      const secret = equals === -1 ? "" : item.slice(equals + 1);
      if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) throw new ConfigError("invalid_env", `${source}: item ${index + 1} must be name=secret with a name of letters, digits, _ . or -`);
      if (secret.length < 8) throw new ConfigError("invalid_env", `${source}: the secret named ${JSON.stringify(name)} is shorter than 8 characters`);
      if (name in secrets) throw new ConfigError("invalid_env", `${source}: the name ${JSON.stringify(name)} appears twice`);
      secrets[name] = secret;
    });
  return secrets;
}
