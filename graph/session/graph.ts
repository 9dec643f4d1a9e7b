import { END, START, StateGraph } from "@langchain/langgraph";
import type { PipelineRuntime } from "../runtime.ts";
import { makeFinalizeNode } from "./nodes/finalize.ts";
import { makeLoadNode } from "./nodes/load.ts";
import { makeSummarizeNode } from "./nodes/summarize.ts";
import { SessionOutput, SessionState, type SessionStateType } from "./state.ts";

/** After loading: a cached, skipped or failed session is finished; the rest get summarized. */
export function routeAfterLoad(state: SessionStateType): "summarize" | "finalize" {
  return state.result ? "finalize" : "summarize";
}

/**
 * After summarizing. Clip validation of blocking issues plugs in here: it will route summaries with
 * a blocking exception to a `validate` node before `finalize`.
 */
export function routeAfterSummarize(_state: SessionStateType): "finalize" {
  return "finalize";
}

/** One session: load + encode → summarize → finalize. */
export function buildSessionGraph(runtime: PipelineRuntime) {
  return new StateGraph(SessionState, { output: SessionOutput })
    .addNode("load", makeLoadNode(runtime))
    .addNode("summarize", makeSummarizeNode(runtime))
    .addNode("finalize", makeFinalizeNode(runtime))
    .addEdge(START, "load")
    .addConditionalEdges("load", routeAfterLoad, ["summarize", "finalize"])
    .addConditionalEdges("summarize", routeAfterSummarize, ["finalize"])
    .addEdge("finalize", END);
}

export function compileSessionGraph(runtime: PipelineRuntime) {
  return buildSessionGraph(runtime).compile();
}
