import { MODEL_ROLES, type ModelRole, type ModelSpec } from "../config/models.ts";
import { SessionSummariesError } from "../domain/errors.ts";
import type { MonitorBudget } from "../domain/monitor.ts";

/**
 * Cost: a price table per model, what a run, sweep or backfill will cost before it starts
 * (`estimate`), what it did cost (`costOf`), and whether a monitor's daily cap allows more
 * (`capCheck`). The offline analyst makes no model calls: it costs 0 and says so (`offline`).
 */

export class BudgetError extends SessionSummariesError {}

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/** Keyed by `provider:model` (as `--model` takes it), e.g. `openai:gpt-4.1`. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * List prices in USD per million tokens, as OpenAI and Google published them in 2025, for the
 * models of the README's Models section and their close kin. Cached-input discounts and batch
 * prices are left out, so figures err high; Gemini 2.5 Pro is priced for prompts up to 200k tokens
 * (no prompt of ours is longer). Prices change: override the table (configuration) rather than
 * trusting these.
 */
export const DEFAULT_PRICES: PriceTable = {
  "openai:gpt-4.1": { input: 2.0, output: 8.0 },
  "openai:gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "openai:gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "openai:o4-mini": { input: 1.1, output: 4.4 },
  "openai:o3": { input: 2.0, output: 8.0 },
  "openai:gpt-4o": { input: 2.5, output: 10.0 },
  "openai:gpt-4o-mini": { input: 0.15, output: 0.6 },
  "google-genai:gemini-2.5-pro": { input: 1.25, output: 10.0 },
  "google-genai:gemini-2.5-flash": { input: 0.3, output: 2.5 },
  "google-genai:gemini-2.5-flash-lite": { input: 0.1, output: 0.4 },
};

const TOKENS_PER_PRICE_UNIT = 1_000_000;

/** A price table from configuration (JSON), checked; merged over the defaults by `withPrices`. */
export function parsePriceTable(value: unknown, source = "price table"): PriceTable {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BudgetError("invalid_prices", `${source}: expected an object of "provider:model": { input, output }`);
  const table: Record<string, ModelPrice> = {};
  for (const [key, price] of Object.entries(value)) {
    const p = price as Partial<ModelPrice> | null;
    const valid = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n) && n >= 0;
    if (!key.includes(":") || typeof p !== "object" || p === null || !valid(p.input) || !valid(p.output)) {
      throw new BudgetError("invalid_prices", `${source}: ${JSON.stringify(key)} needs a "provider:model" key and non-negative numbers input and output (USD per 1M tokens)`);
    }
    table[normalizeModelKey(key)] = { input: p.input, output: p.output };
  }
  return table;
}

