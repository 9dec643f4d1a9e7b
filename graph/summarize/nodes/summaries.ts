import { SessionSummarySchema, type SessionSummary } from "../../../src/domain/summary.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import type { SessionResult } from "../../session/state.ts";
import { PipelineError } from "../../../src/runtime/errors.ts";

/** Session ids with their summaries' blob keys, in the order given. */
export function summaryRefs(results: readonly SessionResult[], sessionIds: readonly string[]): Array<{ session_id: string; summary_key: string }> {
  const keyById = new Map(results.filter((r) => r.summary_key).map((r) => [r.session_id, r.summary_key!]));
  return sessionIds.map((id) => {
    const key = keyById.get(id);
    if (!key) throw new PipelineError("summary_missing", `session ${id} has no stored summary`);
    return { session_id: id, summary_key: key };
  });
}

/** The stored summaries, by session id; a summary that vanished from the store is an error. */
export async function loadSummaries(runtime: PipelineRuntime, refs: ReadonlyArray<{ session_id: string; summary_key: string }>): Promise<Map<string, SessionSummary>> {
  const summaries = new Map<string, SessionSummary>();
  for (const { session_id, summary_key } of refs) {
    const summary = await runtime.blobs.getJson(summary_key, SessionSummarySchema);
    if (!summary) {
      throw new PipelineError("summary_missing", `the summary of session ${session_id} is missing from ${runtime.blobs.description} (was the blob store cleared or expired?)`);
    }
    summaries.set(session_id, summary);
  }
  return summaries;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
