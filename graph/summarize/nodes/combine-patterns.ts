import { getWriter } from "@langchain/langgraph";
import type { RawPattern } from "../../../src/domain/report.ts";
import { issueKindsOf } from "../../../src/domain/summary.ts";
import { packByTokens, shortfall } from "../../../src/patterns/index.ts";
import { addUsage, NO_USAGE, type Usage } from "../../../src/llm/analyst.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import { PipelineError } from "../../../src/runtime/errors.ts";
import type { SummarizeStateType, SummarizeStateUpdate } from "../state.ts";
import type { ProgressEvent } from "../../../src/domain/progress.ts";
import { loadSummaries, summaryRefs } from "./summaries.ts";

/**
 * After extraction: enough chunks must have succeeded; several chunks' patterns are merged by the
 * analyst (one chunk's are final), renumbered 1..n; then the sessions with flagged key actions are
 * packed into assignment chunks by tokens.
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
    const numbered = patterns.map((p, i) => ({ ...p, pattern_id: i + 1 }));

    const summarizedIds = state.session_ids.filter((id) => state.session_results.some((r) => r.session_id === id && r.status === "summarized"));
    const summaries = await loadSummaries(runtime, summaryRefs(state.session_results, summarizedIds));
    // Non-blocking exceptions are not pattern evidence: sessions with nothing else are not sent.
    const isEvidence = (kind: string) => kind !== "non_blocking_exception";
    const flagged = [...summaries.values()].filter((s) => s.segments.some((seg) => seg.key_actions.some((a) => issueKindsOf(a).some(isEvidence))));
    const plan =
      numbered.length === 0
        ? { chunks: [] }
        : packByTokens(
            flagged.map((s) => ({ id: s.session_id, tokens: runtime.analyst.patternInputTokens(s) })),
            {
              maxTokens: runtime.settings.assignmentMaxTokens,
              baseTokens: runtime.analyst.patternPromptBaseTokens,
              singleItemMaxTokens: runtime.settings.singleItemMaxTokens,
            },
          );
    getWriter()?.({ kind: "stage", stage: "assigning", total: plan.chunks.length } satisfies ProgressEvent);
    return { patterns: numbered, assignment_chunks: plan.chunks, usage };
  };
}
