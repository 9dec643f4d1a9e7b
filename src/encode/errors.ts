import { SessionSummariesError } from "../domain/errors.ts";

/** The encoder was called with input it cannot encode (bad options, an impossible replay range). */
export class EncodeError extends SessionSummariesError {}
