import { END, START, StateGraph } from "@langchain/langgraph";
import type { PipelineRuntime } from "../../src/runtime/runtime.ts";
import { makeFinalizeNode } from "./nodes/finalize.ts";
import { makeLoadNode } from "./nodes/load.ts";
import { makeSummarizeNode } from "./nodes/summarize.ts";
import { makeTriageNode } from "./nodes/triage.ts";
import { makeValidateNode } from "./nodes/validate.ts";
import { SessionOutput, SessionState, type SessionStateType } from "./state.ts";

/**
 * After loading: a skipped or failed session is finished, a cached one too unless its replay checks
 * are pending; the rest are triaged (triage on and a model summarizing) or summarized.
 */
export function routeAfterLoad(runtime: PipelineRuntime): (state: SessionStateType) => "triage" | "summarize" | "validate" | "finalize" {
  return (state) => {
    if (!state.result) return runtime.settings.triage === "signals" && runtime.analyst.triage ? "triage" : "summarize";
    return state.needs_validation && state.result.status === "summarized" ? "validate" : "finalize";
  };
}

/** After triage: a session it summarized offline is finished; the others go to the model. */
export function routeAfterTriage(state: SessionStateType): "summarize" | "finalize" {
  return state.result ? "finalize" : "summarize";
}

/** After summarizing: summaries flagging what validation checks (blocking exceptions by default) are checked against the replay. */
export function routeAfterSummarize(state: SessionStateType): "validate" | "finalize" {
  return state.needs_validation && state.result?.status === "summarized" ? "validate" : "finalize";
}

/** One session: load + encode → (triage) → summarize → (validate against the replay) → finalize. */
export function buildSessionGraph(runtime: PipelineRuntime) {
  return new StateGraph(SessionState, { output: SessionOutput })
    .addNode("load", makeLoadNode(runtime))
    .addNode("triage", makeTriageNode(runtime))
    .addNode("summarize", makeSummarizeNode(runtime))
    .addNode("validate", makeValidateNode(runtime))
    .addNode("finalize", makeFinalizeNode(runtime))
    .addEdge(START, "load")
    .addConditionalEdges("load", routeAfterLoad(runtime), ["triage", "summarize", "validate", "finalize"])
    .addConditionalEdges("triage", routeAfterTriage, ["summarize", "finalize"])
    .addConditionalEdges("summarize", routeAfterSummarize, ["validate", "finalize"])
    .addEdge("validate", "finalize")
    .addEdge("finalize", END);
}

export function compileSessionGraph(runtime: PipelineRuntime) {
  return buildSessionGraph(runtime).compile();
}
