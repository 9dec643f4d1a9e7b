import pLimit from "p-limit";
import type { SessionSummary } from "../../domain/summary.ts";
import type { SessionSource } from "../../sources/types.ts";
import type { BlobStore } from "../../store/blob-store.ts";
import { summaryCacheLabels, type SummaryLabelling } from "../../store/cache-labels.ts";
import type { SummaryCache } from "../../store/summary-cache.ts";
import { redactDeep, redactSummary } from "../redact.ts";
import type { PatternExample, Report } from "../../domain/report.ts";
import { withoutConnectionHints } from "../../render/sanitize.ts";
import { extractClipWindow } from "../../replay/clip.ts";
import { rankPatterns } from "./ranking.ts";
import { jsonForScript } from "./security.ts";
import { exampleKey, REPLAY_LEAD_MS, REPLAY_TAIL_MS } from "./types.ts";
import type { ExampleClip, ExampleMedia, ExampleReplay, NotEmbedded, PageSession, ReportPageData } from "./types.ts";

/**
 * The parts of the pipeline runtime (`PipelineRuntime`) the page reads: sessions' recordings, clips
 * and cached summaries. Spelled out here so the report layer needs nothing from the runtime layer.
 */
export interface ReportPageRuntime extends SummaryLabelling {
  project: string;
  source: SessionSource;
  blobs: BlobStore;
  summaries: SummaryCache<SessionSummary>;
  settings?: { redactPii?: boolean };
}

export interface LoadReportPageOptions {
  /** Recordings and summaries read at once. */
  concurrency?: number;
  /** A replay window whose events serialize larger than this is left out (the page must stay openable). */
  maxReplayBytes?: number;
  /** Replays and clips are embedded for this many examples of each pattern (the first ones); the rest name their session instead. */
  maxEmbeddedExamplesPerPattern?: number;
  /** Replays and clips together embed at most this many bytes (most severe patterns first); past it, examples name their session instead. */
  maxEmbeddedBytes?: number;
}

const DEFAULT_CONCURRENCY = 8;
const DEFAULT_MAX_REPLAY_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_EMBEDDED_EXAMPLES_PER_PATTERN = 5;
export const DEFAULT_MAX_EMBEDDED_BYTES = 64 * 1024 * 1024;

/**
 * Reads what the report page shows besides the report: each analysed session's summary, and per
 * pattern example the replay window around its moment and its rendered clip. Nothing here fails
 * the page: a summary, recording or clip that cannot be read becomes a reason shown in its place.
 *
 * A pattern may keep an example per affected session (hundreds): only the first
 * `maxEmbeddedExamplesPerPattern` of each, most severe patterns first, get their replay and clip, and
 * only while they fit in `maxEmbeddedBytes`. Recordings of the others are not even read.
 */
export async function loadReportPageData(report: Report, runtime: ReportPageRuntime, options: LoadReportPageOptions = {}): Promise<ReportPageData> {
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const maxReplayBytes = options.maxReplayBytes ?? DEFAULT_MAX_REPLAY_BYTES;
  const perPattern = options.maxEmbeddedExamplesPerPattern ?? DEFAULT_MAX_EMBEDDED_EXAMPLES_PER_PATTERN;
  const budget = options.maxEmbeddedBytes ?? DEFAULT_MAX_EMBEDDED_BYTES;
  // The page shows summaries and replays besides the report: redacted by the same switch as the report and prompts.
  const redact = runtime.settings?.redactPii ?? true;
  const sessions = await pLimit(Math.max(1, concurrency)).map(report.sessions.summarized, async (sessionId) => {
    const session = await loadSession(report, runtime, sessionId);
    return session.summary ? { ...session, summary: redactSummary(session.summary, redact) } : session;
  });

  const examples: Record<string, ExampleMedia> = {};
  const candidates: Array<{ key: string; example: PatternExample }> = [];
  const leftOut: Array<{ key: string; example: PatternExample }> = [];
  for (const pattern of rankPatterns(report.patterns)) {
    pattern.examples.forEach((example, index) => (index < perPattern ? candidates : leftOut).push({ key: exampleKey(pattern.id, index), example }));
  }

  // The same moment can belong to several examples: its window is read once, embedded once (a data
  // block the examples refer to), counted once. A clip is read once but inlined, and counted, per example showing it.
  const replays = new Map<string, Promise<ExampleReplay>>();
  const clips = new Map<string, Promise<ExampleClip>>();
  const counted = new Set<string>();
  let used = 0;
  const overBudget = (): NotEmbedded => ({ status: "not_embedded", reason: `the page's ${sizeText(budget)} budget for replays and clips is used up` });
  /** Keeps `media` if it fits in what is left of the budget (deciding in candidate order, so the page is the same every time). */
  const admit = <M extends ExampleReplay | ExampleClip>(id: string, media: M, bytes: number): M | NotEmbedded => {
    if (media.status !== "ready" || counted.has(id)) return media;
    if (used + bytes > budget) return overBudget();
    used += bytes;
    counted.add(id);
    return media;
  };
  for (let at = 0; at < candidates.length; at += concurrency) {
    const batch = candidates.slice(at, at + concurrency);
    const loaded = await Promise.all(
      batch.map(async ({ key, example }) => {
        const momentKey = momentKeyOf(example);
        let replay = replays.get(momentKey);
        if (!replay) {
          replay = loadReplay(runtime, example, maxReplayBytes, redact);
          replays.set(momentKey, replay);
        }
        const clipKey = example.validation?.clip_key;
        let clip: Promise<ExampleClip> | undefined;
        if (clipKey) {
          clip = clips.get(clipKey);
          if (!clip) {
            clip = loadClip(runtime, clipKey);
            clips.set(clipKey, clip);
          }
        }
        return { key, momentKey, clipKey, replay: await replay, clip: clip ? await clip : undefined };
      }),
    );
    for (const item of loaded) {
      const replay = admit(item.momentKey, item.replay, item.replay.status === "ready" ? item.replay.events_json.length : 0);
      // A window left out is dropped from memory and not read again for another example of its moment.
      if (replay.status === "not_embedded" && item.replay.status === "ready") {
        replays.set(item.momentKey, Promise.resolve(replay));
      }
      const entry: ExampleMedia = { replay };
      if (item.clipKey && item.clip) {
        entry.clip = admit(`clip:${item.key}`, item.clip, item.clip.status === "ready" ? item.clip.data_url.length : 0);
      }
      examples[item.key] = entry;
    }
  }
  // Past the first examples of its pattern, an example still refers to a window the page embeds anyway for another.
  for (const { key, example } of leftOut) {
    const reason = `only the first ${perPattern} examples of a pattern are embedded`;
    const replay = counted.has(momentKeyOf(example)) ? await replays.get(momentKeyOf(example)) : undefined;
    examples[key] = { replay: replay ?? { status: "not_embedded", reason }, ...(example.validation?.clip_key ? { clip: { status: "not_embedded", reason } } : {}) };
  }
  return { report, sessions, examples };
}

