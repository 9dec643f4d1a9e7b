import type { AppConfig } from "../config/env.ts";
import type { ModelSpec } from "../config/models.ts";
import { ProviderLimits, type ModelLimits } from "../limits/index.ts";
import { modelKey } from "../watch/budget.ts";

/**
 * Model calls under the provider budgets shared by every process on the queue's Redis
 * (`SESSION_SUMMARIES_PROVIDER_LIMITS` with `SESSION_SUMMARIES_QUEUE`). Without a queue there is no
 * limiter and calls run as before, bounded only by the model client's own concurrency setting.
 */

export const LIMITED_CALL_DEFAULTS = {
  /**
   * Output tokens a call is charged before it answers: the token budget must hold the answer too, and
   * the structured answers of every role stay well under this. Corrected by the reported usage after.
   */
  expectedOutputTokens: 1_000,
  /** Pause for everyone after a 429 that says nothing about when to retry. */
  throttleMs: 5_000,
} as const;

/** What a call needs to respect the budgets of its model. */
export interface ModelCallLimits {
  limits: ProviderLimits;
  /** `provider:model`, normalized as the budgets and prices name models (`src/watch/budget.ts`). */
  modelKey: string;
  /** Default `LIMITED_CALL_DEFAULTS.expectedOutputTokens`. */
  expectedOutputTokens?: number;
  /** Default `LIMITED_CALL_DEFAULTS.throttleMs`. */
  defaultThrottleMs?: number;
}

/**
 * The limiter a process's model calls share, when the configuration asks for one: limits configured
 * and a queue Redis to keep them on. The caller closes it. Connects lazily, on the first call.
 */
export function createProviderLimits(config: AppConfig): ProviderLimits | undefined {
  if (!config.queue || !config.providerLimits) return undefined;
  const models: Record<string, ModelLimits> = {};
  for (const [key, limits] of Object.entries(config.providerLimits.models)) {
    const normalized = modelKey(key);
    if (normalized !== undefined) models[normalized] = limits;
  }
  return new ProviderLimits({ url: config.queue.url, ...(config.providerLimits.defaults ? { defaults: config.providerLimits.defaults } : {}), models });
}

/** The budgets a model of `spec` is called under, or none (no limiter, or the offline analyst). */
export function callLimitsFor(spec: ModelSpec, limits: ProviderLimits | undefined): ModelCallLimits | undefined {
  if (!limits) return undefined;
  const key = modelKey(spec);
  return key === undefined ? undefined : { limits, modelKey: key };
}

/**
 * How long the provider asked us to wait, from the `retry-after-ms` or `retry-after` header (seconds
 * or an HTTP date) of the error (OpenAI's SDK puts `headers` on its errors) or its response.
 */
export function retryAfterMsOf(error: unknown, now = Date.now()): number | undefined {
  for (const holder of [error, (error as { cause?: unknown } | null)?.cause]) {
    const headers = headersOf(holder);
    if (!headers) continue;
    const ms = Number(headers("retry-after-ms"));
    if (headers("retry-after-ms") !== undefined && Number.isFinite(ms) && ms > 0) return ms;
    const retryAfter = headers("retry-after");
    if (retryAfter === undefined) continue;
    const seconds = Number(retryAfter);
    if (retryAfter.trim() !== "" && Number.isFinite(seconds)) {
      if (seconds > 0) return seconds * 1000;
      continue;
    }
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at) && at > now) return at - now;
  }
  return undefined;
}

type HeaderReader = (name: string) => string | undefined;

function headersOf(holder: unknown): HeaderReader | undefined {
  if (typeof holder !== "object" || holder === null) return undefined;
  const raw = (holder as { headers?: unknown }).headers ?? (holder as { response?: { headers?: unknown } }).response?.headers;
  if (typeof raw !== "object" || raw === null) return undefined;
  if (typeof (raw as Headers).get === "function") {
    return (name) => (raw as Headers).get(name) ?? undefined;
  }
  const record = raw as Record<string, unknown>;
  return (name) => {
    const entry = Object.entries(record).find(([key]) => key.toLowerCase() === name);
    return entry === undefined || entry[1] === undefined || entry[1] === null ? undefined : String(entry[1]);
  };
}
