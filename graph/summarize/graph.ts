import { END, START, StateGraph } from "@langchain/langgraph";
import type { PipelineRuntime } from "../../src/runtime/runtime.ts";
import { buildSessionGraph } from "../session/graph.ts";
import { makeAssignPatternsNode } from "./nodes/assign-patterns.ts";
import { makeBuildReportNode } from "./nodes/build-report.ts";
import { makeCombinePatternsNode } from "./nodes/combine-patterns.ts";
import { makeExtractPatternsNode } from "./nodes/extract-patterns.ts";
import { makeGatherNode } from "./nodes/gather.ts";
import { makeJoinLateNode } from "./nodes/join-late.ts";
import { makeLearnSiteNode } from "./nodes/learn-site.ts";
import { makeQueuedSessionNode } from "./nodes/queued-session.ts";
import { makeResolveSessionsNode } from "./nodes/resolve-sessions.ts";
import { fanOutAssignment, fanOutExtraction, fanOutSessions, routeAfterResolve } from "./fan-out.ts";
import { SummarizeState } from "./state.ts";

/**
 * A report: resolve sessions → (learn the site, offline analyst only) → one session subgraph each, or one queued job each with
 * `runtime.sessionQueue` (bounded by the run's `maxConcurrency`) →
 * gather (threshold, chunking) → extract per chunk → join the late sessions → combine → assign per chunk → build the report.
 */
export function buildSummarizeGraph(runtime: PipelineRuntime) {
  return (
    new StateGraph(SummarizeState)
      .addNode("resolve_sessions", makeResolveSessionsNode(runtime))
      .addNode("learn_site", makeLearnSiteNode(runtime))
      // With a queue the branch is a job run by a worker (same input and output); otherwise the session subgraph runs here.
      .addNode("session", runtime.sessionQueue ? (makeQueuedSessionNode(runtime, runtime.sessionQueue) as never) : buildSessionGraph(runtime).compile())
      // `gather` sends lost sessions again (see `makeGatherNode`).
      .addNode("gather", makeGatherNode(runtime), { ends: ["session"] })
      // Chunk workers take their `Send` payload (a ChunkTask), not the graph state.
      .addNode("extract_patterns", makeExtractPatternsNode(runtime) as never)
      // Sessions the early gather let go join here, after extraction, before assignment.
      .addNode("join_late", makeJoinLateNode(runtime))
      .addNode("combine_patterns", makeCombinePatternsNode(runtime))
      .addNode("assign_patterns", makeAssignPatternsNode(runtime) as never)
      .addNode("build_report", makeBuildReportNode(runtime))
      .addEdge(START, "resolve_sessions")
      .addConditionalEdges("resolve_sessions", routeAfterResolve(runtime), ["learn_site", "session", "gather"])
      .addConditionalEdges("learn_site", fanOutSessions, ["session", "gather"])
      .addEdge("session", "gather")
      .addConditionalEdges("gather", fanOutExtraction, ["extract_patterns"])
      .addEdge("extract_patterns", "join_late")
      .addEdge("join_late", "combine_patterns")
      .addConditionalEdges("combine_patterns", fanOutAssignment, ["assign_patterns", "build_report"])
      .addEdge("assign_patterns", "build_report")
      .addEdge("build_report", END)
  );
}

/** The compiled report graph (with or without a checkpointer of its own). */
export type ReportGraph = ReturnType<ReturnType<typeof buildSummarizeGraph>["compile"]>;
