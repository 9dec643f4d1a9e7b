import { randomUUID } from "node:crypto";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { InputError, SessionSummariesError } from "../../../src/domain/errors.ts";
import type { AnalyticsEvent } from "../../../src/domain/events.ts";
import { sessionDurationMs, type SessionMeta } from "../../../src/domain/session.ts";
import { ReadWarnings } from "../../../src/domain/warnings.ts";
import { EncodeError } from "../../../src/encode/errors.ts";
import { describeDroppedEvents } from "../../../src/encode/filters.ts";
import { encodeRecordedSession } from "../../../src/encode/recorded.ts";
import type { EncodedSession } from "../../../src/encode/types.ts";
import type { EventRef } from "../../../src/encode/types.ts";
import { RecordingError } from "../../../src/replay/errors.ts";
import { computeRecordingMetadata, type RecordingMetadata } from "../../../src/replay/metadata.ts";
import { blobKeys } from "../../../src/store/keys.ts";
import { summaryBlobKey } from "../../../src/store/summary-cache.ts";
import { pendingClipTargets } from "../../../src/validation/select.ts";
import { hasBlockingIssue } from "../../../src/summaries/enrich.ts";
import { summaryCacheLabel, withLearnedSiteLabel } from "../../../src/store/cache-labels.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import type { SessionStateType, SessionStateUpdate } from "../state.ts";

/** What `load` stores for `summarize`: the session's events, its encoding and the recording's signals. */
export interface LoadedSession {
  meta: SessionMeta;
  events: AnalyticsEvent[];
  recording?: RecordingMetadata;
  encoded: Omit<EncodedSession, "idMap"> & { idMap: Array<[string, EventRef]> };
  warnings: string[];
}

/** The analyst part of a cache key, with the learned site's hash when the summary was made knowing it: another site, another summary. */
function withSite(label: string, state: Pick<SessionStateType, "learned_site">): string {
  return withLearnedSiteLabel(label, state.learned_site?.hash);
}

/** The cache key of the analyst's summary, before any replay check. */
export function cacheKeyOf(runtime: PipelineRuntime, state: Pick<SessionStateType, "session_id" | "focus_area" | "learned_site">) {
  return { project: runtime.project, sessionId: state.session_id, focusArea: state.focus_area, analyst: withSite(runtime.analyst.cacheLabel, state) };
}

/**
 * The cache key of the summary after the replay checks of this run's validation mode and method:
 * kept apart from the analyst's, so turning checks on or changing the vision model re-checks
 * without asking the analyst again.
 */
export function checkedCacheKeyOf(runtime: PipelineRuntime, state: Pick<SessionStateType, "session_id" | "focus_area" | "learned_site">) {
  return { ...cacheKeyOf(runtime, state), analyst: withSite(summaryCacheLabel(runtime), state) };
}

/**
 * Loads a session: a cached summary for the same question (checked against the replay when
 * validation is on) ends the session here; otherwise its events and recording signals are read and
 * encoded, and stored for `summarize`, or, when only the replay checks are missing from a cached
 * summary, for `validate`. Sessions too short to show anything, or with nothing left after
 * filtering, are skipped. Never throws: a session that cannot be read becomes a failed result.
 */
export function makeLoadNode(runtime: PipelineRuntime) {
  return async function load(state: SessionStateType, config?: LangGraphRunnableConfig): Promise<SessionStateUpdate> {
    const sessionId = state.session_id;
    let cachedResult: SessionStateUpdate | undefined;
    try {
      const validation = runtime.validation;
      const checkedKey = validation ? checkedCacheKeyOf(runtime, state) : undefined;
      const checked = checkedKey ? await runtime.summaries.get(checkedKey) : undefined;
      const cacheKey = checked ? checkedKey! : cacheKeyOf(runtime, state);
      const cached = checked ?? (await runtime.summaries.get(cacheKey));
      // Checks still to make: never made (validation newly on), or failed last time (no browser, say).
      const needsValidation = cached !== undefined && validation !== undefined && pendingClipTargets(cached, validation.mode).length > 0;
      cachedResult = cached
        ? {
            summary_key: summaryBlobKey(cacheKey),
            result: { session_id: sessionId, status: "summarized" as const, summary_key: summaryBlobKey(cacheKey), cached: true, blocking: hasBlockingIssue(cached) },
          }
        : undefined;
      if (cachedResult && !needsValidation) return cachedResult;
      const meta = await runtime.source.getMeta(sessionId);
      if (sessionDurationMs(meta) < runtime.settings.minSessionDurationMs) {
        const seconds = Math.round(sessionDurationMs(meta) / 100) / 10;
        return { result: { session_id: sessionId, status: "skipped", reason: `only ${seconds} s long: too short to show what the user did` } };
      }
      const warnings = new ReadWarnings();
      const events: AnalyticsEvent[] = [];
      for await (const event of runtime.source.streamEvents(sessionId, { warnings, signal: config?.signal })) events.push(event);
      let recording: RecordingMetadata | undefined;
      const notes: string[] = [];
      try {
        recording = await computeRecordingMetadata(runtime.source.streamRecording(sessionId, { warnings, signal: config?.signal }));
      } catch (error) {
        // The events alone can still be summarized; the recording only sharpens the cutoffs and counts.
        if (!(error instanceof SessionSummariesError)) throw error;
        notes.push(`recording unusable: ${error.message}`);
      }
      const encoded = encodeRecordedSession({ sessionId, events, recording, startUrl: meta.first_url }, { redactPii: runtime.settings.redactPii ?? true });
      if (encoded.stats.rows === 0) {
        return { result: { session_id: sessionId, status: "skipped", reason: `no event left to analyse (${describeDroppedEvents(encoded.stats)})` } };
      }
      const loaded: LoadedSession = {
        meta,
        events,
        ...(recording ? { recording } : {}),
        encoded: { ...encoded, idMap: [...encoded.idMap.entries()] },
        warnings: [...notes, ...warnings.summary()],
      };
      const inputKey = blobKeys.loadedSession(runtime.project, sessionId, randomUUID());
      await runtime.blobs.putJson(inputKey, loaded);
      return { input_key: inputKey, ...(cachedResult ? { ...cachedResult, needs_validation: true } : {}) };
    } catch (error) {
      // A cached summary stays good when its session cannot be read again: its checks just go without the events table.
      if (cachedResult) return { ...cachedResult, needs_validation: true };
      // Unreadable files or an impossible replay range fail the same way every time: the data must change.
      const dataProblem = error instanceof InputError || error instanceof EncodeError || error instanceof RecordingError;
      return { result: { session_id: sessionId, status: "failed", reason: messageOf(error), ...(dataProblem ? { data_problem: true } : {}) } };
    }
  };
}

/** The stored encoding with its id map back as a Map. */
export function decodeLoaded(loaded: LoadedSession): EncodedSession {
  return { ...loaded.encoded, idMap: new Map(loaded.encoded.idMap) };
}

/** What `enrichSummary` needs of a loaded session besides the summary. */
export function enrichmentOf(loaded: LoadedSession, sessionId: string, idMap: EncodedSession["idMap"]) {
  return {
    sessionId,
    distinctId: loaded.meta.distinct_id,
    firstUrl: loaded.meta.first_url,
    startMs: loaded.recording?.startMs ?? Date.parse(loaded.meta.start),
    endMs: loaded.recording?.endMs ?? Date.parse(loaded.meta.end),
    idMap,
  };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
