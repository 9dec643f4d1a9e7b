import { Annotation } from "@langchain/langgraph";
import { addUsage, NO_USAGE, type Usage } from "../../src/llm/analyst.ts";

/**
 * Where the site knowledge learned across a run's sessions is stored (`learn_site`): the blob key,
 * and the hash of its content, which is part of the summary cache key.
 */
export interface LearnedSiteRef {
  key: string;
  hash: string;
}

/** What happened to one session in a report run; small, so it lives in state. */
export interface SessionResult {
  session_id: string;
  /**
   * `late`: its summary was still running when the run's gather let it go (`runtime.stragglers`); it
   * becomes `summarized` or `failed` at `join_late`, before assignment, and never reaches a report.
   */
  status: "summarized" | "failed" | "skipped" | "late";
  /** Blob key of the stored summary (status `summarized`). */
  summary_key?: string;
  /** True when the summary came from the cache: no model was called for it. */
  cached?: boolean;
  /** Triage found no issue signal: the offline rules' summary was kept and no model read the session. */
  triaged?: boolean;
  /** The summary flags at least one blocking exception. */
  blocking?: boolean;
  /** Why it failed, or why it was skipped. */
  reason?: string;
  /** It failed on its own data (a file that cannot be read, an impossible replay range): a retry gives the same. */
  data_problem?: boolean;
}

/** A result a report can show: every `late` one has become one of these by assignment. */
export type FinishedSessionResult = SessionResult & { status: Exclude<SessionResult["status"], "late"> };

export function isFinished(result: SessionResult): result is FinishedSessionResult {
  return result.status !== "late";
}

/** Later results for a session replace earlier ones (a resumed run re-reports the same session). */
export function mergeSessionResults(current: SessionResult[], update: SessionResult[]): SessionResult[] {
  const byId = new Map(current.map((r) => [r.session_id, r]));
  for (const result of update) byId.set(result.session_id, result);
  return [...byId.values()];
}

/**
 * State of one session's run: keys and flags only. The loaded events and their encoding live in
 * the blob store under `input_key`; the summary under `summary_key`.
 */
export const SessionState = Annotation.Root({
  session_id: Annotation<string>(),
  focus_area: Annotation<string | undefined>(),
  /** The report run this session belongs to (from the `Send` payload): names its job when sessions run on a queue. */
  run_id: Annotation<string | undefined>(),
  /** What the run learned about the site across sessions (offline analyst only): from the `Send` payload. */
  learned_site: Annotation<LearnedSiteRef | undefined>(),
  /** Blob key of the loaded, encoded session (set by `load`). */
  input_key: Annotation<string | undefined>(),
  summary_key: Annotation<string | undefined>(),
  /** The summary flags key actions that validation checks against the replay (set by `summarize`). */
  needs_validation: Annotation<boolean | undefined>(),
  /** Set when the session cannot go on: the finished result. */
  result: Annotation<SessionResult | undefined>(),
  /** Shared with the report graph: each session adds its result. */
  session_results: Annotation<SessionResult[]>({ reducer: mergeSessionResults, default: () => [] }),
  usage: Annotation<Usage>({ reducer: addUsage, default: () => NO_USAGE }),
});
export type SessionStateType = typeof SessionState.State;
export type SessionStateUpdate = typeof SessionState.Update;

/** What a session run hands back to the report graph: only its result and its usage. */
export const SessionOutput = Annotation.Root({
  session_results: SessionState.spec.session_results,
  usage: SessionState.spec.usage,
});
