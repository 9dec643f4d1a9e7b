import { getWriter } from "@langchain/langgraph";
import type { RawAssignment, RawPattern } from "../../../src/domain/report.ts";
import type { SessionSummary } from "../../../src/domain/summary.ts";
import { addUsage, NO_USAGE, type Usage } from "../../../src/llm/analyst.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import type { ChunkTask, SummarizeStateUpdate } from "../state.ts";
import type { ProgressEvent } from "../../../src/domain/progress.ts";
import { MERGED_ASSIGNMENT_INDEX } from "../fan-out.ts";
import { hasPatternEvidence, packAssignmentChunks } from "./combine-patterns.ts";
import { loadSummaries, messageOf } from "./summaries.ts";

/**
 * One extraction chunk (sent with `Send`): the analyst proposes patterns seen across the chunk's
 * summaries. The run's only chunk is also assigned in the same call when the analyst can and its
 * flagged sessions fit one assignment prompt: one model call instead of two. Never throws: a failed
 * chunk (either way) is recorded and counted against the threshold.
 */
export function makeExtractPatternsNode(runtime: PipelineRuntime) {
  return async function extractPatterns(task: ChunkTask): Promise<SummarizeStateUpdate> {
    let usage: Usage = NO_USAGE;
    const onUsage = (u: Usage) => {
      usage = addUsage(usage, u);
    };
    try {
      const summaries = [...(await loadSummaries(runtime, task.summaries)).values()];
      const options = task.min_sessions !== undefined ? { minSessions: task.min_sessions } : {};
      if (task.alsoAssign && runtime.analyst.extractAndAssign && fitsOneAssignment(runtime, summaries)) {
        const { patterns, assignments } = numberMergedAnswer(await runtime.analyst.extractAndAssign(summaries, task.focus_area, onUsage, options));
        emit({ kind: "chunk_done", stage: "extracting", index: task.index, ok: true });
        return { extracted: [{ index: task.index, value: patterns }], assigned: [{ index: MERGED_ASSIGNMENT_INDEX, value: assignments }], usage };
      }
      const patterns = await runtime.analyst.extractPatterns(summaries, task.focus_area, onUsage, options);
      emit({ kind: "chunk_done", stage: "extracting", index: task.index, ok: true });
      return { extracted: [{ index: task.index, value: patterns }], usage };
    } catch (error) {
      emit({ kind: "chunk_done", stage: "extracting", index: task.index, ok: false, error: messageOf(error) });
      return { extracted: [{ index: task.index, error: messageOf(error) }], usage };
    }
  };
}

/** One call replaces an extraction and an assignment only when the separate path would assign in one call too. */
function fitsOneAssignment(runtime: PipelineRuntime, summaries: readonly SessionSummary[]): boolean {
  const plan = packAssignmentChunks(runtime, summaries.filter(hasPatternEvidence));
  return plan.chunks.length <= 1 && plan.tooLarge.length === 0;
}

/**
 * A merged answer's patterns numbered 1..n, as `combine_patterns` numbers them, and its assignments
 * moved to the new numbers (a repeated id means its first pattern). Assignments to an id the answer
 * has no pattern for get an id above n, so the report still counts them as `unknown_pattern`.
 */
export function numberMergedAnswer(answer: { patterns: readonly RawPattern[]; assignments: readonly RawAssignment[] }): { patterns: RawPattern[]; assignments: RawAssignment[] } {
  const renumbered = new Map<number, number>();
  const patterns = answer.patterns.map((pattern, i) => {
    if (!renumbered.has(pattern.pattern_id)) renumbered.set(pattern.pattern_id, i + 1);
    return { ...pattern, pattern_id: i + 1 };
  });
  const assignments = answer.assignments.map((assignment) => ({ ...assignment, pattern_id: renumbered.get(assignment.pattern_id) ?? patterns.length + assignment.pattern_id }));
  return { patterns, assignments };
}

function emit(event: ProgressEvent): void {
  getWriter()?.(event);
}
