import { getWriter } from "@langchain/langgraph";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import { isFinished, type SessionStateType, type SessionStateUpdate } from "../state.ts";
import type { SessionDoneEvent } from "../../../src/domain/progress.ts";

/** Hands the session's result to the report, announces it, and drops the loaded input it no longer needs. */
export function makeFinalizeNode(runtime: PipelineRuntime) {
  return async function finalize(state: SessionStateType): Promise<SessionStateUpdate> {
    const result = state.result ?? { session_id: state.session_id, status: "failed" as const, reason: "the session ended without a result" };
    if (state.input_key) await runtime.blobs.delete(state.input_key).catch(() => false);
    // A late session is said done at `join_late`, with its final status.
    if (!isFinished(result)) return { session_results: [result] };
    runtime.stragglers?.finished(state.run_id, result.session_id);
    const event: SessionDoneEvent = {
      kind: "session_done",
      session_id: result.session_id,
      status: result.status,
      cached: result.cached === true,
      ...(result.reason ? { reason: result.reason } : {}),
    };
    getWriter()?.(event);
    return { session_results: [result] };
  };
}
