import { SessionSummariesError } from "../domain/errors.ts";

/** A recording cannot serve what was asked: no full snapshot to replay from, a window past its end. */
export class RecordingError extends SessionSummariesError {
  constructor(
    code: string,
    readonly file: string,
    problem: string,
  ) {
    super(code, `${file}: ${problem}`);
  }
}
