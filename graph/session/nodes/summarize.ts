import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { EncodedSession } from "../../../src/encode/types.ts";
import type { RawSessionSummary } from "../../../src/domain/summary.ts";
import { summaryBlobKey } from "../../../src/store/summary-cache.ts";
import { enrichSummary, hasBlockingIssue } from "../../../src/summaries/enrich.ts";
import { pendingClipTargets } from "../../../src/validation/select.ts";
import { HallucinationError } from "../../../src/llm/errors.ts";
import { validateCitedIds } from "../../../src/llm/structured/cited-ids.ts";
import { addUsage, NO_USAGE, type Usage } from "../../../src/llm/analyst.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import type { SessionStateType, SessionStateUpdate } from "../state.ts";
import { loadLearnedSite } from "../learned-site.ts";
import { cacheKeyOf, decodeLoaded, enrichmentOf, messageOf, type LoadedSession } from "./load.ts";

/**
 * Asks the analyst for the session's summary, rejects (and retries once) a summary citing more
 * unknown event ids than allowed, re-attaches the real events, and stores the result in the summary
 * cache. Never throws: a session whose summary cannot be had becomes a failed result.
 */
export function makeSummarizeNode(runtime: PipelineRuntime) {
  return async function summarize(state: SessionStateType, config?: LangGraphRunnableConfig): Promise<SessionStateUpdate> {
    const watch = runtime.stragglers;
    if (!watch) return summarizeSession(runtime, state, config);
    // With an early gather, the run may let this session go once most others are done: its summary
    // goes on in the background and joins the report at assignment (`join_late`).
    const started = Date.now();
    const outcome = await watch.race(state.run_id, state.session_id, summarizeSession(runtime, state, config));
    if (outcome.late) return { result: { session_id: state.session_id, status: "late", summary_key: summaryBlobKey(cacheKeyOf(runtime, state)) } };
    watch.finished(state.run_id, state.session_id, Date.now() - started);
    return outcome.value;
  };
}

/** The summary of one session, stored in the summary cache; never throws. */
export async function summarizeSession(runtime: PipelineRuntime, state: SessionStateType, config?: LangGraphRunnableConfig): Promise<SessionStateUpdate> {
  const sessionId = state.session_id;
  let usage: Usage = NO_USAGE;
  const onUsage = (u: Usage) => {
    usage = addUsage(usage, u);
  };
  try {
    const loaded = await runtime.blobs.getJson<LoadedSession>(state.input_key!);
    if (!loaded) throw new Error(`the loaded session ${state.input_key} is missing from the blob store`);
    const encoded: EncodedSession = decodeLoaded(loaded);
    const learnedSite = state.learned_site ? await loadLearnedSite(runtime, state.learned_site) : undefined;
    const input = { encoded, events: loaded.events, recording: loaded.recording, focusArea: state.focus_area, ...(learnedSite ? { learnedSite } : {}) };

    let raw: RawSessionSummary | undefined;
    let lastProblem = "";
    for (let attempt = 0; attempt < 2 && !raw; attempt++) {
      const candidate = await runtime.analyst.summarize(input, onUsage, config?.signal);
      try {
        validateCitedIds(candidate, encoded.idMap, runtime.settings.maxUnknownIdRatio);
        raw = candidate;
      } catch (error) {
        if (!(error instanceof HallucinationError)) throw error;
        lastProblem = error.message;
      }
    }
    if (!raw) throw new Error(`summary rejected twice as hallucinated: ${lastProblem}`);

    const summary = enrichSummary(raw, enrichmentOf(loaded, sessionId, encoded.idMap), runtime.analyst.label, state.focus_area);
    const cacheKey = cacheKeyOf(runtime, state);
    await runtime.summaries.put(cacheKey, summary);
    const summaryKey = summaryBlobKey(cacheKey);
    const validation = runtime.validation;
    return {
      summary_key: summaryKey,
      needs_validation: validation !== undefined && pendingClipTargets(summary, validation.mode).length > 0,
      result: { session_id: sessionId, status: "summarized", summary_key: summaryKey, blocking: hasBlockingIssue(summary) },
      usage,
    };
  } catch (error) {
    return { result: { session_id: sessionId, status: "failed", reason: messageOf(error) }, usage };
  }
}
