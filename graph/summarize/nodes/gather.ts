import { Command, getWriter } from "@langchain/langgraph";
import { packByTokens, shortfall } from "../../../src/patterns/index.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import { PipelineError } from "../../../src/runtime/errors.ts";
import type { SessionResult } from "../../session/state.ts";
import type { SummarizeStateType, SummarizeStateUpdate } from "../state.ts";
import type { ProgressEvent } from "../../../src/domain/progress.ts";
import { sendSessions } from "../fan-out.ts";
import { loadSummaries, summaryRefs } from "./summaries.ts";

/**
 * After every session: the report goes on only if enough summaries succeeded (skipped sessions are
 * not counted either way), then the summaries are packed into extraction chunks by tokens.
 */
export function makeGatherNode(runtime: PipelineRuntime) {
  return async function gather(state: SummarizeStateType): Promise<SummarizeStateUpdate | Command> {
    // A run stopped by its signal (a shutdown, Ctrl-C) checkpoints the sessions it had not started
    // as finished without writes (LangGraph JS), so a resumed run would leave them out of the
    // report: every selected session must have a result, so they are sent again.
    const lost = sessionsWithoutResult(state);
    if (lost.length > 0) return new Command({ goto: sendSessions(state, lost) });
    const results = state.session_results;
    const summarized = results.filter((r) => r.status === "summarized");
    const failed = results.filter((r) => r.status === "failed");
    const considered = summarized.length + failed.length;
    if (considered === 0) {
      const skipped = results.filter((r) => r.status === "skipped");
      throw new PipelineError("nothing_to_summarize", `none of the ${skipped.length} selected session(s) has anything to analyse: ${nameSessions(skipped)}`, { stoppedBy: "data" });
    }
    const problem = shortfall("session summaries", summarized.length, considered, runtime.settings.minSummaryRatio);
    if (problem) {
      // Only when every failure is the sessions' own data does running again give the same answer.
      const byData = failed.every((r) => r.data_problem === true);
      const skipped = results.filter((r) => r.status === "skipped");
      throw new PipelineError(
        "too_many_failed_sessions",
        byData
          ? `${summarized.length === 0 ? `none of the ${results.length} selected session(s) can be analysed` : problem}. What is wrong with them: ${nameSessions([...failed, ...skipped])}`
          : `${problem}. Failed sessions: ${nameSessions(failed)}`,
        { stoppedBy: byData ? "data" : "run" },
      );
    }
    const ids = state.session_ids.filter((id) => summarized.some((r) => r.session_id === id));
    const summaries = await loadSummaries(runtime, summaryRefs(results, ids));
    const plan = packByTokens(
      ids.map((id) => ({ id, tokens: runtime.analyst.patternInputTokens(summaries.get(id)!) })),
      {
        maxTokens: runtime.settings.extractionMaxTokens,
        baseTokens: runtime.analyst.patternPromptBaseTokens,
        singleItemMaxTokens: runtime.settings.singleItemMaxTokens,
      },
    );
    if (plan.chunks.length === 0) {
      throw new PipelineError(
        "nothing_fits",
        `no summary fits in a pattern prompt: ${plan.tooLarge
          .slice(0, 5)
          .map((i) => `${i.id} (${i.tokens} tokens)`)
          .join(", ")}; ` +
          `raise the settings extractionMaxTokens (${runtime.settings.extractionMaxTokens}) and singleItemMaxTokens (${runtime.settings.singleItemMaxTokens}) in src/config/defaults.ts`,
      );
    }
    const event: ProgressEvent = { kind: "stage", stage: "extracting", total: plan.chunks.length };
    getWriter()?.(event);
    return {
      extraction_chunks: plan.chunks,
      ...(plan.tooLarge.length > 0 ? { extracted: plan.tooLarge.map((item, i) => ({ index: -1 - i, error: `summary of ${item.id} is too large for any prompt (${item.tokens} tokens)` })) } : {}),
    };
  };
}

/** `<id>: <what is wrong>; ...`, the first 20, then how many more. */
function nameSessions(results: readonly SessionResult[], max = 20): string {
  const named = results.slice(0, max).map((r) => `${r.session_id}: ${r.reason ?? "no reason given"}`);
  return `${named.join("; ")}${results.length > max ? `; and ${results.length - max} more` : ""}`;
}

/** Selected sessions with no result at all (not even failed or skipped). */
export function sessionsWithoutResult(state: Pick<SummarizeStateType, "session_ids" | "session_results">): string[] {
  const seen = new Set(state.session_results.map((r) => r.session_id));
  return state.session_ids.filter((id) => !seen.has(id));
}
