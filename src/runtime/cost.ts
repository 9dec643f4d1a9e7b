import type { ModelRole } from "../config/models.ts";
import type { Report } from "../domain/report.ts";
import type { Usage } from "../llm/analyst.ts";
import { costOf, DEFAULT_PRICES, type ModelRef } from "../watch/budget.ts";
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
