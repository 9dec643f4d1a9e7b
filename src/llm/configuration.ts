import type { RunnableConfig } from "@langchain/core/runnables";
import { z } from "zod";
import { MODEL_ROLES, parseModelSpec, type ModelRole } from "../config/models.ts";
import { ConfigError, describeIssues } from "../domain/errors.ts";
import type { LoadModelOptions, ModelFactory, ModelOverrides } from "./models.ts";

/**
 * What a graph run may carry in `config.configurable` about models:
 * - `models`: per-role `provider:model` strings (LangGraph Studio, the API), e.g. `{ reasoner: "openai:o4-mini" }`;
 * - `modelFactory`: a function building every role's model (in-process only: tests and benchmarks
 *   put scripted fakes here; it is not serializable, so it never comes over the API).
 * Nodes pass `modelOptionsFrom(config)` to `loadModel`.
 */

export const ModelConfigurableSchema = z.object({
  models: z.partialRecord(z.enum(MODEL_ROLES), z.string().min(1)).optional(),
});
export type ModelConfigurable = z.infer<typeof ModelConfigurableSchema> & { modelFactory?: ModelFactory };

/** Model options from a run's configurable. Throws `ConfigError` on a bad `provider:model`. */
export function modelOptionsFrom(config?: RunnableConfig): LoadModelOptions {
  const configurable = (config?.configurable ?? {}) as Record<string, unknown>;
  const options: LoadModelOptions = {};
  const models = configurable.models;
  if (models !== undefined) {
    const parsed = ModelConfigurableSchema.shape.models.safeParse(models);
    if (!parsed.success) throw new ConfigError("invalid_model", `configurable.models: ${describeIssues(parsed.error.issues)}`);
    const overrides: ModelOverrides = {};
    for (const [role, text] of Object.entries(parsed.data ?? {}) as Array<[ModelRole, string]>) {
      overrides[role] = parseModelSpec(text, `configurable.models.${role}`);
    }
    options.overrides = overrides;
  }
  if (typeof configurable.modelFactory === "function") options.factory = configurable.modelFactory as ModelFactory;
  return options;
}
