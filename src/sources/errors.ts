import { SessionSummariesError } from "../domain/errors.ts";

/** A source could not answer: unknown session, unreachable API, bad credentials, missing dataset. */
export class SourceError extends SessionSummariesError {}

/** A selection by page, event or person that no session matches: there is nothing to summarize. */
export class NoMatchingSessionsError extends SourceError {
  constructor(readonly criteria: string) {
    super("no_sessions", `no session matches the filter (${criteria}): nothing to summarize`);
  }
}
