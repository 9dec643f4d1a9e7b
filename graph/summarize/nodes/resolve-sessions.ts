import { getWriter } from "@langchain/langgraph";
import { describeSelection, parseSelection } from "../../../src/domain/selection.ts";
import { findSessions } from "../../../src/sources/select.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import { PipelineError } from "../../../src/runtime/errors.ts";
import type { SummarizeStateType, SummarizeStateUpdate } from "../state.ts";
import type { ProgressEvent } from "../../../src/domain/progress.ts";

/**
 * Turns the selection into session ids, as every surface does (`findSessions`). A selection that is
 * not valid (typed into Studio) is refused naming the field; unknown ids are the source's error;
 * nothing selected is ours.
 */
export function makeResolveSessionsNode(runtime: PipelineRuntime) {
  return async function resolveSessions(state: SummarizeStateType): Promise<SummarizeStateUpdate> {
    if (state.session_ids.length > 0) return {}; // resumed run: already resolved
    const selection = parseSelection(state.selection ?? {});
    const found = await findSessions(runtime.source, selection);
    if (found.length === 0) {
      throw new PipelineError("empty_selection", `no sessions in ${runtime.source.description} match the selection (${describeSelection(selection)})`);
    }
    const ids = [...new Set(found.map((f) => f.meta.session_id))];
    const event: ProgressEvent = { kind: "sessions_resolved", total: ids.length };
    getWriter()?.(event);
    // The early gather counts this run's finished sessions against its total.
    runtime.stragglers?.begin(state.report_id, ids.length);
    return { session_ids: ids };
  };
}
