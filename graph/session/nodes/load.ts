import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { SessionSummariesError } from "../../../src/domain/errors.ts";
import type { AnalyticsEvent } from "../../../src/domain/events.ts";
import { sessionDurationMs, type SessionMeta } from "../../../src/domain/session.ts";
import { ReadWarnings } from "../../../src/domain/warnings.ts";
import { encodeRecordedSession } from "../../../src/encode/recorded.ts";
import type { EncodedSession } from "../../../src/encode/types.ts";
import type { EventRef } from "../../../src/encode/types.ts";
import { computeRecordingMetadata, type RecordingMetadata } from "../../../src/replay/metadata.ts";
import { blobKeys } from "../../../src/store/keys.ts";
import { summaryBlobKey } from "../../../src/store/summary-cache.ts";
import { hasBlockingIssue } from "../../../src/summaries/enrich.ts";
import type { PipelineRuntime } from "../../runtime.ts";
import type { SessionStateType, SessionStateUpdate } from "../state.ts";

/** What `load` stores for `summarize`: the session's events, its encoding and the recording's signals. */
export interface LoadedSession {
  meta: SessionMeta;
  events: AnalyticsEvent[];
  recording?: RecordingMetadata;
  encoded: Omit<EncodedSession, "idMap"> & { idMap: Array<[string, EventRef]> };
  warnings: string[];
}

export function cacheKeyOf(runtime: PipelineRuntime, state: Pick<SessionStateType, "session_id" | "focus_area">) {
  return { project: runtime.project, sessionId: state.session_id, focusArea: state.focus_area, analyst: runtime.analyst.cacheLabel };
}

/**
 * Loads a session: a cached summary for the same question ends the session here; otherwise its
 * events and recording signals are read and encoded, and stored for `summarize`. Sessions too short
 * to show anything, or with nothing left after filtering, are skipped. Never throws: a session
 * that cannot be read becomes a failed result.
 */
export function makeLoadNode(runtime: PipelineRuntime) {
  return async function load(state: SessionStateType, config?: LangGraphRunnableConfig): Promise<SessionStateUpdate> {
    const sessionId = state.session_id;
    try {
      const cacheKey = cacheKeyOf(runtime, state);
      const cached = await runtime.summaries.get(cacheKey);
      if (cached) {
        return {
          result: { session_id: sessionId, status: "summarized", summary_key: summaryBlobKey(cacheKey), cached: true, blocking: hasBlockingIssue(cached) },
        };
      }
      const meta = await runtime.source.getMeta(sessionId);
      if (sessionDurationMs(meta) < runtime.settings.minSessionDurationMs) {
        const seconds = Math.round(sessionDurationMs(meta) / 100) / 10;
        return { result: { session_id: sessionId, status: "skipped", reason: `only ${seconds} s long: nothing is left after the replay cutoffs` } };
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
      const encoded = encodeRecordedSession({ sessionId, events, recording, startUrl: meta.first_url });
      if (encoded.stats.rows === 0) {
        return { result: { session_id: sessionId, status: "skipped", reason: "no events left after filtering noise and the replay cutoffs" } };
      }
      const loaded: LoadedSession = {
        meta,
        events,
        ...(recording ? { recording } : {}),
        encoded: { ...encoded, idMap: [...encoded.idMap.entries()] },
        warnings: [...notes, ...warnings.summary()],
      };
      const inputKey = blobKeys.events(runtime.project, sessionId);
      await runtime.blobs.putJson(inputKey, loaded);
      return { input_key: inputKey };
    } catch (error) {
      return { result: { session_id: sessionId, status: "failed", reason: messageOf(error) } };
    }
  };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
