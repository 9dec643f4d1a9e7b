import path from "node:path";
import { UnrecoverableError, type Job } from "bullmq";
import { compileSessionGraph } from "../../../graph/session/graph.ts";
import type { SessionResult } from "../../../graph/session/state.ts";
import type { Logger } from "../../log/logger.ts";
import { SessionJobDataSchema, type SessionJobData, type SessionJobOutcome } from "../../queue/names.ts";
export type { SessionJobOutcome } from "../../queue/names.ts";
import type { PipelineRuntime } from "../../runtime/runtime.ts";
import { summaryCacheLabel } from "../../store/cache-labels.ts";
import { WorkerJobError } from "./errors.ts";

/** The runtime of one project over one dataset, built on the first job of that pair and reused. */
export type RuntimeProvider = (project: string, dataset: string) => Promise<PipelineRuntime>;

export interface SessionProcessorOptions {
  runtimeFor: RuntimeProvider;
  /**
   * The datasets this worker reads (resolved paths), the first for jobs that name none: a job naming
   * another `source` is refused (a server's project whose sessions this machine cannot read).
   */
  datasets: readonly string[];
  logger: Logger;
}

type SessionGraph = ReturnType<typeof compileSessionGraph>;

/**
 * The processor of the `sessions` queue: runs the per-session graph (load + encode → summarize →
 * replay checks) for one job, without a checkpointer: the summary cache is what makes a second run
 * cheap (a cache hit), and the job id is what makes it rare.
 * A session whose own data cannot be summarized fails the job at once (a retry gives the same); a
 * failure of anything else (a model error, a time-out) is thrown so BullMQ retries it with back-off.
 */
export function createSessionProcessor(options: SessionProcessorOptions): (job: Job<SessionJobData, SessionJobOutcome>) => Promise<SessionJobOutcome> {
  // One compiled graph per runtime: compiling is cheap but not free, and a runtime lives as long as the worker.
  const graphs = new WeakMap<PipelineRuntime, SessionGraph>();
  return async function processSessionJob(job) {
    const data = parseJobData(job);
    const log = options.logger.child({ job: job.id, project: data.project, run: data.runId, session: data.sessionId, attempt: job.attemptsMade + 1 });
    try {
      const dataset = data.source === undefined ? options.datasets[0] : path.resolve(data.source);
      if (dataset === undefined || !options.datasets.includes(dataset)) {
        const served = options.datasets.map((d) => JSON.stringify(d)).join(", ");
        throw new WorkerJobError(
          "wrong_source",
          `job ${job.id}: it reads sessions from ${JSON.stringify(data.source)} but this worker serves the dataset(s) ${served}: give every worker every project's dataset`,
        );
      }
      const runtime = await options.runtimeFor(data.project, dataset);
      const label = summaryCacheLabel(runtime);
      // Another label means another analyst or other checks: the summary would land under a key the report never reads.
      if (data.cacheLabel !== label) {
        throw new WorkerJobError(
          "wrong_analyst",
          `job ${job.id}: it asks for summaries labelled ${JSON.stringify(data.cacheLabel)} but this worker's analyst and checks make ${JSON.stringify(label)}: run workers with the same models and validation as the servers`,
        );
      }
      let graph = graphs.get(runtime);
      if (!graph) graphs.set(runtime, (graph = compileSessionGraph(runtime)));
      log.info("session job started");
      await job.updateProgress({ step: "started" });
      const input = { session_id: data.sessionId, run_id: data.runId, focus_area: data.focus ?? undefined, ...(data.learnedSite ? { learned_site: data.learnedSite } : {}) };
      // The graph's custom events (clips checked, session done) go back to the waiting report as job progress, through Redis.
      let output: { session_results: SessionResult[]; usage: SessionJobOutcome["usage"] } | undefined;
      for await (const [mode, chunk] of await graph.stream(input, { streamMode: ["custom", "values"] })) {
        if (mode === "values") output = chunk as typeof output;
        else await job.updateProgress({ event: chunk }).catch(() => {});
      }
      if (!output) throw new Error(`job ${job.id}: the session graph ended without output`);
      const result: SessionResult | undefined = output.session_results.find((r) => r.session_id === data.sessionId);
      if (!result) throw new Error(`job ${job.id}: the session graph ended without a result for session ${data.sessionId}`);
      // A worker's run never lets a session go late (its stragglers are not watched); said for the types.
      if (result.status === "late") throw new Error(`job ${job.id}: session ${data.sessionId} ended late in a worker`);
      if (result.status === "failed") {
        const reason = `session ${data.sessionId} failed: ${result.reason ?? "no reason given"}`;
        log.warn({ dataProblem: result.data_problem === true, reason: result.reason }, "session job failed");
        if (result.data_problem) throw new UnrecoverableError(reason);
        throw new Error(reason);
      }
      const outcome: SessionJobOutcome = {
        status: result.status,
        cached: result.cached === true,
        usage: output.usage,
        ...(result.summary_key ? { summaryKey: result.summary_key } : {}),
        ...(result.blocking !== undefined ? { blocking: result.blocking } : {}),
        ...(result.triaged ? { triaged: true } : {}),
        ...(result.reason ? { reason: result.reason } : {}),
      };
      await job.updateProgress({ step: "done", status: outcome.status, cached: outcome.cached });
      log.info({ status: outcome.status, cached: outcome.cached, summaryKey: outcome.summaryKey }, "session job done");
      return outcome;
    } catch (error) {
      if (error instanceof WorkerJobError) {
        log.error({ code: error.code, reason: error.message }, "session job refused");
        throw new UnrecoverableError(error.message);
      }
      throw error;
    }
  };
}

function parseJobData(job: Job<SessionJobData, SessionJobOutcome>): SessionJobData {
  const parsed = SessionJobDataSchema.safeParse(job.data);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "data"}: ${issue.message}`).join("; ");
  throw new UnrecoverableError(new WorkerJobError("invalid_job", `job ${job.id}: its data is not a session job: ${problems}`).message);
}
