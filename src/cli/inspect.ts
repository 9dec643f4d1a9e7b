import { ReadWarnings } from "../domain/warnings.ts";
import type { AnalyticsEvent } from "../domain/events.ts";
import { SessionSummariesError } from "../domain/errors.ts";
import { sessionDurationMs, type SessionMeta } from "../domain/session.ts";
import type { EncodedSession } from "../encode/index.ts";
import { encodeRecordedSession } from "../encode/recorded.ts";
import { countTokens } from "../encode/tokens.ts";
import { computeRecordingMetadata, type RecordingMetadata } from "../replay/metadata.ts";
import { DatasetSource } from "../sources/dataset.ts";
import { formatBytes, formatTable, Progress } from "./output.ts";

/** What `inspect` learns about one session without any model. */
export interface SessionInspection {
  session_id: string;
  start: string;
  duration_s: number;
  events: number;
  recording_bytes: number | null;
  recording: (Pick<RecordingMetadata, "events" | "fullSnapshots" | "mutations" | "activeSeconds" | "clicks" | "keypresses" | "replayable"> & { windows: number }) | null;
  /** Issue signals visible in the raw events, before any analysis. */
  raw_issues: { exceptions: number; rageclicks: number; dead_clicks: number; pageleaves: number };
  tokens: { raw_json: number; compact: number; ratio: number };
  encoding: { rows: number; duplicates: number; dropped: Record<string, number>; redactions: number };
  warnings: string[];
  error?: string;
}

const RAW_ISSUE_EVENTS = { $exception: "exceptions", $rageclick: "rageclicks", $dead_click: "dead_clicks", $pageleave: "pageleaves" } as const;

export async function inspectSession(source: DatasetSource, meta: SessionMeta): Promise<{ inspection: SessionInspection; encoded?: EncodedSession }> {
  const warnings = new ReadWarnings();
  const inspection: SessionInspection = {
    session_id: meta.session_id,
    start: meta.start,
    duration_s: Math.round(sessionDurationMs(meta) / 1000),
    events: 0,
    recording_bytes: meta.recording_bytes ?? null,
    recording: null,
    raw_issues: { exceptions: 0, rageclicks: 0, dead_clicks: 0, pageleaves: 0 },
    tokens: { raw_json: 0, compact: 0, ratio: 0 },
    encoding: { rows: 0, duplicates: 0, dropped: {}, redactions: 0 },
    warnings: [],
  };
  try {
    const events: AnalyticsEvent[] = [];
    let rawJson = "";
    for await (const event of source.streamEvents(meta.session_id, { warnings })) {
      events.push(event);
      rawJson += `${JSON.stringify(event)}\n`;
      const issue = RAW_ISSUE_EVENTS[event.event as keyof typeof RAW_ISSUE_EVENTS];
      if (issue) inspection.raw_issues[issue] += 1;
    }
    inspection.events = events.length;

    let recording: RecordingMetadata | undefined;
    try {
      recording = await computeRecordingMetadata(source.streamRecording(meta.session_id, { warnings }));
      inspection.recording = {
        events: recording.events,
        windows: recording.windows.length,
        fullSnapshots: recording.fullSnapshots,
        mutations: recording.mutations,
        activeSeconds: recording.activeSeconds,
        clicks: recording.clicks,
        keypresses: recording.keypresses,
        replayable: recording.replayable,
      };
      if (!recording.replayable) inspection.warnings.push("recording has no full snapshot: it cannot be replayed");
    } catch (error) {
      if (!(error instanceof SessionSummariesError)) throw error;
      inspection.warnings.push(`recording unusable: ${error.message}`);
    }

    const encoded = encodeRecordedSession({ sessionId: meta.session_id, events, recording, startUrl: meta.first_url });
    const rawTokens = countTokens(rawJson);
    inspection.tokens = {
      raw_json: rawTokens,
      compact: encoded.stats.tokens,
      ratio: rawTokens === 0 ? 0 : Number((encoded.stats.tokens / rawTokens).toFixed(3)),
    };
    inspection.encoding = {
      rows: encoded.stats.rows,
      duplicates: encoded.stats.duplicates,
      dropped: { ...encoded.stats.dropped },
      redactions: encoded.stats.redactions,
    };
    inspection.warnings.push(...warnings.summary());
    return { inspection, encoded };
  } catch (error) {
    if (!(error instanceof SessionSummariesError)) throw error;
    inspection.error = error.message;
    inspection.warnings.push(...warnings.summary());
    return { inspection };
  }
}

