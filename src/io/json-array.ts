import { InputError } from "../domain/errors.ts";
import { MAX_LINE_BYTES } from "./lines.ts";

/** One top-level element of a JSON array file, as JSON text, with its 0-based position. */
export interface ArrayItem {
  text: string;
  index: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Splits a JSON array of objects (`[{...},{...}]`) into its elements at the byte level, so a file
 * of any size streams with memory bounded by its largest element. It tracks only nesting depth and
 * string state; each element's text is parsed by the caller.
 */
export async function* splitJsonArray(chunks: AsyncIterable<Buffer>, file: string): AsyncGenerator<ArrayItem> {
  let sawArrayStart = false;
  let sawArrayEnd = false;
  let depth = 0; // nesting inside the current element
  let inString = false;
  let escaped = false;
  let index = 0;
  let parts: Buffer[] = [];
  let partBytes = 0;

  const fail = (problem: string): never => {
    throw new InputError("invalid_json_array", { file }, `${problem} (element ${index})`);
  };

  for await (const chunk of chunks) {
    let elementStart = depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (inString) {
        if (escaped) {
          escaped = false;
        } else if (byte === BACKSLASH) {
          escaped = true;
        } else if (byte === QUOTE) {
          inString = false;
        } else {
          // Jump to the next quote or backslash: most of a recording's bytes are inside strings.
          const nextQuote = chunk.indexOf(QUOTE, i + 1);
          const nextEscape = chunk.indexOf(BACKSLASH, i + 1);
          const next = nextQuote === -1 ? nextEscape : nextEscape === -1 ? nextQuote : Math.min(nextQuote, nextEscape);
          i = (next === -1 ? chunk.length : next) - 1;
        }
        continue;
      }
      if (depth === 0) {
        if (isWhitespace(byte)) continue;
        if (!sawArrayStart) {
          if (byte !== OPEN_BRACKET) fail("file does not start with '['");
          sawArrayStart = true;
        } else if (sawArrayEnd) {
          fail("unexpected data after the closing ']'");
        } else if (byte === OPEN_BRACE) {
          depth = 1;
          elementStart = i;
        } else if (byte === COMMA) {
          continue;
        } else if (byte === CLOSE_BRACKET) {
          sawArrayEnd = true;
        } else {
          fail(`expected an object, found '${String.fromCharCode(byte)}'`);
        }
        continue;
      }
      if (byte === QUOTE) inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth += 1;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        depth -= 1;
        if (depth === 0) {
          const tail = chunk.subarray(elementStart, i + 1);
          const whole = partBytes > 0 ? Buffer.concat([...parts, tail], partBytes + tail.length) : tail;
          parts = [];
          partBytes = 0;
          yield { text: whole.toString("utf8"), index };
          index += 1;
          elementStart = -1;
        }
      }
    }
    if (depth > 0 && elementStart !== -1) {
      const rest = chunk.subarray(elementStart);
      parts.push(rest);
      partBytes += rest.length;
      if (partBytes > MAX_LINE_BYTES) fail(`element is larger than ${MAX_LINE_BYTES} bytes`);
    }
  }
  if (!sawArrayStart) fail("file has no JSON array");
  if (depth > 0 || inString || !sawArrayEnd) fail("file ends inside the array (truncated?)");
}
