import type { z } from "zod";
import { describeIssues, InputError } from "../domain/errors.ts";
import { ReadWarnings } from "../domain/warnings.ts";
import { splitLines } from "./lines.ts";
import { openInput } from "./open.ts";

export interface JsonlReadOptions {
  warnings?: ReadWarnings;
  signal?: AbortSignal;
  /** What one record is called in messages, e.g. "event". */
  noun?: string;
}

/**
 * Streams a JSONL file (gzip or not), validating each line with `schema`. A line that is not JSON
 * or not of the schema's shape is skipped with a warning naming file, line and problem; a file
 * with no valid line at all is an `InputError`, never an empty success.
 */
export async function* readJsonl<S extends z.ZodType>(file: string, schema: S, options: JsonlReadOptions = {}): AsyncGenerator<z.output<S>> {
  const warnings = options.warnings ?? new ReadWarnings();
  const noun = options.noun ?? "record";
  const input = await openInput(file);
  let valid = 0;
  for await (const line of splitLines(input.chunks, file)) {
    options.signal?.throwIfAborted();
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      warnings.add({ file, line: line.lineNo, code: "invalid_json", problem: `line is not valid JSON (${reason})` });
      continue;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const problem = `not a valid ${noun}: ${describeIssues(parsed.error.issues)}`;
      warnings.add({ file, line: line.lineNo, code: `invalid_${noun}`, problem });
      continue;
    }
    valid += 1;
    yield parsed.data;
  }
  if (valid === 0) {
    const skipped = warnings.total > 0 ? `; skipped: ${warnings.summary().join("; ")}` : "";
    throw new InputError(`no_valid_${noun}s`, { file }, `file contains no valid ${noun}${skipped}`);
  }
}
