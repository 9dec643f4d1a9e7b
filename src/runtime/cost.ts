import type { ModelRole } from "../config/models.ts";
import type { Report } from "../domain/report.ts";
import type { Usage } from "../llm/analyst.ts";
import { costOf, DEFAULT_PRICES, estimate, type Estimate, type EstimateAssumptions, type ModelRef } from "../watch/budget.ts";
import type { PipelineRuntime } from "./runtime.ts";

/** The models a run calls: the summarizer and reasoner, and the vision model only when replay checks use one (the DOM check is offline). */
export function runModelsOf(runtime: Pick<PipelineRuntime, "analyst" | "validation">): Partial<Record<ModelRole, ModelRef>> {
  const models = runtime.analyst.models;
  const vision = runtime.validation && runtime.validation.validator.method !== "dom" ? models.vision : undefined;
  return {
    ...(models.summarizer ? { summarizer: models.summarizer } : {}),
    ...(models.reasoner ? { reasoner: models.reasoner } : {}),
    ...(vision ? { vision } : {}),
  };
}

/** What a run's usage cost at the runtime's prices, as reports carry it. */
export function runCost(runtime: Pick<PipelineRuntime, "analyst" | "validation" | "prices">, usage: Usage): NonNullable<Report["cost"]> {
  const cost = costOf(usage, runModelsOf(runtime), runtime.prices ?? DEFAULT_PRICES);
  return { usd: cost.cost_usd, offline: cost.offline, unpriced_models: cost.unpriced_models, approximate: cost.approximate };
}

/** What a run over `sessions` sessions would cost with this runtime's models and prices, before it starts. */
export function estimateRun(runtime: Pick<PipelineRuntime, "analyst" | "validation" | "prices" | "settings">, sessions: number, assumptions: Partial<EstimateAssumptions> = {}): Estimate {
  return estimate({
    sessions,
    models: runModelsOf(runtime),
    prices: runtime.prices ?? DEFAULT_PRICES,
    assumptions: { extractionMaxTokens: runtime.settings.extractionMaxTokens, assignmentMaxTokens: runtime.settings.assignmentMaxTokens, ...assumptions },
  });
}

/** One line: `12 sessions: about 14 model calls, 98000 input and 11600 output tokens, $0.06`. */
export function describeEstimate(e: Estimate, offlineLabel = "offline analyst"): string {
  const head = `${e.sessions} session${e.sessions === 1 ? "" : "s"}`;
  if (e.offline || e.model_calls === 0) return `${head}: ${offlineLabel}, no model calls, $0.00`;
  const unpriced = e.unpriced_models.length > 0 ? ` (no price for ${e.unpriced_models.join(", ")}: counted as $0)` : "";
  return `${head}: about ${e.model_calls} model calls, ${e.input_tokens} input and ${e.output_tokens} output tokens, $${e.cost_usd.toFixed(2)}${unpriced}`;
}
