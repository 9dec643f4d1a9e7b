import { END, Send, START, StateGraph } from "@langchain/langgraph";
import type { PipelineRuntime } from "../runtime.ts";
import { buildSessionGraph } from "../session/graph.ts";
import { makeAssignPatternsNode } from "./nodes/assign-patterns.ts";
import { makeBuildReportNode } from "./nodes/build-report.ts";
import { makeCombinePatternsNode } from "./nodes/combine-patterns.ts";
import { makeExtractPatternsNode } from "./nodes/extract-patterns.ts";
import { makeGatherNode } from "./nodes/gather.ts";
import { makeLearnSiteNode } from "./nodes/learn-site.ts";
import { makeResolveSessionsNode } from "./nodes/resolve-sessions.ts";
import { summaryRefs } from "./nodes/summaries.ts";
import { SummarizeState, type ChunkTask, type SummarizeStateType } from "./state.ts";

/**
 * One session subgraph run per selected session without a result, or whose summary failed (sent
 * again only when a resumed run replays this fan-out; see `prepareResume`).
 */
export function fanOutSessions(state: SummarizeStateType): Send[] | "gather" {
  const done = new Set(state.session_results.filter((r) => r.status !== "failed").map((r) => r.session_id));
  const pending = state.session_ids.filter((id) => !done.has(id));
  if (pending.length === 0) return "gather";
  return pending.map((id) => new Send("session", { session_id: id, focus_area: state.focus_area, ...(state.learned_site ? { learned_site: state.learned_site } : {}) }));
}

export function fanOutExtraction(state: SummarizeStateType): Send[] {
  return state.extraction_chunks.map(
    (ids, index) => new Send("extract_patterns", { index, summaries: summaryRefs(state.session_results, ids), focus_area: state.focus_area } satisfies ChunkTask),
  );
}

/** No patterns or nothing flagged: straight to the report. */
export function fanOutAssignment(state: SummarizeStateType): Send[] | "build_report" {
  if (state.assignment_chunks.length === 0) return "build_report";
  return state.assignment_chunks.map(
    (ids, index) => new Send("assign_patterns", { index, summaries: summaryRefs(state.session_results, ids), patterns: state.patterns } satisfies ChunkTask),
  );
}

/** The offline analyst learns the site across sessions before summarizing them; a model goes straight to the sessions. */
export function routeAfterResolve(runtime: PipelineRuntime): (state: SummarizeStateType) => Send[] | "gather" | "learn_site" {
  return (state) => (runtime.analyst.siteLearning && !state.learned_site ? "learn_site" : fanOutSessions(state));
}

/**
 * A report: resolve sessions → (learn the site, offline analyst only) → one session subgraph each (bounded by the run's `maxConcurrency`) →
 * gather (threshold, chunking) → extract per chunk → combine → assign per chunk → build the report.
 */
export function buildSummarizeGraph(runtime: PipelineRuntime) {
  return new StateGraph(SummarizeState)
    .addNode("resolve_sessions", makeResolveSessionsNode(runtime))
    .addNode("learn_site", makeLearnSiteNode(runtime))
    .addNode("session", buildSessionGraph(runtime).compile())
    .addNode("gather", makeGatherNode(runtime))
    // Chunk workers take their `Send` payload (a ChunkTask), not the graph state.
    .addNode("extract_patterns", makeExtractPatternsNode(runtime) as never)
    .addNode("combine_patterns", makeCombinePatternsNode(runtime))
    .addNode("assign_patterns", makeAssignPatternsNode(runtime) as never)
    .addNode("build_report", makeBuildReportNode(runtime))
    .addEdge(START, "resolve_sessions")
    .addConditionalEdges("resolve_sessions", routeAfterResolve(runtime), ["learn_site", "session", "gather"])
    .addConditionalEdges("learn_site", fanOutSessions, ["session", "gather"])
    .addEdge("session", "gather")
    .addConditionalEdges("gather", fanOutExtraction, ["extract_patterns"])
    .addEdge("extract_patterns", "combine_patterns")
    .addConditionalEdges("combine_patterns", fanOutAssignment, ["assign_patterns", "build_report"])
    .addEdge("assign_patterns", "build_report")
    .addEdge("build_report", END);
}
