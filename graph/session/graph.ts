import { END, START, StateGraph } from "@langchain/langgraph";
import type { PipelineRuntime } from "../../src/runtime/runtime.ts";
import { makeFinalizeNode } from "./nodes/finalize.ts";
import { makeLoadNode } from "./nodes/load.ts";
import { makeSummarizeNode } from "./nodes/summarize.ts";
import { makeValidateNode } from "./nodes/validate.ts";
import { SessionOutput, SessionState, type SessionStateType } from "./state.ts";

/** After loading: a skipped or failed session is finished, a cached one too unless its replay checks are pending; the rest get summarized. */
export function routeAfterLoad(state: SessionStateType): "summarize" | "validate" | "finalize" {
  if (!state.result) return "summarize";
  return state.needs_validation && state.result.status === "summarized" ? "validate" : "finalize";
}

/** After summarizing: summaries flagging what validation checks (blocking exceptions by default) are checked against the replay. */
export function routeAfterSummarize(state: SessionStateType): "validate" | "finalize" {
  return state.needs_validation && state.result?.status === "summarized" ? "validate" : "finalize";
}

/** One session: load + encode → summarize → (validate against the replay) → finalize. */
export function buildSessionGraph(runtime: PipelineRuntime) {
  return new StateGraph(SessionState, { output: SessionOutput })
    .addNode("load", makeLoadNode(runtime))
    .addNode("summarize", makeSummarizeNode(runtime))
    .addNode("validate", makeValidateNode(runtime))
    .addNode("finalize", makeFinalizeNode(runtime))
    .addEdge(START, "load")
    .addConditionalEdges("load", routeAfterLoad, ["summarize", "validate", "finalize"])
    .addConditionalEdges("summarize", routeAfterSummarize, ["validate", "finalize"])
    .addEdge("validate", "finalize")
    .addEdge("finalize", END);
}

export function compileSessionGraph(runtime: PipelineRuntime) {
  return buildSessionGraph(runtime).compile();
}
