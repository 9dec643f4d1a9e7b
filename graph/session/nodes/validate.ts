import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { SessionSummarySchema, type ValidationVerdict, type VisualCheck } from "../../../src/domain/summary.ts";
import { summaryBlobKey } from "../../../src/store/summary-cache.ts";
import { extractClipWindow, type ClipWindow } from "../../../src/replay/clip.ts";
import { blobKeys } from "../../../src/store/keys.ts";
import { hasBlockingIssue } from "../../../src/summaries/enrich.ts";
import { applyVisualChecks } from "../../../src/summaries/visual-checks.ts";
import { clipCheckFacts } from "../../../src/render/clip-renderer.ts";
import { pendingClipTargets, planClips, type PlannedClip } from "../../../src/validation/select.ts";
import { addUsage, NO_USAGE, type Usage } from "../../../src/llm/analyst.ts";
import type { PipelineRuntime, ValidationRuntime } from "../../../src/runtime/runtime.ts";
import type { SessionStateType, SessionStateUpdate } from "../state.ts";
import { checkedCacheKeyOf, messageOf, type LoadedSession } from "./load.ts";

/** Streamed in `custom` mode once a session's flagged issues were checked against its replay. */
export interface ClipsCheckedEvent {
  kind: "clips_checked";
  session_id: string;
  clips: number;
  verdicts: Partial<Record<ValidationVerdict | "failed", number>>;
}

/** The rows of an events table (header kept) whose `t` (seconds since the replay start) lies in `[startS, endS]`. */
export function eventRowsBetween(eventsTable: string, startS: number, endS: number): string {
  const [header = "", ...rows] = eventsTable.split("\n");
  const column = header.split("\t").indexOf("t");
  if (column === -1) return header;
  const kept = rows.filter((row) => {
    const t = Number(row.split("\t")[column]);
    return Number.isFinite(t) && t >= startS && t <= endS;
  });
  return [header, ...kept].join("\n");
}

function pickWindow(clip: ClipWindow, windowId: string | undefined) {
  return clip.windows.find((w) => w.windowId === windowId) ?? [...clip.windows].sort((a, b) => b.eventsInClip - a.eventsInClip)[0]!;
}

/**
 * Checks the summary's flagged key actions against what the user saw: each planned clip is cut
 * from the recording, rendered (frames, page text, MP4 stored in the blob store) and judged by the
 * validator; the verdicts update the summary (see `applyVisualChecks`). Never throws: a clip that
 * cannot be cut or rendered leaves its key actions unvalidated, marked with the reason.
 */
export function makeValidateNode(runtime: PipelineRuntime) {
  return async function validate(state: SessionStateType, config?: LangGraphRunnableConfig): Promise<SessionStateUpdate> {
    const validation = runtime.validation!;
    const summary = state.summary_key ? await runtime.blobs.getJson(state.summary_key, SessionSummarySchema) : undefined;
    if (!summary || !state.result) {
      const reason = `the summary to check (${state.summary_key ?? "no key"}) is missing from the blob store`;
      return { result: { session_id: state.session_id, status: "failed", reason } };
    }
    let usage: Usage = NO_USAGE;
    const onUsage = (u: Usage) => {
      usage = addUsage(usage, u);
    };
    try {
      const loaded = state.input_key ? await runtime.blobs.getJson<LoadedSession>(state.input_key).catch(() => undefined) : undefined;
      const replayStartMs = loaded?.recording?.startMs ?? Date.parse(summary.start);
      const recordingEndMs = loaded?.recording?.endMs ?? replayStartMs + summary.duration_s * 1000;
      const clips = planClips(pendingClipTargets(summary, validation.mode), replayStartMs, validation.clip);

      const checks: VisualCheck[] = [];
      for (const clip of clips) {
        checks.push(...(await checkClip(runtime, validation, state.session_id, clip, { replayStartMs, recordingEndMs, loaded }, onUsage, config?.signal)));
      }
      const updated = applyVisualChecks(summary, checks);
      const checkedKey = checkedCacheKeyOf(runtime, state);
      await runtime.summaries.put(checkedKey, updated);
      const verdicts: ClipsCheckedEvent["verdicts"] = {};
      for (const check of checks) {
        const key = check.error ? "failed" : check.verdict;
        verdicts[key] = (verdicts[key] ?? 0) + 1;
      }
      config?.writer?.({ kind: "clips_checked", session_id: state.session_id, clips: clips.length, verdicts } satisfies ClipsCheckedEvent);
      return { result: { ...state.result, summary_key: summaryBlobKey(checkedKey), blocking: hasBlockingIssue(updated) }, usage };
    } catch {
      // The checked summary could not be stored: the session keeps its unchecked summary, and the next run checks again.
      return { result: state.result, usage };
    }
  };
}

async function checkClip(
  runtime: PipelineRuntime,
  validation: ValidationRuntime,
  sessionId: string,
  clip: PlannedClip,
  session: { replayStartMs: number; recordingEndMs: number; loaded?: LoadedSession },
  onUsage: (usage: Usage) => void,
  signal?: AbortSignal,
): Promise<VisualCheck[]> {
  const method = validation.validator.method;
  const range = { startMs: clip.startMs, endMs: Math.max(clip.startMs, Math.min(clip.endMs, session.recordingEndMs)) };
  const span = { clip_start: new Date(range.startMs).toISOString(), clip_end: new Date(range.endMs).toISOString() };
  const failed = (error: unknown): VisualCheck[] =>
    clip.targets.map((target) => ({ event_id: target.event_id, verdict: "inconclusive", method, evidence: [], changes: [], ...span, error: messageOf(error) }));
  let rendered;
  let events;
  let clipKey: string | undefined;
  try {
    if (clip.startMs >= session.recordingEndMs) {
      throw new Error(`the clip starts at ${span.clip_start}, after the recording ends (${new Date(session.recordingEndMs).toISOString()})`);
    }
    const window = pickWindow(await extractClipWindow(runtime.source.streamRecording(sessionId, { signal }), range, `recording of ${sessionId}`), clip.windowId);
    events = window.events;
    rendered = await validation.renderer.render(events, range, { video: true, text: true, sessionId, ...(signal ? { signal } : {}) });
    clipKey = blobKeys.clip(runtime.project, sessionId, Math.round(range.startMs - session.replayStartMs), Math.round(range.endMs - session.replayStartMs));
    await runtime.blobs.put(clipKey, rendered.video!);
  } catch (error) {
    return failed(error);
  }
  const checks: VisualCheck[] = [];
  for (const target of clip.targets) {
    const base = { event_id: target.event_id, method, clip_key: clipKey, ...span, ...clipCheckFacts(rendered), changes: [] };
    try {
      const verdict = await validation.validator.validate(
        {
          target,
          replayStartMs: session.replayStartMs,
          recordingEndMs: session.recordingEndMs,
          clip: range,
          frames: rendered.frames,
          frameTimes: rendered.frameTimes,
          texts: rendered.texts ?? [],
          screens: rendered.screens,
          video: rendered.video,
          events,
          windowEvents: session.loaded ? eventRowsBetween(session.loaded.encoded.eventsTable, (range.startMs - session.replayStartMs) / 1000, (range.endMs - session.replayStartMs) / 1000) : "",
        },
        onUsage,
        signal,
      );
      checks.push({ ...base, verdict: verdict.verdict, observed: verdict.observed, evidence: verdict.evidence });
    } catch (error) {
      checks.push({ ...base, verdict: "inconclusive", evidence: [], error: messageOf(error) });
    }
  }
  return checks;
}
