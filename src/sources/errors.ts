import { SessionSummariesError } from "../domain/errors.ts";

/** A source could not answer: unknown session, unreachable API, bad credentials, missing dataset. */
export class SourceError extends SessionSummariesError {}
