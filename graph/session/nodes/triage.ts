import { getWriter, type LangGraphRunnableConfig } from "@langchain/langgraph";
import type { RawSessionSummary } from "../../../src/domain/summary.ts";
import type { PreliminaryIssuesEvent } from "../../../src/domain/progress.ts";
import { summaryBlobKey } from "../../../src/store/summary-cache.ts";
import { enrichSummary } from "../../../src/summaries/enrich.ts";
import { redactSignals, triageSession } from "../../../src/triage/signals.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import type { SessionStateType, SessionStateUpdate } from "../state.ts";
import { cacheKeyOf, decodeLoaded, enrichmentOf, type LoadedSession } from "./load.ts";

/**
 * Before any model call (triage on, a model summarizing): the offline rules read the loaded session
 * for issue signals. Signals are streamed at once as the run's preliminary issues; a session with
 * none keeps the rules' summary (labelled as theirs, cached apart from the model's) and is never
 * sent. Never throws: a session triage cannot read goes to the model.
 */
export function makeTriageNode(runtime: PipelineRuntime) {
  return async function triage(state: SessionStateType, _config?: LangGraphRunnableConfig): Promise<SessionStateUpdate> {
    const rules = runtime.analyst.triage;
    if (!rules) return {};
    try {
      const loaded = await runtime.blobs.getJson<LoadedSession>(state.input_key!);
      if (!loaded) return {};
      const encoded = decodeLoaded(loaded);
      let offline: RawSessionSummary | undefined;
      try {
        offline = rules.summarize({ encoded, events: loaded.events, ...(loaded.recording ? { recording: loaded.recording } : {}), focusArea: state.focus_area });
      } catch {
        // Nothing the rules can cite (AnalystError): the model reads it.
        offline = undefined;
      }
      const decision = triageSession({ events: loaded.events, ...(loaded.recording ? { recording: loaded.recording } : {}), idMap: encoded.idMap, ...(offline ? { offline } : {}) });
      if (decision.signals.length > 0) {
        const event: PreliminaryIssuesEvent = { kind: "preliminary_issues", session_id: state.session_id, signals: redactSignals(decision.signals) };
        getWriter()?.(event);
      }
      if (decision.send || !offline) return {};
      const summary = enrichSummary(offline, enrichmentOf(loaded, state.session_id, encoded.idMap), rules.label, state.focus_area);
      const cacheKey = { ...cacheKeyOf(runtime, state), analyst: rules.cacheLabel };
      await runtime.summaries.put(cacheKey, summary);
      const summaryKey = summaryBlobKey(cacheKey);
      return { summary_key: summaryKey, result: { session_id: state.session_id, status: "summarized", summary_key: summaryKey, blocking: false, triaged: true } };
    } catch {
      // Triage only saves calls: when it cannot run, the session goes to the model as before.
      return {};
    }
  };
}
