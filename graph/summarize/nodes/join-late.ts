import { getWriter } from "@langchain/langgraph";
import type { SessionDoneEvent } from "../../../src/domain/progress.ts";
import { SessionSummarySchema } from "../../../src/domain/summary.ts";
import { addUsage, NO_USAGE, type Usage } from "../../../src/llm/analyst.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import { hasBlockingIssue } from "../../../src/summaries/enrich.ts";
import type { FinishedSessionResult, SessionResult, SessionStateUpdate } from "../../session/state.ts";
import type { SummarizeStateType, SummarizeStateUpdate } from "../state.ts";

/**
 * After extraction, before assignment: the sessions the early gather let go (`late`) are waited for
 * here, while extraction ran they had time to finish; each becomes summarized (and is assigned to
 * the patterns like any other) or failed. A late session whose work was lost with a restarted
 * process is taken from the summary cache when it got there, and is failed otherwise.
 */
export function makeJoinLateNode(runtime: PipelineRuntime) {
  return async function joinLate(state: SummarizeStateType): Promise<SummarizeStateUpdate> {
    const late = state.session_results.filter((r) => r.status === "late");
    let usage: Usage = NO_USAGE;
    const joined = await Promise.all(
      late.map(async (waiting): Promise<FinishedSessionResult> => {
        const work = runtime.stragglers?.takeLate<SessionStateUpdate>(state.report_id, waiting.session_id);
        const result = work ? await finishedResultOf(waiting, work) : await fromCache(runtime, waiting);
        // The session's node always returns plain usage (never an overwrite).
        if (work) usage = addUsage(usage, ((await work).usage as Usage | undefined) ?? NO_USAGE);
        const done: SessionDoneEvent = {
          kind: "session_done",
          session_id: result.session_id,
          status: result.status,
          cached: result.cached === true,
          ...(result.reason ? { reason: result.reason } : {}),
        };
        getWriter()?.(done);
        return result;
      }),
    );
    runtime.stragglers?.end(state.report_id);
    return joined.length > 0 ? { session_results: joined, usage } : {};
  };
}

async function finishedResultOf(waiting: SessionResult, work: Promise<SessionStateUpdate>): Promise<FinishedSessionResult> {
  const result = (await work).result;
  if (result && result.status !== "late") return result as FinishedSessionResult;
  return { session_id: waiting.session_id, status: "failed", reason: "its summary ended without a result" };
}

async function fromCache(runtime: PipelineRuntime, waiting: SessionResult): Promise<FinishedSessionResult> {
  const summary = waiting.summary_key ? await runtime.blobs.getJson(waiting.summary_key, SessionSummarySchema).catch(() => undefined) : undefined;
  if (summary) return { session_id: waiting.session_id, status: "summarized", summary_key: waiting.summary_key!, cached: true, blocking: hasBlockingIssue(summary) };
  return { session_id: waiting.session_id, status: "failed", reason: "its summary was still running when the run stopped; run the report again to include it" };
}
