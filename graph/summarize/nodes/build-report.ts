import { getWriter } from "@langchain/langgraph";
import { runCost } from "../../../src/runtime/cost.ts";
import { ReportSchema, type ItemFailure, type Report } from "../../../src/domain/report.ts";
import type { SessionSummary } from "../../../src/domain/summary.ts";
import { buildReportPatterns, resolveAssignments, shortfall } from "../../../src/patterns/index.ts";
import { computeOutcomes, presentPattern } from "../../../src/report/present.ts";
import { redactReport } from "../../../src/report/redact.ts";
import { blobKeys } from "../../../src/store/keys.ts";
import type { PipelineRuntime } from "../../../src/runtime/runtime.ts";
import { PipelineError } from "../../../src/runtime/errors.ts";
import type { SummarizeStateType, SummarizeStateUpdate } from "../state.ts";
import type { ProgressEvent } from "../../../src/domain/progress.ts";
import { loadSummaries, summaryRefs } from "./summaries.ts";

/**
 * The report, all in code: assignments resolved to flagged key actions, stats, examples and final
 * severities computed, failures listed; stored in the blob store, its key put in state.
 */
export function makeBuildReportNode(runtime: PipelineRuntime, now: () => Date = () => new Date()) {
  return async function buildReport(state: SummarizeStateType): Promise<SummarizeStateUpdate> {
    getWriter()?.({ kind: "stage", stage: "reporting" } satisfies ProgressEvent);
    const planned = state.assignment_chunks.length;
    const assigned = state.assigned.filter((c) => c.value !== undefined);
    const problem = planned === 0 ? undefined : shortfall("pattern assignment chunks", assigned.length, planned, runtime.settings.minChunkRatio);
    if (problem) {
      const errors = state.assigned.filter((c) => c.error).map((c) => `chunk ${c.index + 1}: ${c.error}`);
      throw new PipelineError("too_many_failed_chunks", `${problem}. ${errors.slice(0, 10).join("; ")}`);
    }

    const summarized = state.session_results.filter((r) => r.status === "summarized");
    const summarizedIds = state.session_ids.filter((id) => summarized.some((r) => r.session_id === id));
    const triagedOffline = summarized.filter((r) => r.triaged === true).map((r) => r.session_id);
    const summaries = await loadSummaries(runtime, summaryRefs(state.session_results, summarizedIds));
    const { evidence, skips } = resolveAssignments(
      state.assignment_chunks.map((sessionIds, index) => ({
        sessionIds,
        assignments: state.assigned.find((c) => c.index === index)?.value ?? [],
      })),
      summaries,
      new Set(state.patterns.map((p) => p.pattern_id)),
    );
    const { patterns, dropped } = buildReportPatterns(state.patterns, evidence, summaries, summarizedIds.length, {
      minSessions: state.min_pattern_sessions ?? runtime.settings.minPatternSessions,
    });

    const chunkFailures: ItemFailure[] = [
      ...state.extracted.filter((c) => c.error).map((c) => ({ id: c.index >= 0 ? `extraction chunk ${c.index + 1}` : "summary left out", stage: "extract", error: c.error! })),
      ...state.assigned.filter((c) => c.error).map((c) => ({ id: `assignment chunk ${c.index + 1}`, stage: "assign", error: c.error! })),
    ];
    const built: Report = ReportSchema.parse({
      id: state.report_id,
      title: state.title,
      ...(state.focus_area ? { focus_area: state.focus_area } : {}),
      created_at: now().toISOString(),
      analyst: runtime.analyst.label,
      models: runtime.analyst.models,
      ...(state.learned_site ? { learned_site: state.learned_site.hash } : {}),
      sessions: {
        requested: state.session_ids.length,
        summarized: summarizedIds,
        failed: state.session_results.filter((r) => r.status === "failed").map((r) => ({ id: r.session_id, stage: "summarize", error: r.reason ?? "unknown error" })),
        skipped: state.session_results.filter((r) => r.status === "skipped").map((r) => ({ id: r.session_id, reason: r.reason ?? "" })),
        ...(triagedOffline.length > 0 ? { triaged_offline: triagedOffline } : {}),
      },
      outcomes: computeOutcomes(summarizedIds.flatMap((id) => summaries.get(id) ?? [])),
      patterns: patterns.map(presentPattern),
      chunk_failures: chunkFailures,
      dropped_patterns: dropped,
      assignment_skips: {
        unknown: skips.unknown,
        ambiguous: skips.ambiguous,
        unflagged: skips.unflagged,
        non_blocking_only: skips.nonBlockingOnly,
        unknown_pattern: skips.unknownPattern,
      },
      usage: state.usage,
      cost: runCost(runtime, state.usage),
      ...(runtime.validation ? { validation: { method: runtime.validation.validator.method, mode: runtime.validation.mode, ...countChecks(summaries.values()) } } : {}),
    });
    // Redacted here, once: report.json/md/html, the page and the API all read this object.
    const report = redactReport(built, runtime.settings.redactPii ?? true);
    const key = blobKeys.report(runtime.project, state.report_id);
    await runtime.blobs.putJson(key, report);
    getWriter()?.({ kind: "report_ready", report_key: key, patterns: patterns.length } satisfies ProgressEvent);
    return { report_key: key };
  };
}

/** How the report's flagged issues fared against the replay: a failed check is counted apart from its (inconclusive) verdict. */
export function countChecks(summaries: Iterable<Pick<SessionSummary, "visual_checks">>) {
  const counts = { checked: 0, confirmed: 0, not_confirmed: 0, inconclusive: 0, failed: 0 };
  for (const summary of summaries) {
    for (const check of summary.visual_checks ?? []) {
      counts.checked += 1;
      if (check.error) counts.failed += 1;
      else counts[check.verdict] += 1;
    }
  }
  return counts;
}
