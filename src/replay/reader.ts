import { InputError, type InputLocation } from "../domain/errors.ts";
import { SINGLE_WINDOW_ID, type WindowedEvent } from "../domain/recording.ts";
import { ReadWarnings } from "../domain/warnings.ts";
import { splitJsonArray } from "../io/json-array.ts";
import { splitLines } from "../io/lines.ts";
import { openInput } from "../io/open.ts";
import { parseRecordingLine, toRrwebEvent } from "./parse.ts";

export type RecordingFormat = "snapshot-jsonl" | "rrweb-array";

export interface RecordingReadOptions {
  warnings?: ReadWarnings;
  signal?: AbortSignal;
}

/** A recording file read one step at a time: a JSONL line still to parse, or an event of a plain array. */
export type RecordingItem =
  | { kind: "line"; text: string; location: InputLocation }
  | ({ kind: "event" } & WindowedEvent);

/**
 * Streams a recording file's rrweb events with their window ids, in file order. Accepts PostHog
 * snapshot JSONL (gzip or not) and a plain rrweb `eventWithTime[]` JSON array (one window). Memory
 * is bounded by the largest line or array element. Bad lines and unknown event types are skipped
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
  for await (const item of splitJsonArray(chunks, file)) {
    options.signal?.throwIfAborted();
    // Array elements are reported by 1-based position, in the `line` field.
    const location = { file, line: item.index + 1 };
    let raw: unknown;
    try {
      raw = JSON.parse(item.text);
    } catch {
      warnings.add({ ...location, code: "invalid_json", problem: `array element ${item.index} is not valid JSON` });
      continue;
    }
    const event = toRrwebEvent(raw, location, warnings);
    if (event) yield { kind: "event", windowId: SINGLE_WINDOW_ID, event };
  }
}

/**
 * Looks at the first non-blank bytes: `[` followed by `{` or `]` is a plain rrweb array; anything
 * else is read as JSONL. Returns the chunks with the peeked ones put back in front.
 */
async function detectFormat(
  chunks: AsyncIterable<Buffer>,
  file: string,
): Promise<{ format: RecordingFormat; chunks: AsyncIterable<Buffer> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const peeked: Buffer[] = [];
  let format: RecordingFormat | undefined;
  let sawBracket = false;
  while (format === undefined) {
    const next = await iterator.next();
    if (next.done) break;
    peeked.push(next.value);
    for (const byte of next.value) {
      if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
      if (!sawBracket) {
        if (byte !== 0x5b) {
          format = "snapshot-jsonl";
          break;
        }
        sawBracket = true;
        continue;
      }
      // `[{` or `[]` is an array of events; `["window", {...}]` lines are JSONL.
      format = byte === 0x7b || byte === 0x5d ? "rrweb-array" : "snapshot-jsonl";
      break;
    }
  }
  if (format === undefined) {
    if (!sawBracket) throw new InputError("empty_file", { file }, "file contains only whitespace");
    format = "snapshot-jsonl"; // a lone `[`: the line parser will say what is wrong with it
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
  return { format, chunks: replay() };
}
