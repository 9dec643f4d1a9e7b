import { SessionSummariesError } from "../../domain/errors.ts";

/**
 * A session job this worker cannot run, whatever the number of attempts: bad job data, a dataset it does
 * not serve, a cache label that does not match its analyst. Thrown to BullMQ as an `UnrecoverableError`
 * so the job fails at once with this message instead of being retried.
 */
export class WorkerJobError extends SessionSummariesError {}
