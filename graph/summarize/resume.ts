import type { RunnableConfig } from "@langchain/core/runnables";
import type { buildSummarizeGraph } from "./graph.ts";
import type { SummarizeStateType } from "./state.ts";

type CompiledSummarizeGraph = ReturnType<ReturnType<typeof buildSummarizeGraph>["compile"]>;

/**
 * A run that stopped because a threshold failed is parked on the node that checks it. Resuming it
 * as is would only check again, so the stage before is replayed instead: the fan-out that sends the
 * failed items (sessions, or the chunks of a pattern stage) again. Finished items are not redone:
 * sessions hit the summary cache, and results are merged by id.
 */
const REPLAY_FROM: Record<string, string> = {
  gather: "resolve_sessions",
  combine_patterns: "gather",
  build_report: "combine_patterns",
};

/** Returns what was replayed, or undefined when the run can simply continue. */
export async function prepareResume(graph: CompiledSummarizeGraph, config: RunnableConfig): Promise<string | undefined> {
  const state = await graph.getState(config);
  const values = state.values as SummarizeStateType;
  const stuckAt = state.next.find((node) => node in REPLAY_FROM);
  if (!stuckAt || state.next.length !== 1) return undefined;
  const failed =
    stuckAt === "gather" ? values.session_results.some((r) => r.status === "failed") : stuckAt === "combine_patterns" ? values.extracted.some((c) => c.error) : values.assigned.some((c) => c.error);
  if (!failed) return undefined;
  await graph.updateState(config, {}, REPLAY_FROM[stuckAt]);
  return stuckAt;
}
