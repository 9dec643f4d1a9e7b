import { SessionSummariesError } from "../domain/errors.ts";

/**
 * What stopped a run. `data`: the selected sessions themselves (nothing matched, nothing usable in
 * them, files that cannot be read): running again gives the same result until the data or the
 * selection changes. `run`: model errors, time-outs, a lost blob: resuming retries what failed.
 */
export type StopCause = "data" | "run";

/**
 * Codes that only the data or the selection can cause. `nothing_fits` is not one: it is the token
 * limits (settings) that are too small, so its message names the setting to raise.
 */
const STOPPED_BY_DATA = new Set(["empty_selection", "nothing_to_summarize"]);

/** A report run cannot continue: nothing selected, or too many sessions or chunks failed. */
export class PipelineError extends SessionSummariesError {
  readonly stoppedBy: StopCause;

  constructor(code: string, message: string, options: { cause?: unknown; stoppedBy?: StopCause } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.stoppedBy = options.stoppedBy ?? (STOPPED_BY_DATA.has(code) ? "data" : "run");
  }
}
