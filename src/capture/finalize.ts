import { createReadStream, createWriteStream } from "node:fs";
import { access, open, readFile, readdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { AnalyticsEventSchema } from "../domain/events.ts";
import { SessionMetaSchema, type SessionMeta } from "../domain/session.ts";
import { splitLines } from "../io/lines.ts";
import { CaptureError } from "./errors.ts";
import { isSafeSessionId } from "./session-id.ts";
import { DATASET_FILES } from "./files.ts";
import { writeJsonAtomic } from "../io/files.ts";

/**
 * Makes a captured dataset tidy once capture has stopped: events sorted by timestamp, recording
 * lines ordered by time (so each window's lines are in order and windows interleave as they were
 * recorded, which is what the clip reader expects), optionally gzipped, and every meta.json
 * recomputed from the files. Lines that are not valid (a torn tail) are dropped and counted.
 *
 * Memory: a session's events are held (thousands of small lines); a recording is not: its lines
 * are indexed by byte offset and copied in order, one line at a time.
 * Must not run while a capture server is still writing to the same directory.
 */

export interface FinalizeOptions {
  /** Write `events.jsonl.gz` / `recording.jsonl.gz` and remove the plain files. */
  gzip?: boolean;
}

export interface FinalizeResult {
  sessions: number;
  events: number;
  recordingLines: number;
  /** Lines that were not valid JSON of the right shape, dropped. */
  droppedLines: number;
  gzip: boolean;
  /** Sessions that could not be finalized or that the dataset reader will not fully read, with why. */
  problems: string[];
}

interface EventEntry {
  ms: number;
  index: number;
  text: string;
  event: string;
  distinctId?: string;
  url?: string;
}

interface LineIndexEntry {
  offset: number;
  length: number;
  minMs: number;
  maxMs: number;
  index: number;
}

export async function finalizeDataset(out: string, options: FinalizeOptions = {}): Promise<FinalizeResult> {
  const gzip = options.gzip ?? false;
  const sessionsDir = path.resolve(out, "sessions");
  let names: string[];
  try {
    names = (await readdir(sessionsDir, { withFileTypes: true })).filter((e) => e.isDirectory() && isSafeSessionId(e.name)).map((e) => e.name);
  } catch (error) {
    throw new CaptureError("dataset_not_found", `${out} has no sessions/ folder to finalize`, 500, { cause: error });
  }
  const result: FinalizeResult = { sessions: 0, events: 0, recordingLines: 0, droppedLines: 0, gzip, problems: [] };
  for (const name of names.sort()) {
    const session = await finalizeSessionDir(path.join(sessionsDir, name), name, { gzip });
    result.droppedLines += session.droppedLines;
    result.problems.push(...session.problems);
    if (!session.finalized) continue;
    result.sessions += 1;
    result.events += session.events;
    result.recordingLines += session.recordingLines;
  }
  return result;
}

export interface FinalizeSessionResult {
  /** False when the session had no valid line at all and was left as it was. */
  finalized: boolean;
  events: number;
  recordingLines: number;
  droppedLines: number;
  problems: string[];
}

/**
 * One session's folder made tidy (see `finalizeDataset`). Nothing may write to the folder meanwhile:
 * the capture server runs it in the session's write queue once the session has gone quiet.
 */
export async function finalizeSessionDir(dir: string, sessionId: string, options: FinalizeOptions = {}): Promise<FinalizeSessionResult> {
  const gzip = options.gzip ?? false;
  const events = await finalizeEvents(dir, gzip);
  const recording = await finalizeRecording(dir, gzip);
  const droppedLines = events.dropped + recording.dropped;
  if (events.entries.length === 0 && recording.lines === 0) {
    return { finalized: false, events: 0, recordingLines: 0, droppedLines, problems: [`${sessionId}: no valid event or recording line; left as it is`] };
  }
  const problems = events.entries.length === 0 ? [`${sessionId}: recording without events`] : [];
  await writeFinalMeta(dir, sessionId, events.entries, recording);
  return { finalized: true, events: events.entries.length, recordingLines: recording.lines, droppedLines, problems };
}

// ------------------------------------------------------------------ events

async function finalizeEvents(dir: string, gzip: boolean): Promise<{ entries: EventEntry[]; dropped: number }> {
  const sources = await existingVariants(dir, DATASET_FILES.events);
  const entries: EventEntry[] = [];
  let dropped = 0;
  for (const source of sources) {
    for await (const line of splitLines(readPlain(source), source)) {
      let value: unknown;
      try {
        value = JSON.parse(line.text);
      } catch {
        dropped += 1;
        continue;
      }
      const parsed = AnalyticsEventSchema.safeParse(value);
      if (!parsed.success) {
        dropped += 1;
        continue;
      }
      const event = parsed.data;
      entries.push({
        ms: Date.parse(event.timestamp),
        index: entries.length,
        text: line.text,
        event: event.event,
        ...(event.distinct_id ? { distinctId: event.distinct_id } : {}),
        ...(event.properties.$current_url ? { url: event.properties.$current_url } : {}),
      });
    }
  }
  if (sources.length === 0) return { entries, dropped };
  entries.sort((a, b) => a.ms - b.ms || a.index - b.index);
  async function* lines(): AsyncGenerator<Buffer> {
    for (const entry of entries) yield Buffer.from(entry.text + "\n", "utf8");
  }
  await replaceVariants(dir, DATASET_FILES.events, sources, gzip, lines());
  return { entries, dropped };
}

// ------------------------------------------------------------------ recording

async function finalizeRecording(dir: string, gzip: boolean): Promise<{ lines: number; dropped: number; minMs: number; maxMs: number }> {
  const sources = await existingVariants(dir, DATASET_FILES.recording);
  const none = { lines: 0, dropped: 0, minMs: Number.POSITIVE_INFINITY, maxMs: Number.NEGATIVE_INFINITY };
  if (sources.length === 0) return none;

  // Offsets need one plain file: unpack (and concatenate) when anything is gzipped.
  let staging = sources[0]!;
  let stagingIsTemp = false;
  if (sources.length > 1 || staging.endsWith(".gz")) {
    staging = path.join(dir, `.${DATASET_FILES.recording}.${process.pid}.staging.tmp`);
    stagingIsTemp = true;
    for (const [i, source] of sources.entries()) {
      await pipeline(readPlain(source), createWriteStream(staging, { flags: i === 0 ? "w" : "a" }));
      await ensureNewlineAtEnd(staging);
    }
  }
  try {
    const index: LineIndexEntry[] = [];
    let dropped = 0;
    let minMs = Number.POSITIVE_INFINITY;
    let maxMs = Number.NEGATIVE_INFINITY;
    for await (const line of indexLines(staging)) {
      const span = recordingLineSpan(line.text);
      if (!span) {
        dropped += 1;
        continue;
      }
      index.push({ offset: line.offset, length: line.length, ...span, index: index.length });
      minMs = Math.min(minMs, span.minMs);
      maxMs = Math.max(maxMs, span.maxMs);
    }
    index.sort((a, b) => a.minMs - b.minMs || a.index - b.index);
    const handle = await open(staging, "r");
    try {
      async function* lines(): AsyncGenerator<Buffer> {
        for (const entry of index) {
          const buffer = Buffer.alloc(entry.length + 1);
          await handle.read(buffer, 0, entry.length, entry.offset);
          buffer[entry.length] = 0x0a;
          yield buffer;
        }
      }
      await replaceVariants(dir, DATASET_FILES.recording, sources, gzip, lines());
    } finally {
      await handle.close();
    }
    return { lines: index.length, dropped, minMs, maxMs };
  } finally {
    if (stagingIsTemp) await unlink(staging).catch(() => undefined);
  }
}

/** Time span of a `{"window_id", "data": [rrweb events]}` line, or undefined for a line of another shape. */
function recordingLineSpan(text: string): { minMs: number; maxMs: number } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const line = value as { window_id?: unknown; data?: unknown };
  if (typeof line.window_id !== "string" || line.window_id.length === 0 || !Array.isArray(line.data)) return undefined;
  let minMs = Number.POSITIVE_INFINITY;
  let maxMs = Number.NEGATIVE_INFINITY;
  for (const item of line.data) {
    const ts = (item as { timestamp?: unknown } | null)?.timestamp;
    if (typeof ts === "number" && Number.isFinite(ts)) {
      minMs = Math.min(minMs, ts);
      maxMs = Math.max(maxMs, ts);
    }
  }
  return Number.isFinite(minMs) ? { minMs, maxMs } : undefined;
}

