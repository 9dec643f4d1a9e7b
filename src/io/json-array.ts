import { InputError } from "../domain/errors.ts";
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "./json-syntax.ts";
import { MAX_LINE_BYTES } from "./lines.ts";

/** One top-level element of a JSON array file, as JSON text, with its 0-based position. */
export interface ArrayItem {
  text: string;
  index: number;
}

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Where a string's bytes from `from` stop being plain: the next quote or backslash, or the chunk's
 * end. The backslash is looked for only up to the quote: searching the whole chunk for one (most
 * strings have none) made every string cost a full chunk scan.
 */
function nextStringStop(chunk: Buffer, from: number): number {
  const nextQuote = chunk.indexOf(QUOTE, from);
  const end = nextQuote === -1 ? chunk.length : nextQuote;
  const escapeAt = chunk.subarray(from, end).indexOf(BACKSLASH);
  return escapeAt === -1 ? end : from + escapeAt;
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
          i = nextStringStop(chunk, i + 1) - 1;
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

/**
 * The bytes of the array stored under `key` in a file holding one JSON object
 * (`{"next": null, "snapshots": [...]}`), so that `splitJsonArray` can stream its elements. The
 * object's other values are skipped at the byte level, whatever their size, and the whole object is
 * checked to be complete (a truncated file is an error, not a short recording). Memory is bounded by
 * one chunk and the longest key.
 */
export async function* jsonArrayUnderKey(chunks: AsyncIterable<Buffer>, file: string, key: string): AsyncGenerator<Buffer> {
  type Expecting = "object" | "first_key" | "key" | "colon" | "value" | "comma" | "end";
  let expecting: Expecting = "object";
  let keyParts: Buffer[] | undefined; // set while reading a key's bytes
  let keyBytes = 0;
  let currentKey = "";
  const keysSeen: string[] = [];
  let found = false;
  let emitting = false; // inside the array under `key`
  let depth = 0; // nesting inside the current value
  let inString = false;
  let escaped = false;
  let inScalar = false; // a number, true, false or null

  const fail = (problem: string): never => {
    throw new InputError("invalid_json_object", { file }, problem);
  };

  for await (const chunk of chunks) {
    let emitStart = emitting ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (inString) {
        const start = i;
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) escaped = true;
        else if (byte === QUOTE) inString = false;
        else {
          i = nextStringStop(chunk, i + 1) - 1;
        }
        if (keyParts) {
          if (inString) {
            // Keys are short; a huge one cannot be the key looked for and is not kept.
            if (keyBytes < 1024) keyParts.push(chunk.subarray(start, i + 1));
            keyBytes += i + 1 - start;
          } else {
            currentKey = decodeKey(Buffer.concat(keyParts).toString("utf8"));
            keyParts = undefined;
            keysSeen.push(currentKey);
            expecting = "colon";
          }
        }
        continue;
      }
      if (depth > 0) {
        if (byte === QUOTE) inString = true;
        else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth += 1;
        else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
          depth -= 1;
          if (depth === 0) {
            if (emitting) {
              yield chunk.subarray(emitStart, i + 1);
              emitting = false;
              emitStart = -1;
              found = true;
            }
            expecting = "comma";
          }
        }
        continue;
      }
      if (inScalar) {
        if (byte !== COMMA && byte !== CLOSE_BRACE && !isWhitespace(byte)) continue;
        inScalar = false;
      }
      if (isWhitespace(byte)) continue;
      switch (expecting) {
        case "object":
          if (byte !== OPEN_BRACE) fail("file does not start with '{'");
          expecting = "first_key";
          break;
        case "first_key":
        case "key":
          if (byte === CLOSE_BRACE && expecting === "first_key") expecting = "end";
          else if (byte === QUOTE) {
            inString = true;
            keyParts = [];
            keyBytes = 0;
          } else fail(`expected a key in the top-level object, found '${String.fromCharCode(byte)}'`);
          break;
        case "colon":
          if (byte !== COLON) fail(`expected ':' after the key ${JSON.stringify(currentKey)}`);
          expecting = "value";
          break;
        case "value":
          if (currentKey === key && !found) {
            if (byte !== OPEN_BRACKET) fail(`${JSON.stringify(key)} is not an array`);
            emitting = true;
            emitStart = i;
            depth = 1;
          } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth = 1;
          else if (byte === QUOTE) {
            inString = true;
            expecting = "comma";
          } else {
            inScalar = true;
            expecting = "comma";
          }
          break;
        case "comma":
          if (byte === COMMA) expecting = "key";
          else if (byte === CLOSE_BRACE) expecting = "end";
          else fail(`expected ',' or '}' after the value of ${JSON.stringify(currentKey)}`);
          break;
        case "end":
          fail("unexpected data after the closing '}': one JSON object was expected");
      }
    }
    if (emitting && emitStart !== -1 && emitStart < chunk.length) yield chunk.subarray(emitStart);
  }
  if (expecting === "object") fail("file has no JSON object");
  if (!found && expecting === "end") {
    const keys = keysSeen.length > 0 ? `its keys: ${keysSeen.slice(0, 10).join(", ")}` : "it is empty";
    fail(`the JSON object has no ${JSON.stringify(key)} array (${keys})`);
  }
  if (expecting !== "end") fail("file ends inside the JSON object (truncated?)");
}

/** A key's raw text (between its quotes) with its escapes resolved; left raw if they are invalid. */
function decodeKey(raw: string): string {
  if (!raw.includes("\\")) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}
