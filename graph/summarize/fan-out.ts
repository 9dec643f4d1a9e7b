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

/**
 * Where the assignments of a merged extraction go in `assigned`: the first assignment chunk, which
 * holds the flagged sessions of that call. Chunks after it assign sessions the call did not read.
 */
export const MERGED_ASSIGNMENT_INDEX = 0;

/** One extraction per chunk; the only chunk of a run may assign in the same call (`ChunkTask.alsoAssign`). */
export function fanOutExtraction(state: SummarizeStateType): Send[] {
  const only = state.extraction_chunks.length === 1;
  return state.extraction_chunks.map(
    (ids, index) =>
      new Send("extract_patterns", {
        index,
        summaries: summaryRefs(state.session_results, ids),
        focus_area: state.focus_area,
        ...(state.min_pattern_sessions !== undefined ? { min_sessions: state.min_pattern_sessions } : {}),
        ...(only ? { alsoAssign: true } : {}),
      } satisfies ChunkTask),
  );
}

/**
 * One assignment per chunk not assigned yet: the merged extraction's chunk already is, and so are
 * chunks finished before a resume. Nothing left (no patterns, nothing flagged): straight to the report.
 */
export function fanOutAssignment(state: SummarizeStateType): Send[] | "build_report" {
  const assigned = new Set(state.assigned.filter((c) => c.value !== undefined).map((c) => c.index));
  const sends = state.assignment_chunks.flatMap((ids, index) =>
    assigned.has(index) ? [] : [new Send("assign_patterns", { index, summaries: summaryRefs(state.session_results, ids), patterns: state.patterns } satisfies ChunkTask)],
  );
  return sends.length === 0 ? "build_report" : sends;
}

/** The offline analyst learns the site across sessions before summarizing them; a model goes straight to the sessions. */
export function routeAfterResolve(runtime: PipelineRuntime): (state: SummarizeStateType) => Send[] | "gather" | "learn_site" {
  return (state) => (runtime.analyst.siteLearning && !state.learned_site ? "learn_site" : fanOutSessions(state));
}
