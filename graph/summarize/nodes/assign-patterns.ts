import { getWriter } from "@langchain/langgraph";
import { addUsage, NO_USAGE, type Usage } from "../../../src/llm/analyst.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import type { ChunkTask, SummarizeStateUpdate } from "../state.ts";
import type { ProgressEvent } from "../../../src/domain/progress.ts";
import { loadSummaries, messageOf } from "./summaries.ts";

/** One assignment chunk (sent with `Send`): which flagged events belong to which pattern. Never throws. */
export function makeAssignPatternsNode(runtime: PipelineRuntime) {
  return async function assignPatterns(task: ChunkTask): Promise<SummarizeStateUpdate> {
    let usage: Usage = NO_USAGE;
    try {
      const summaries = await loadSummaries(runtime, task.summaries);
      const assignments = await runtime.analyst.assignEvents(task.patterns ?? [], [...summaries.values()], (u) => {
        usage = addUsage(usage, u);
      });
      getWriter()?.({ kind: "chunk_done", stage: "assigning", index: task.index, ok: true } satisfies ProgressEvent);
      return { assigned: [{ index: task.index, value: assignments }], usage };
    } catch (error) {
      getWriter()?.({ kind: "chunk_done", stage: "assigning", index: task.index, ok: false, error: messageOf(error) } satisfies ProgressEvent);
      return { assigned: [{ index: task.index, error: messageOf(error) }], usage };
    }
  };
}