/** The price table of the configuration: the defaults with `SESSION_SUMMARIES_PRICES` (JSON) over them. */
export function configuredPrices(json: string | undefined, source = "SESSION_SUMMARIES_PRICES"): PriceTable {
  if (json === undefined) return DEFAULT_PRICES;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new BudgetError("invalid_prices", `${source} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return withPrices(parsePriceTable(value, source));
}

/** The defaults with configured prices over them. */
export function withPrices(overrides: PriceTable | undefined): PriceTable {
  return { ...DEFAULT_PRICES, ...overrides };
}

/** A model as anything names it: a spec, `provider:model`, a report's label (`openai:gpt-4.1 @ host`), `heuristic` or `offline analyst`. */
export type ModelRef = ModelSpec | string;

const OFFLINE_NAMES = new Set(["heuristic", "offline", "offline analyst"]);

/** `openai:GPT-4.1-2025-04-14 @ host` → `openai:gpt-4.1`; undefined for the offline analyst. */
function normalizeModelKey(text: string): string {
  return text
    .replace(/\s*@.*$/, "")
    .trim()
    .toLowerCase()
    .replace(/^gemini:|^google:/, "google-genai:")
    .replace(/-\d{4}-\d{2}-\d{2}$/, "");
}

export function modelKey(model: ModelRef): string | undefined {
  if (typeof model !== "string") return model.provider === "heuristic" ? undefined : normalizeModelKey(`${model.provider}:${model.model}`);
  const trimmed = model.trim().toLowerCase();
  return OFFLINE_NAMES.has(trimmed) ? undefined : normalizeModelKey(model);
}

export interface UsageCounts {
  model_calls: number;
  input_tokens: number;
  output_tokens: number;
}

export type UsageByRole = Partial<Record<ModelRole, UsageCounts>>;

export interface Cost {
  cost_usd: number;
  /** Every role is the offline analyst: no model calls, no cost. */
  offline: boolean;
  /** Models without a price: their tokens cost 0 here, and the figure is too low. */
  unpriced_models: string[];
  /** Usage known only in total while the roles use different models: priced at the dearest (an upper bound). */
  approximate: boolean;
}

function priceTokens(price: ModelPrice, input: number, output: number): number {
  return (input * price.input + output * price.output) / TOKENS_PER_PRICE_UNIT;
}

/** Rounded to a hundredth of a cent, as costs are shown. */
function roundUsd(usd: number): number {
  return Math.round(usd * 10_000) / 10_000;
}

function checkCounts(usage: UsageCounts, what: string): void {
  for (const [name, n] of Object.entries(usage)) {
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0) throw new BudgetError("invalid_usage", `${what}: ${name} must be a non-negative number, got ${String(n)}`);
  }
}

/**
 * What usage cost. Per-role usage is priced exactly; a total (a report's `usage`) is priced at each
 * role's model when all roles use one, else at the dearest input and output prices among them.
 */
export function costOf(usage: UsageCounts | UsageByRole, models: Partial<Record<ModelRole, ModelRef>>, prices: PriceTable = DEFAULT_PRICES): Cost {
  const keys = new Map<ModelRole, string | undefined>(MODEL_ROLES.filter((role) => models[role] !== undefined).map((role) => [role, modelKey(models[role]!)]));
  const offline = [...keys.values()].every((key) => key === undefined);
  const unpriced = new Set<string>();
  const priceOf = (key: string | undefined): ModelPrice | undefined => {
    if (key === undefined) return { input: 0, output: 0 };
    const price = prices[key];
    if (!price) unpriced.add(key);
    return price;
  };
  if (typeof (usage as UsageCounts).model_calls === "number") {
    const total = usage as UsageCounts;
    checkCounts(total, "usage");
    const priced = [...new Set(keys.values())].map(priceOf).filter((price): price is ModelPrice => price !== undefined);
    const dearest = { input: Math.max(0, ...priced.map((p) => p.input)), output: Math.max(0, ...priced.map((p) => p.output)) };
    const distinct = new Set([...keys.values()].filter((key) => key !== undefined));
    return { cost_usd: roundUsd(priceTokens(dearest, total.input_tokens, total.output_tokens)), offline, unpriced_models: [...unpriced].sort(), approximate: distinct.size > 1 };
  }
  let usd = 0;
  for (const [role, counts] of Object.entries(usage as UsageByRole) as Array<[ModelRole, UsageCounts]>) {
    checkCounts(counts, `usage of ${role}`);
    if (!keys.has(role)) {
      if (counts.model_calls > 0) unpriced.add(`${role} (no model given)`);
      continue;
    }
    const price = priceOf(keys.get(role));
    if (price) usd += priceTokens(price, counts.input_tokens, counts.output_tokens);
  }
  return { cost_usd: roundUsd(usd), offline, unpriced_models: [...unpriced].sort(), approximate: false };
}

/** Assumptions of an estimate. Measured averages (from earlier sweeps' usage) beat these defaults. */
export interface EstimateAssumptions {
  /** Prompt tokens of one session's summarize call (the encoded session and the instructions). */
  inputTokensPerSession: number;
  /** Answer tokens of one summarize call. */
  outputTokensPerSession: number;
  /** Tokens one session's summary takes in the pattern prompts. */
  digestTokensPerSession: number;
  /** Fixed part of each pattern prompt. */
  patternPromptBaseTokens: number;
  /** Answer tokens of one pattern call (extract, combine or assign). */
  outputTokensPerPatternCall: number;
  /** Chunk budgets of pattern extraction and assignment (the pipeline's settings). */
  extractionMaxTokens: number;
  assignmentMaxTokens: number;
  /** Replay checks by the vision model per session (0 with `--validate off` or an offline validator). */
  replayChecksPerSession: number;
  inputTokensPerReplayCheck: number;
  outputTokensPerReplayCheck: number;
  /** Extra summarizer calls per session for the monitor's own question (0 when it is answered in the summary call). */
  questionCallsPerSession: number;
  inputTokensPerQuestion: number;
  outputTokensPerQuestion: number;
}

/**
 * Rough defaults: a few minutes of a typical web session encode to some thousands of tokens; the
 * chunk budgets are the pipeline's defaults (`src/config/defaults.ts`); a replay check sends a short
 * clip's frames. About one flagged action in five sessions is checked.
 */
export const DEFAULT_ESTIMATE_ASSUMPTIONS: EstimateAssumptions = {
  inputTokensPerSession: 8_000,
  outputTokensPerSession: 800,
  digestTokensPerSession: 400,
  patternPromptBaseTokens: 3_000,
  outputTokensPerPatternCall: 2_000,
  extractionMaxTokens: 150_000,
  assignmentMaxTokens: 60_000,
  replayChecksPerSession: 0.2,
  inputTokensPerReplayCheck: 6_000,
  outputTokensPerReplayCheck: 400,
  questionCallsPerSession: 0,
  inputTokensPerQuestion: 8_000,
  outputTokensPerQuestion: 200,
};

export interface EstimateInput {
  sessions: number;
  /** The model of each role the run will use (`heuristic` for the offline analyst). */
  models: Partial<Record<ModelRole, ModelRef>>;
  prices?: PriceTable;
  assumptions?: Partial<EstimateAssumptions>;
}

export interface Estimate extends UsageCounts {
  sessions: number;
  cost_usd: number;
  offline: boolean;
  unpriced_models: string[];
  by_role: UsageByRole;
}

function chunks(sessions: number, perSession: number, base: number, max: number): number {
  if (sessions === 0) return 0;
  const room = Math.max(perSession, max - base);
  return Math.ceil((sessions * perSession) / room);
}

/** What a run over `sessions` sessions will cost, before it starts: model calls, tokens and USD per role. */
export function estimate(input: EstimateInput): Estimate {
  if (!Number.isInteger(input.sessions) || input.sessions < 0) throw new BudgetError("invalid_sessions", `sessions must be a non-negative integer, got ${input.sessions}`);
  const a = { ...DEFAULT_ESTIMATE_ASSUMPTIONS, ...input.assumptions };
  for (const [name, value] of Object.entries(a)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new BudgetError("invalid_assumption", `${name} must be a non-negative number, got ${String(value)}`);
  }
  const n = input.sessions;
  const uses = (role: ModelRole): boolean => input.models[role] !== undefined && modelKey(input.models[role]!) !== undefined;
  const by_role: UsageByRole = {};
  if (uses("summarizer")) {
    const questions = Math.ceil(n * a.questionCallsPerSession);
    by_role.summarizer = {
      model_calls: n + questions,
      input_tokens: n * a.inputTokensPerSession + questions * a.inputTokensPerQuestion,
      output_tokens: n * a.outputTokensPerSession + questions * a.outputTokensPerQuestion,
    };
  }
  if (uses("reasoner") && n > 0) {
    const extract = chunks(n, a.digestTokensPerSession, a.patternPromptBaseTokens, a.extractionMaxTokens);
    const assign = chunks(n, a.digestTokensPerSession, a.patternPromptBaseTokens, a.assignmentMaxTokens);
    // One chunk that one assignment prompt holds too: patterns and assignments in one call.
    const merged = extract === 1 && assign <= 1;
    const combine = extract > 1 ? 1 : 0;
    const calls = merged ? 1 : extract + combine + assign;
    // Each session's digest is read once by extraction and once by assignment (once in all when merged); combining reads the pattern lists.
    by_role.reasoner = {
      model_calls: calls,
      input_tokens: calls * a.patternPromptBaseTokens + (merged ? 1 : 2) * n * a.digestTokensPerSession + combine * extract * a.outputTokensPerPatternCall,
      output_tokens: calls * a.outputTokensPerPatternCall,
    };
  }
  if (uses("vision")) {
    const checks = Math.ceil(n * a.replayChecksPerSession);
    by_role.vision = { model_calls: checks, input_tokens: checks * a.inputTokensPerReplayCheck, output_tokens: checks * a.outputTokensPerReplayCheck };
  }
  const totals = Object.values(by_role).reduce(
    (sum, u) => ({ model_calls: sum.model_calls + u.model_calls, input_tokens: sum.input_tokens + u.input_tokens, output_tokens: sum.output_tokens + u.output_tokens }),
    { model_calls: 0, input_tokens: 0, output_tokens: 0 },
  );
  // Chat is not part of a run: only the roles a run uses are priced.
  const runModels = { summarizer: input.models.summarizer, reasoner: input.models.reasoner, vision: input.models.vision };
  const definedModels = Object.fromEntries(Object.entries(runModels).filter(([, model]) => model !== undefined)) as Partial<Record<ModelRole, ModelRef>>;
  const cost = costOf(by_role, definedModels, input.prices ?? DEFAULT_PRICES);
  return { sessions: n, ...totals, cost_usd: cost.cost_usd, offline: cost.offline, unpriced_models: cost.unpriced_models, by_role };
}

export interface Spend {
  cost_usd: number;
  model_calls: number;
}

export interface CapDecision {
  allowed: boolean;
  /** Why not, in words for a sweep's status and the alert channel. */
  reason?: string;
}

const usd = (n: number): string => `$${n.toFixed(2)}`;

/** Whether a monitor's daily cap allows the next piece of work, given what it spent today (UTC). */
export function capCheck(input: { budget: MonitorBudget; spent: Spend; next: Spend }): CapDecision {
  const { budget, spent, next } = input;
  for (const [what, value] of [
    ["spent.cost_usd", spent.cost_usd],
    ["spent.model_calls", spent.model_calls],
    ["next.cost_usd", next.cost_usd],
    ["next.model_calls", next.model_calls],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) throw new BudgetError("invalid_spend", `${what} must be a non-negative number, got ${value}`);
  }
  // Work that costs nothing (the offline analyst) never meets a cap, even a cap of 0.
  if (budget.daily_usd !== undefined && next.cost_usd > 0) {
    if (spent.cost_usd >= budget.daily_usd) return { allowed: false, reason: `daily budget of ${usd(budget.daily_usd)} reached (${usd(spent.cost_usd)} spent today)` };
    if (spent.cost_usd + next.cost_usd > budget.daily_usd) {
      return { allowed: false, reason: `daily budget of ${usd(budget.daily_usd)} would be exceeded: ${usd(spent.cost_usd)} spent today, the next step costs about ${usd(next.cost_usd)}` };
    }
  }
  if (budget.daily_model_calls !== undefined && next.model_calls > 0) {
    if (spent.model_calls >= budget.daily_model_calls) return { allowed: false, reason: `daily limit of ${budget.daily_model_calls} model calls reached` };
    if (spent.model_calls + next.model_calls > budget.daily_model_calls) {
      return { allowed: false, reason: `daily limit of ${budget.daily_model_calls} model calls would be exceeded: ${spent.model_calls} made today, the next step makes ${next.model_calls}` };
    }
  }
  return { allowed: true };
}
