import type { TriageMode } from "../domain/triage.ts";
import type { StragglerWatch } from "./stragglers.ts";
import type { PriceTable } from "../watch/budget.ts";
import type { QueueClient } from "../queue/client.ts";
import type { SessionSummary } from "../domain/summary.ts";
import type { SessionSource } from "../sources/types.ts";
import type { BlobStore } from "../store/blob-store.ts";
import type { SummaryCache } from "../store/summary-cache.ts";
import type { ClipRenderer } from "../render/renderer.ts";
import type { CheckingValidationMode } from "../domain/validation-mode.ts";
import type { PipelineAnalyst } from "../llm/analyst.ts";
import type { ClipValidator } from "../llm/clip-validators.ts";

/** Tunables of a report run. Defaults live in src/config/defaults.ts (`DEFAULTS.pipeline`). */
export interface PipelineSettings {
  /** Sessions shorter than this show nothing to analyse: skipped, not failed. */
  minSessionDurationMs: number;
  /** The report continues only if at least this share of the session summaries succeeded. */
  minSummaryRatio: number;
  /** ... and at least this share of the pattern extraction and assignment chunks. */
  minChunkRatio: number;
  /** A summary citing more unknown event ids than this share is rejected as hallucinated (and retried once). */
  maxUnknownIdRatio: number;
  extractionMaxTokens: number;
  assignmentMaxTokens: number;
  /** One summary larger than this cannot be sent in any pattern prompt. */
  singleItemMaxTokens: number;
  /** A pattern needs evidence from at least this many sessions. */
  minPatternSessions: number;
  /** Triage before any model call (`src/domain/triage.ts`); it matters only when a model summarizes sessions. Absent: off. */
  triage?: TriageMode;
  /**
   * With hedging on: the gather step goes on once `readyRatio` of the sessions are done and the rest
   * have run `graceMs` longer than the p90 of the finished ones; their summaries join assignment.
   * Absent: gather waits for every session.
   */
  earlyGather?: { readyRatio: number; graceMs: number };
  /**
   * Sessions in flight at once when the caller sets none (the run's LangGraph `maxConcurrency`):
   * higher when a model summarizes with batching or hedging, whose batches and percentiles need many
   * sessions waiting together.
   */
  sessionConcurrency?: number;
  /** Redact PII and secrets in what the run writes (report, page), like in prompts (`SESSION_SUMMARIES_REDACT_PII`); absent = on. */
  redactPii?: boolean;
}

/**
 * Everything a run needs besides its state: where sessions come from, where payloads go, who labels.
 * Passed to the graph builders (closures), never into state or checkpoints.
 */
export interface PipelineRuntime {
  /** Every blob key, summary and report is scoped by it. */
  project: string;
  source: SessionSource;
  blobs: BlobStore;
  summaries: SummaryCache<SessionSummary>;
  analyst: PipelineAnalyst;
  settings: PipelineSettings;
  /** Checking flagged issues against the replay; absent when validation is off. */
  validation?: ValidationRuntime;
  /** Prices of the models (USD per 1M tokens) for the cost on reports and sweeps; default `DEFAULT_PRICES`. */
  prices?: PriceTable;
  /**
   * With a queue (`SESSION_SUMMARIES_QUEUE`), the report graph's per-session branches are jobs on its
   * `sessions` queue, run by workers; absent, they run in this process. Never set on a worker's own runtime.
   */
  sessionQueue?: QueueClient;
  /** With `settings.earlyGather`: lets a run's last stragglers go so its gather need not wait for them. */
  stragglers?: StragglerWatch;
}

/** What the session graph's `validate` node uses. */
export interface ValidationRuntime {
  mode: CheckingValidationMode;
  validator: ClipValidator;
  /** Starts Chromium on the first clip only. */
  renderer: ClipRenderer;
  clip: { beforeEventMs: number; lengthMs: number };
}
