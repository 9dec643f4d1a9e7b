import path from "node:path";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { SessionDoneEvent } from "../../../src/domain/progress.ts";
import { NO_USAGE } from "../../../src/llm/analyst.ts";
import type { QueueClient } from "../../../src/queue/client.ts";
import { QueueError } from "../../../src/queue/errors.ts";
import { sessionJobId, type SessionJobData, type SessionJobOutcome } from "../../../src/queue/names.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import { DatasetSource } from "../../../src/sources/dataset.ts";
import { summaryCacheLabel } from "../../../src/store/cache-labels.ts";
import type { FinishedSessionResult, SessionStateType } from "../../session/state.ts";

/** What a session worker streams back with `job.updateProgress` (see the session processor). */
export interface SessionJobProgress {
  /** A custom stream event of the worker's session graph (e.g. `clips_checked`), passed on as it is. */
  event?: { kind: string; [key: string]: unknown };
}

/**
 * The report graph's per-session branch when sessions run on a queue: the same `session` node with
 * the same input (the `Send` payload) and output (its result and usage), but the work (load + encode →
 * summarize → replay checks) is a job on the `sessions` queue run by a worker. The job id is the run
 * and the session, so a branch sent twice (a resumed run, a lost session sent again) waits for the
 * same job; the summary lands in the shared summary cache and the job returns only its key.
 * A job that failed after all its attempts (a poison job: a corrupt recording) is a failed session
 * on the report, with the worker's reason, never retried forever.
 */
export function makeQueuedSessionNode(runtime: PipelineRuntime, queue: QueueClient) {
  return async function session(state: SessionStateType, config?: LangGraphRunnableConfig) {
    const data: SessionJobData = {
      project: runtime.project,
      // A branch checkpointed before runs named themselves is named by its thread: never shared by two reports.
      runId: state.run_id ?? String(config?.configurable?.thread_id ?? "run"),
      sessionId: state.session_id,
      focus: state.focus_area ?? null,
      cacheLabel: summaryCacheLabel(runtime),
      // Absolute: a worker started in another directory resolves it the same way.
      ...(runtime.source instanceof DatasetSource ? { source: path.resolve(runtime.source.root) } : {}),
      ...(state.learned_site ? { learnedSite: state.learned_site } : {}),
    };
    let result: FinishedSessionResult;
    let usage = NO_USAGE;
    try {
      const { result: outcome } = await queue.runJob<SessionJobData, SessionJobOutcome>("sessions", "session", data, sessionJobId(data), {
        // A resumed run gives a session whose job failed another set of attempts.
        retryFailed: true,
        ...(config?.signal ? { signal: config.signal } : {}),
        onProgress: (progress) => {
          const event = (progress as SessionJobProgress | undefined)?.event;
          // The worker's own `session_done` is said here, once, with the job's final outcome.
          if (event && event.kind !== "session_done") config?.writer?.(event);
        },
      });
      usage = outcome.usage;
      result = {
        session_id: state.session_id,
        status: outcome.status,
        cached: outcome.cached,
        ...(outcome.summaryKey ? { summary_key: outcome.summaryKey } : {}),
        ...(outcome.blocking !== undefined ? { blocking: outcome.blocking } : {}),
        ...(outcome.triaged ? { triaged: true } : {}),
        ...(outcome.reason ? { reason: outcome.reason } : {}),
      };
    } catch (error) {
      // Stopped (the run was cancelled or its process is shutting down): the branch did not finish.
      if (config?.signal?.aborted) throw error;
      if (!(error instanceof QueueError) || error.code !== "job_failed") throw error;
      const reason = error.failedReason ?? error.message;
      result = { session_id: state.session_id, status: "failed", reason: `its job failed after ${error.attemptsMade ?? "all its"} attempts: ${reason}` };
    }
    const done: SessionDoneEvent = { kind: "session_done", session_id: result.session_id, status: result.status, cached: result.cached === true, ...(result.reason ? { reason: result.reason } : {}) };
    config?.writer?.(done);
    return { session_results: [result], usage };
  };
}