/** Lines of a plain file with their byte offsets; memory bounded by the longest line. */
async function* indexLines(file: string): AsyncGenerator<{ offset: number; length: number; text: string }> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let position = 0;
  let lineStart = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, nl));
      const length = pendingBytes + nl - start;
      const bytes = Buffer.concat(pending, length);
      if (length > 0) yield { offset: lineStart, length, text: bytes.toString("utf8") };
      pending = [];
      pendingBytes = 0;
      lineStart = position + nl + 1;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
    }
    position += chunk.length;
  }
  if (pendingBytes > 0) yield { offset: lineStart, length: pendingBytes, text: Buffer.concat(pending, pendingBytes).toString("utf8") };
}

// ------------------------------------------------------------------ meta

async function writeFinalMeta(dir: string, sessionId: string, events: EventEntry[], recording: { lines: number; minMs: number; maxMs: number }): Promise<void> {
  const previous = await readMeta(path.join(dir, DATASET_FILES.meta));
  let minMs = recording.minMs;
  let maxMs = recording.maxMs;
  let distinctId = previous?.distinct_id;
  let firstUrl: string | undefined;
  let exceptions = 0;
  for (const event of events) {
    minMs = Math.min(minMs, event.ms);
    maxMs = Math.max(maxMs, event.ms);
    if (event.distinctId) distinctId = event.distinctId;
    if (event.event === "$exception") exceptions += 1;
    if (firstUrl === undefined && event.event === "$pageview" && event.url) firstUrl = event.url;
  }
  const recordingFile = (await existingVariants(dir, DATASET_FILES.recording))[0];
  const recordingBytes = recordingFile ? (await stat(recordingFile)).size : 0;
  const meta: SessionMeta = SessionMetaSchema.parse({
    session_id: sessionId,
    ...(distinctId ? { distinct_id: distinctId } : {}),
    start: new Date(minMs).toISOString(),
    end: new Date(maxMs).toISOString(),
    ...((firstUrl ?? previous?.first_url) ? { first_url: firstUrl ?? previous?.first_url } : {}),
    event_count: events.length,
    exception_count: exceptions,
    ...(recording.lines > 0 ? { recording_bytes: recordingBytes } : {}),
  });
  let counter = 0;
  await writeJsonAtomic(path.join(dir, DATASET_FILES.meta), meta, () => counter++);
}

