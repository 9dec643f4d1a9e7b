import { getWriter } from "@langchain/langgraph";
import type { RawPattern } from "../../../src/domain/report.ts";
import { issueKindsOf, type SessionSummary } from "../../../src/domain/summary.ts";
import { packByTokens, shortfall } from "../../../src/patterns/index.ts";
import { addUsage, NO_USAGE, type Usage } from "../../../src/llm/analyst.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import { PipelineError } from "../../../src/runtime/errors.ts";
import type { SummarizeStateType, SummarizeStateUpdate } from "../state.ts";
import type { ProgressEvent } from "../../../src/domain/progress.ts";
import { MERGED_ASSIGNMENT_INDEX } from "../fan-out.ts";
import { loadSummaries, summaryRefs } from "./summaries.ts";

/**
 * After extraction: enough chunks must have succeeded; several chunks' patterns are merged by the
 * analyst (one chunk's are final), renumbered 1..n; then the sessions with flagged key actions are
 * packed into assignment chunks by tokens. When the only chunk was extracted and assigned in one
 * call, its flagged sessions are the first assignment chunk, already assigned; only sessions that
 * call did not read get chunks of their own after it.
 */
export function makeCombinePatternsNode(runtime: PipelineRuntime) {
  return async function combinePatterns(state: SummarizeStateType): Promise<SummarizeStateUpdate> {
    const planned = state.extracted.filter((c) => c.index >= 0);
    const succeeded = planned.filter((c) => c.value !== undefined);
    const problem = shortfall("pattern extraction chunks", succeeded.length, state.extraction_chunks.length, runtime.settings.minChunkRatio);
    if (problem) {
      const errors = planned.filter((c) => c.error).map((c) => `chunk ${c.index + 1}: ${c.error}`);
      throw new PipelineError("too_many_failed_chunks", `${problem}. ${errors.slice(0, 10).join("; ")}`);
    }
    let usage: Usage = NO_USAGE;
    let patterns: RawPattern[];
    if (succeeded.length === 1) {
      patterns = succeeded[0]!.value!;
    } else {
      getWriter()?.({ kind: "stage", stage: "combining" } satisfies ProgressEvent);
      patterns = await runtime.analyst.combinePatterns(
        succeeded.map((c) => c.value!),
        state.focus_area,
        (u) => {
          usage = addUsage(usage, u);
        },
      );
    }
    // A merged call's patterns are numbered 1..n already, its assignments with them (`numberMergedAnswer`).
    const numbered = patterns.map((p, i) => ({ ...p, pattern_id: i + 1 }));

    const summarizedIds = state.session_ids.filter((id) => state.session_results.some((r) => r.session_id === id && r.status === "summarized"));
    const summaries = await loadSummaries(runtime, summaryRefs(state.session_results, summarizedIds));
    const flagged = [...summaries.values()].filter(hasPatternEvidence);
    if (numbered.length === 0) {
      getWriter()?.({ kind: "stage", stage: "assigning", total: 0 } satisfies ProgressEvent);
      return { patterns: numbered, assignment_chunks: [], usage };
    }
    if (!isMerged(state)) {
      const plan = packAssignmentChunks(runtime, flagged);
      getWriter()?.({ kind: "stage", stage: "assigning", total: plan.chunks.length } satisfies ProgressEvent);
      return { patterns: numbered, assignment_chunks: plan.chunks, usage };
    }
    const read = new Set(state.extraction_chunks[0]);
    const mergedChunk = flagged.filter((s) => read.has(s.session_id)).map((s) => s.session_id);
    const later = packAssignmentChunks(
      runtime,
      flagged.filter((s) => !read.has(s.session_id)),
    ).chunks;
    // Nothing left to assign: no assigning stage, the report comes next.
    if (later.length > 0) getWriter()?.({ kind: "stage", stage: "assigning", total: later.length } satisfies ProgressEvent);
    return { patterns: numbered, assignment_chunks: [mergedChunk, ...later], usage };
  };
}

/** The only extraction chunk was extracted and assigned in one call (`extract_patterns` with `alsoAssign`). */
function isMerged(state: SummarizeStateType): boolean {
  return state.extraction_chunks.length === 1 && state.assigned.some((c) => c.index === MERGED_ASSIGNMENT_INDEX && c.value !== undefined);
}

/** Sessions assignment reads: some key action is pattern evidence (a non-blocking exception alone is not). */
export function hasPatternEvidence(summary: SessionSummary): boolean {
  return summary.segments.some((seg) => seg.key_actions.some((a) => issueKindsOf(a).some((kind) => kind !== "non_blocking_exception")));
}

/** Flagged sessions packed into assignment prompts by tokens. */
export function packAssignmentChunks(runtime: PipelineRuntime, flagged: readonly SessionSummary[]) {
  return packByTokens(
    flagged.map((s) => ({ id: s.session_id, tokens: runtime.analyst.patternInputTokens(s) })),
    {
      maxTokens: runtime.settings.assignmentMaxTokens,
      baseTokens: runtime.analyst.patternPromptBaseTokens,
      singleItemMaxTokens: runtime.settings.singleItemMaxTokens,
    },
  );
}
