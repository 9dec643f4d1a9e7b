import { Send } from "@langchain/langgraph";
import type { PipelineRuntime } from "../../src/runtime/runtime.ts";
import { summaryRefs } from "./nodes/summaries.ts";
import type { ChunkTask, SummarizeStateType } from "./state.ts";

/**
 * One session subgraph run per selected session without a result, or whose summary failed (sent
 * again only when a resumed run replays this fan-out; see `prepareResume`).
 */
export function fanOutSessions(state: SummarizeStateType): Send[] | "gather" {
  const done = new Set(state.session_results.filter((r) => r.status !== "failed").map((r) => r.session_id));
  const pending = state.session_ids.filter((id) => !done.has(id));
  if (pending.length === 0) return "gather";
  return sendSessions(state, pending);
}

/** One session subgraph run per id. */
export function sendSessions(state: SummarizeStateType, ids: readonly string[]): Send[] {
  return ids.map((id) => new Send("session", { session_id: id, run_id: state.report_id, focus_area: state.focus_area, ...(state.learned_site ? { learned_site: state.learned_site } : {}) }));
}

export function fanOutExtraction(state: SummarizeStateType): Send[] {
  return state.extraction_chunks.map(
    (ids, index) =>
      new Send("extract_patterns", {
        index,
        summaries: summaryRefs(state.session_results, ids),
        focus_area: state.focus_area,
        ...(state.min_pattern_sessions !== undefined ? { min_sessions: state.min_pattern_sessions } : {}),
      } satisfies ChunkTask),
  );
}

/** No patterns or nothing flagged: straight to the report. */
export function fanOutAssignment(state: SummarizeStateType): Send[] | "build_report" {
  if (state.assignment_chunks.length === 0) return "build_report";
  return state.assignment_chunks.map((ids, index) => new Send("assign_patterns", { index, summaries: summaryRefs(state.session_results, ids), patterns: state.patterns } satisfies ChunkTask));
}

/** The offline analyst learns the site across sessions before summarizing them; a model goes straight to the sessions. */
export function routeAfterResolve(runtime: PipelineRuntime): (state: SummarizeStateType) => Send[] | "gather" | "learn_site" {
  return (state) => (runtime.analyst.siteLearning && !state.learned_site ? "learn_site" : fanOutSessions(state));
}
