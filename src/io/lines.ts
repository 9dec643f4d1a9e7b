import { InputError } from "../domain/errors.ts";

/** One line of a text file, 1-based, without its line terminator. */
export interface TextLine {
  text: string;
  lineNo: number;
}

/** Longer lines are refused: V8 cannot hold a string much over 512 MB, and no valid line is that big. */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits a byte stream into UTF-8 lines without ever holding more than one line (plus one chunk).
 * Blank lines are skipped but still counted, so line numbers match an editor's.
 * A stream error is re-thrown with the line it stopped at.
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>, file: string): AsyncGenerator<TextLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNo = 0;
  try {
    for await (const chunk of chunks) {
      let start = 0;
      for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
        lineNo += 1;
        let line: Buffer;
        if (pendingBytes > 0) {
          pending.push(chunk.subarray(start, end));
          line = Buffer.concat(pending, pendingBytes + end - start);
          pending = [];
          pendingBytes = 0;
        } else {
          line = chunk.subarray(start, end);
        }
        start = end + 1;
        const text = decodeLine(line);
        if (text.length > 0) yield { text, lineNo };
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > MAX_LINE_BYTES) {
          throw new InputError("line_too_long", { file, line: lineNo + 1 }, `line is longer than ${MAX_LINE_BYTES} bytes`);
        }
      }
    }
  } catch (error) {
    if (error instanceof InputError && error.code === "corrupt_gzip") {
      throw new InputError(error.code, { file, line: lineNo + 1 }, `${error.problem}; stopped after line ${lineNo}`, {
        cause: error,
      });
    }
    throw error;
  }
  if (pendingBytes > 0) {
    lineNo += 1;
    const text = decodeLine(Buffer.concat(pending, pendingBytes));
    if (text.length > 0) yield { text, lineNo };
  }
}

function decodeLine(line: Buffer): string {
  const end = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
  // Whitespace-only lines count as blank.
  const text = line.toString("utf8", 0, end);
  return text.trim().length === 0 ? "" : text;
}