function momentKeyOf(example: PatternExample): string {
  return `replay:${example.session_id}@${example.target.timestamp}@${example.target.window_id ?? ""}`;
}

/** `64 MB`, `1.5 MB`, `300 KB`, `90 bytes`. */
function sizeText(bytes: number): string {
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(1).replace(/\.0$/, "")} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

async function loadSession(report: Report, runtime: ReportPageRuntime, sessionId: string): Promise<PageSession> {
  // The checked summary first (what the report was built from when validation ran), then the unchecked one.
  const labels = summaryCacheLabels(runtime, report.learned_site);
  try {
    for (const analyst of labels) {
      const summary = await runtime.summaries.get({ project: runtime.project, sessionId, focusArea: report.focus_area, analyst });
      if (summary) return { session_id: sessionId, summary };
    }
    return { session_id: sessionId, unavailable: "its summary is no longer in the summary cache" };
  } catch (error) {
    return { session_id: sessionId, unavailable: `its summary could not be read: ${messageOf(error)}` };
  }
}

/** The window of the recording from `REPLAY_LEAD_MS` before the example's moment to `REPLAY_TAIL_MS` after it. */
export async function loadReplay(runtime: Pick<ReportPageRuntime, "source">, example: PatternExample, maxBytes = DEFAULT_MAX_REPLAY_BYTES, redact = true): Promise<ExampleReplay> {
  const momentMs = Date.parse(example.target.timestamp);
  if (!Number.isFinite(momentMs)) return { status: "unavailable", reason: `the key event's time ${JSON.stringify(example.target.timestamp)} is not a date` };
  const startMs = momentMs - REPLAY_LEAD_MS;
  const endMs = momentMs + REPLAY_TAIL_MS;
  try {
    const clip = await extractClipWindow(runtime.source.streamRecording(example.session_id), { startMs, endMs }, `recording of session ${example.session_id}`);
    const window = clip.windows.find((w) => w.windowId === example.target.window_id) ?? [...clip.windows].sort((a, b) => b.eventsInClip - a.eventsInClip)[0];
    if (!window || window.events.length === 0) return { status: "unavailable", reason: "the recording has no replayable window at this moment" };
    // Connection hints and frame sources would open sockets from the reader's browser, which the page's policy cannot stop.
    const safe = withoutConnectionHints(window.events);
    // Text and URLs in the recording (a page address with an email or a token in it) are redacted like the report's.
    const eventsJson = jsonForScript(redact ? redactDeep(safe.events) : safe.events);
    if (eventsJson.length > maxBytes) {
      return { status: "unavailable", reason: `the replay window is too large to embed (${(eventsJson.length / 1048576).toFixed(1)} MB, limit ${(maxBytes / 1048576).toFixed(1)} MB)` };
    }
    const firstMs = window.events[0]!.timestamp;
    return { status: "ready", window_id: window.windowId, start_ms: Math.max(startMs, firstMs), moment_ms: momentMs, end_ms: endMs, events_json: eventsJson, stripped: safe.stripped };
  } catch (error) {
    return { status: "unavailable", reason: `the recording could not be read: ${messageOf(error)}` };
  }
}

const MP4_BRAND = Buffer.from("ftyp");

/** A clip's bytes as a `data:` URL, so the written file plays it with no server. */
export async function loadClip(runtime: Pick<ReportPageRuntime, "blobs">, clipKey: string): Promise<ExampleClip> {
  try {
    const bytes = await runtime.blobs.get(clipKey);
    if (!bytes) return { status: "unavailable", reason: "the clip is not in the blob store (expired or never rendered)" };
    if (bytes.length < 12 || !bytes.subarray(4, 8).equals(MP4_BRAND)) return { status: "unavailable", reason: "the stored clip is not an MP4 video" };
    return { status: "ready", mime: "video/mp4", data_url: `data:video/mp4;base64,${bytes.toString("base64")}`, bytes: bytes.length };
  } catch (error) {
    return { status: "unavailable", reason: `the clip could not be read: ${messageOf(error).replaceAll(clipKey, "(clip)")}` };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