export interface InspectOptions {
  session?: string;
  json?: boolean;
  out?: (text: string) => void;
}

/** `session-summaries inspect <dataset>`: returns the process exit code. */
export async function runInspect(datasetDir: string, options: InspectOptions): Promise<number> {
  const out = options.out ?? ((text: string) => process.stdout.write(`${text}\n`));
  const source = new DatasetSource(datasetDir);
  const listWarnings = new ReadWarnings();
  const metas = await source.listSessions(options.session ? { ids: [options.session] } : {}, { warnings: listWarnings });
  if (metas.length === 0) {
    out(`No sessions in ${datasetDir}${listWarnings.total > 0 ? ` (skipped: ${listWarnings.summary().join("; ")})` : ""}`);
    return 1;
  }
  metas.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));

  const progress = new Progress("Inspecting sessions", metas.length);
  const results: Array<{ inspection: SessionInspection; encoded?: EncodedSession }> = [];
  for (const [i, meta] of metas.entries()) {
    progress.update(i, meta.session_id);
    results.push(await inspectSession(source, meta));
  }
  progress.update(metas.length);
  progress.done();
  const inspections = results.map((r) => r.inspection);
  const failed = inspections.filter((i) => i.error).length;

  if (options.json) {
    out(JSON.stringify({ dataset: datasetDir, sessions: inspections, skipped: listWarnings.kept }, null, 2));
  } else if (options.session) {
    const [{ inspection, encoded }] = results as [(typeof results)[number]];
    out(describeSession(inspection));
    if (encoded) out(`\n${encoded.text}`);
  } else {
    out(sessionTable(inspections));
    const totals = inspections.reduce((sum, i) => ({ raw: sum.raw + i.tokens.raw_json, compact: sum.compact + i.tokens.compact }), { raw: 0, compact: 0 });
    out(
      `\n${inspections.length} sessions, ${failed} unreadable; tokens: ${totals.raw} as raw JSON, ${totals.compact} encoded (ratio ${
        totals.raw === 0 ? "n/a" : (totals.compact / totals.raw).toFixed(3)
      })`,
    );
    for (const warning of listWarnings.summary()) out(`skipped: ${warning}`);
    for (const i of inspections) for (const w of i.warnings) out(`${i.session_id}: ${w}`);
    for (const i of inspections) if (i.error) out(`${i.session_id}: error: ${i.error}`);
  }
  return failed === inspections.length ? 1 : 0;
}

function sessionTable(inspections: SessionInspection[]): string {
  return formatTable(
    ["session", "start", "dur s", "events", "recording", "exc", "rage", "dead", "raw tok", "enc tok", "ratio"],
    inspections.map((i) => [
      i.session_id,
      i.start.replace("T", " ").slice(0, 19),
      i.duration_s,
      i.events,
      i.error ? "error" : i.recording_bytes === null ? "-" : formatBytes(i.recording_bytes),
      i.raw_issues.exceptions,
      i.raw_issues.rageclicks,
      i.raw_issues.dead_clicks,
      i.tokens.raw_json,
      i.tokens.compact,
      i.tokens.ratio,
    ]),
  );
}

function describeSession(i: SessionInspection): string {
  const r = i.recording;
  const lines = [
    `Session ${i.session_id}`,
    `  start ${i.start}, ${i.duration_s} s, ${i.events} events`,
    r
      ? `  recording: ${r.events} rrweb events in ${r.windows} window(s), ${r.fullSnapshots} full snapshots, ${r.mutations} mutations, ${r.activeSeconds} s active, ${r.clicks} clicks, ${r.keypresses} keypresses`
      : "  recording: unavailable",
    `  raw issue signals: ${i.raw_issues.exceptions} exceptions, ${i.raw_issues.rageclicks} rage clicks, ${i.raw_issues.dead_clicks} dead clicks`,
    `  tokens: ${i.tokens.raw_json} as raw JSON, ${i.tokens.compact} encoded (ratio ${i.tokens.ratio})`,
    `  encoding: ${i.encoding.rows} rows, ${i.encoding.duplicates} duplicates collapsed, dropped ${JSON.stringify(i.encoding.dropped)}, ${i.encoding.redactions} redactions`,
    ...i.warnings.map((w) => `  warning: ${w}`),
  ];
  if (i.error) lines.push(`  error: ${i.error}`);
  return lines.join("\n");
}
