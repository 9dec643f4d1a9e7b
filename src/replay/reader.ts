import { InputError, type InputLocation } from "../domain/errors.ts";
import { SINGLE_WINDOW_ID, type WindowedEvent } from "../domain/recording.ts";
import { ReadWarnings } from "../domain/warnings.ts";
import { jsonArrayUnderKey, splitJsonArray, type ArrayItem } from "../io/json-array.ts";
import { splitLines } from "../io/lines.ts";
import { openInput } from "../io/open.ts";
import { parseRecordingLine, parseSnapshotsElement, toRrwebEvent } from "./parse.ts";

export type RecordingFormat = "snapshot-jsonl" | "rrweb-array" | "snapshots-object";

export interface RecordingReadOptions {
  warnings?: ReadWarnings;
  signal?: AbortSignal;
}

/** A recording file read one step at a time: a JSONL line still to parse, or an event of a plain array. */
export type RecordingItem = { kind: "line"; text: string; location: InputLocation } | ({ kind: "event" } & WindowedEvent);

/**
 * Streams a recording file's rrweb events with their window ids, in file order. Accepts PostHog
 * snapshot JSONL, a plain rrweb `eventWithTime[]` JSON array (one window) and PostHog's older JSON
 * object `{"snapshots": [...]}`, each gzipped or not. Memory is bounded by the largest line or
 * array element. Bad lines and unknown event types are skipped
 * with a warning; a file that yields no event at all is an `InputError`.
 */
export async function* readRecording(file: string, options: RecordingReadOptions = {}): AsyncGenerator<WindowedEvent> {
  const warnings = options.warnings ?? new ReadWarnings();
  let yielded = 0;
  for await (const item of readRecordingLines(file, { ...options, warnings })) {
    if (item.kind === "event") {
      yielded += 1;
      yield item;
      continue;
    }
    for (const event of parseRecordingLine(item.text, item.location, warnings)) {
      yielded += 1;
      yield event;
    }
  }
  if (yielded === 0) {
    const skipped = warnings.total > 0 ? `; skipped: ${warnings.summary().join("; ")}` : "";
    throw new InputError("no_recording_events", { file }, `recording contains no readable rrweb events${skipped}`);
  }
}

/**
 * The lower layer of `readRecording`: JSONL lines are handed over unparsed, so that a caller that
 * can tell from the raw text that a line does not matter (see `extractClipFromFile`) skips the parse.
 */
export async function* readRecordingLines(file: string, options: RecordingReadOptions = {}): AsyncGenerator<RecordingItem> {
  const warnings = options.warnings ?? new ReadWarnings();
  const input = await openInput(file);
  const { format, chunks } = await detectFormat(input.chunks, file);
  if (format === "snapshot-jsonl") {
    for await (const line of splitLines(chunks, file)) {
      options.signal?.throwIfAborted();
      yield { kind: "line", text: line.text, location: { file, line: line.lineNo } };
    }
    return;
  }
  if (format === "snapshots-object") {
    for await (const item of splitJsonArray(jsonArrayUnderKey(chunks, file, SNAPSHOTS_KEY), file)) {
      options.signal?.throwIfAborted();
      const location = { file, line: item.index + 1 };
      const raw = parseArrayElement(item, location, warnings);
      if (raw === undefined) continue;
      for (const event of parseSnapshotsElement(raw, location, SINGLE_WINDOW_ID, warnings)) yield { kind: "event", ...event };
    }
    return;
  }
  for await (const item of splitJsonArray(chunks, file)) {
    options.signal?.throwIfAborted();
    // Array elements are reported by 1-based position, in the `line` field.
    const location = { file, line: item.index + 1 };
    const raw = parseArrayElement(item, location, warnings);
    if (raw === undefined) continue;
    const event = toRrwebEvent(raw, location, warnings);
    if (event) yield { kind: "event", windowId: SINGLE_WINDOW_ID, event };
  }
}

function parseArrayElement(item: ArrayItem, location: InputLocation, warnings: ReadWarnings): unknown {
  try {
    return JSON.parse(item.text) as unknown;
  } catch {
    warnings.add({ ...location, code: "invalid_json", problem: `array element ${item.index} is not valid JSON` });
    return undefined;
  }
}

/** Where the `snapshots` array sits in PostHog's older JSON recording shape. */
const SNAPSHOTS_KEY = "snapshots";
/** The keys a JSONL recording line starts with; any other first key means one JSON object. */
const JSONL_LINE_KEYS = new Set(["window_id", "data"]);
/** Bytes looked at to tell the format: enough for a first key of any sane length. */
const DETECT_MAX_BYTES = 64 * 1024;

/**
 * Tells the format from the first bytes: `[` followed by `{` or `]` is a plain rrweb array (`["w",
 * {...}]` starts a JSONL line); `{` whose first key is `window_id` or `data` is a JSONL line, any
 * other first key (`"snapshots"`, `"next"`) one JSON object holding a `snapshots` array; anything
 * else is read as JSONL. Returns undefined while more bytes are needed.
 */
export function classifyRecordingHead(head: Buffer, complete: boolean): RecordingFormat | undefined {
  let i = 0;
  const skipBlank = (): void => {
    while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i += 1;
  };
  const undecided = (): RecordingFormat | undefined => (complete || head.length >= DETECT_MAX_BYTES ? "snapshot-jsonl" : undefined);
  skipBlank();
  if (i >= head.length) return complete ? "snapshot-jsonl" : undefined;
  const first = head[i];
  if (first !== 0x5b && first !== 0x7b) return "snapshot-jsonl";
  i += 1;
  skipBlank();
  if (i >= head.length) return undecided();
  const second = head[i];
  if (first === 0x5b) return second === 0x7b || second === 0x5d ? "rrweb-array" : "snapshot-jsonl";
  if (second === 0x7d) return "snapshots-object"; // `{}`: the object reader says what is missing
  if (second !== 0x22) return "snapshot-jsonl";
  const keyEnd = head.indexOf(0x22, i + 1);
  if (keyEnd === -1) return undecided();
  return JSONL_LINE_KEYS.has(head.toString("utf8", i + 1, keyEnd)) ? "snapshot-jsonl" : "snapshots-object";
}

/** Reads the first bytes to tell the format; returns the chunks with the peeked ones put back in front. */
async function detectFormat(chunks: AsyncIterable<Buffer>, file: string): Promise<{ format: RecordingFormat; chunks: AsyncIterable<Buffer> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const peeked: Buffer[] = [];
  let format: RecordingFormat | undefined;
  let head: Buffer = Buffer.alloc(0);
  while (format === undefined) {
    const next = await iterator.next();
    if (next.done) {
      if (head.toString("utf8").trim().length === 0) throw new InputError("empty_file", { file }, "file contains only whitespace");
      format = classifyRecordingHead(head, true);
      break;
    }
    peeked.push(next.value);
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value.subarray(0, DETECT_MAX_BYTES)]);
    format = classifyRecordingHead(head, false);
  }
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* peeked;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      // Closes the file when the reader stops early (a clip window found, an abort).
      await iterator.return?.();
    }
  }
  return { format: format!, chunks: replay() };
}
