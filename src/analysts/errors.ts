import { SessionSummariesError } from "../domain/errors.ts";

/**
 * The offline analyst cannot summarize this input. Code `nothing_to_cite`: the encoding kept no
 * event, so no segment can cite one (a very short session, or one made only of noise); callers
 * treat it as a session to skip, not a failure.
 */
export class AnalystError extends SessionSummariesError {}
