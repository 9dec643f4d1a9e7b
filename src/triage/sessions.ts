import type { Labels } from "../domain/labels.ts";
import type { RawSessionSummary } from "../domain/summary.ts";
import type { TriageDecision } from "../domain/triage.ts";
import { ReadWarnings } from "../domain/warnings.ts";
import { summarizeSessionOffline, type OfflineAnalystOverrides } from "../analysts/index.ts";
import { encodeRecordedSession } from "../encode/recorded.ts";
import type { AnalyticsEvent } from "../domain/events.ts";
import { computeRecordingMetadata, type RecordingMetadata } from "../replay/metadata.ts";
import type { SessionSource } from "../sources/types.ts";
import { triageSession } from "./signals.ts";

/**
 * Triage of sessions read straight from a source, as a report with a model would triage them: for
 * `eval`, which scores triage on labelled sessions whatever analyst makes the report.
 */
export async function triageFromSource(source: SessionSource, sessionId: string, options: { offline?: OfflineAnalystOverrides; redactPii?: boolean } = {}): Promise<TriageDecision> {
  const warnings = new ReadWarnings();
  const meta = await source.getMeta(sessionId);
  const events: AnalyticsEvent[] = [];
  for await (const event of source.streamEvents(sessionId, { warnings })) events.push(event);
  let recording: RecordingMetadata | undefined;
  try {
    recording = await computeRecordingMetadata(source.streamRecording(sessionId, { warnings }));
  } catch {
    // As in a report: the events alone are triaged.
    recording = undefined;
  }
  const encoded = encodeRecordedSession({ sessionId, events, recording, startUrl: meta.first_url }, { redactPii: options.redactPii ?? true });
  let offline: RawSessionSummary | undefined;
  try {
    offline = summarizeSessionOffline({ encoded, events, ...(recording ? { recording } : {}) }, options.offline ?? {});
  } catch {
    offline = undefined;
  }
  return triageSession({ events, ...(recording ? { recording } : {}), idMap: encoded.idMap, ...(offline ? { offline } : {}) });
}

export interface TriageFigures {
  /** Labelled sessions (any issue, noise included) triage sends to the model, over labelled sessions. */
  triage_recall: number | null;
  /** Sessions triage summarizes offline, over all sessions triaged. */
  triage_skip_rate: number | null;
  /** Labelled sessions triage would not send: each one is a miss. */
  triage_missed: string[];
}

export function scoreTriage(labels: Labels, decisions: ReadonlyMap<string, TriageDecision>): TriageFigures {
  const labelled = [...decisions.keys()].filter((id) => (labels.sessions[id]?.issues.length ?? 0) > 0);
  const missed = labelled.filter((id) => !decisions.get(id)!.send);
  const skipped = [...decisions.values()].filter((d) => !d.send).length;
  const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 1000) / 1000);
  return { triage_recall: ratio(labelled.length - missed.length, labelled.length), triage_skip_rate: ratio(skipped, decisions.size), triage_missed: missed };
}