async function readMeta(file: string): Promise<SessionMeta | undefined> {
  try {
    const parsed = SessionMetaSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ files

/** `name.gz` then `name`, those that exist (gz first: it holds what an earlier finalize wrote). */
async function existingVariants(dir: string, name: string): Promise<string[]> {
  const found: string[] = [];
  for (const candidate of [`${name}.gz`, name]) {
    const file = path.join(dir, candidate);
    try {
      await access(file);
      found.push(file);
    } catch {
      // not there
    }
  }
  return found;
}

/** A file's bytes, gunzipped when it starts with the gzip magic bytes. */
function readPlain(file: string): AsyncIterable<Buffer> {
  async function* chunks(): AsyncGenerator<Buffer> {
    const head = Buffer.alloc(2);
    const handle = await open(file, "r");
    let gzipped: boolean;
    try {
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      gzipped = bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
    } finally {
      await handle.close();
    }
    const raw = createReadStream(file);
    const stream = gzipped ? raw.pipe(createGunzip()) : raw;
    if (gzipped) raw.on("error", (error) => stream.destroy(error));
    yield* stream as AsyncIterable<Buffer>;
  }
  return chunks();
}

/** Writes the new content to a temp file, renames it to the target variant, removes the other variants. */
async function replaceVariants(dir: string, name: string, sources: string[], gzip: boolean, content: AsyncIterable<Buffer>): Promise<void> {
  const target = path.join(dir, gzip ? `${name}.gz` : name);
  const temp = path.join(dir, `.${name}.${process.pid}.final.tmp`);
  try {
    if (gzip) await pipeline(Readable.from(content), createGzip(), createWriteStream(temp));
    else await pipeline(Readable.from(content), createWriteStream(temp));
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  for (const source of sources) if (source !== target) await unlink(source).catch(() => undefined);
}

async function ensureNewlineAtEnd(file: string): Promise<void> {
  const handle = await open(file, "r+");
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] !== 0x0a) await handle.write(Buffer.from("\n"), 0, 1, size);
  } finally {
    await handle.close();
  }
}
