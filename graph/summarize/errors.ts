import { SessionSummariesError } from "../../src/domain/errors.ts";

/** A report run cannot continue: nothing selected, or too many sessions or chunks failed. */
export class PipelineError extends SessionSummariesError {}
