import { getWriter } from "@langchain/langgraph";
import { addUsage, NO_USAGE, type Usage } from "../../../src/llm/analyst.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import type { ChunkTask, SummarizeStateUpdate } from "../state.ts";
import type { ProgressEvent } from "../../../src/domain/progress.ts";
import { loadSummaries, messageOf } from "./summaries.ts";

/**
 * One extraction chunk (sent with `Send`): the analyst proposes patterns seen across the chunk's
 * summaries. Never throws: a failed chunk is recorded and counted against the threshold.
 */
export function makeExtractPatternsNode(runtime: PipelineRuntime) {
  return async function extractPatterns(task: ChunkTask): Promise<SummarizeStateUpdate> {
    let usage: Usage = NO_USAGE;
    try {
      const summaries = await loadSummaries(runtime, task.summaries);
      const patterns = await runtime.analyst.extractPatterns(
        [...summaries.values()],
        task.focus_area,
        (u) => {
          usage = addUsage(usage, u);
        },
        task.min_sessions !== undefined ? { minSessions: task.min_sessions } : {},
      );
      emit({ kind: "chunk_done", stage: "extracting", index: task.index, ok: true });
      return { extracted: [{ index: task.index, value: patterns }], usage };
    } catch (error) {
      emit({ kind: "chunk_done", stage: "extracting", index: task.index, ok: false, error: messageOf(error) });
      return { extracted: [{ index: task.index, error: messageOf(error) }], usage };
    }
  };
}

function emit(event: ProgressEvent): void {
  getWriter()?.(event);
}
