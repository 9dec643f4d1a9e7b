import { SessionSummariesError } from "../domain/errors.ts";

/** Rendering a recording failed: no browser, a page that crashed or timed out, a replay that would not load. */
export class RenderError extends SessionSummariesError {}
