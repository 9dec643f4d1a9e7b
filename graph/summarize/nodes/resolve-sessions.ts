import { getWriter } from "@langchain/langgraph";
import type { SessionFilter } from "../../../src/sources/types.ts";
import type { PipelineRuntime } from "../../runtime.ts";
import { PipelineError } from "../errors.ts";
import type { ProgressEvent, SessionSelection, SummarizeStateType, SummarizeStateUpdate } from "../state.ts";

export function toSessionFilter(selection: SessionSelection): SessionFilter {
  return {
    ...(selection.ids ? { ids: selection.ids } : {}),
    ...(selection.from ? { from: new Date(selection.from) } : {}),
    ...(selection.to ? { to: new Date(selection.to) } : {}),
    ...(selection.url_contains ? { urlContains: selection.url_contains } : {}),
    ...(selection.has_exception !== undefined ? { hasException: selection.has_exception } : {}),
    ...(selection.min_duration_ms !== undefined ? { minDurationMs: selection.min_duration_ms } : {}),
    ...(selection.limit !== undefined ? { limit: selection.limit } : {}),
  };
}

/** Turns the selection into session ids. Unknown ids are the source's error; nothing selected is ours. */
export function makeResolveSessionsNode(runtime: PipelineRuntime) {
  return async function resolveSessions(state: SummarizeStateType): Promise<SummarizeStateUpdate> {
    if (state.session_ids.length > 0) return {}; // resumed run: already resolved
    const metas = await runtime.source.listSessions(toSessionFilter(state.selection ?? {}));
    if (metas.length === 0) {
      throw new PipelineError("empty_selection", `no sessions in ${runtime.source.description} match ${JSON.stringify(state.selection ?? {})}`);
    }
    const ids = [...new Set(metas.map((m) => m.session_id))];
    const event: ProgressEvent = { kind: "sessions_resolved", total: ids.length };
    getWriter()?.(event);
    return { session_ids: ids };
  };
}
