import { SessionSummariesError } from "../domain/errors.ts";

/** A request the report service cannot serve; `code` is stable, for API responses and the chat. */
export class ServiceError extends SessionSummariesError {}

/** The project already has its maximum of report runs under way. */
export class TooManyRunsError extends ServiceError {
  constructor(
    readonly project: string,
    readonly limit: number,
  ) {
    super("too_many_runs", `project ${JSON.stringify(project)} already has ${limit} report run${limit === 1 ? "" : "s"} under way; wait for one to finish`);
  }
}

/** The service is closing or closed: no new runs. */
export class ServiceClosedError extends ServiceError {
  constructor() {
    super("closed", "the report service is shutting down");
  }
}
