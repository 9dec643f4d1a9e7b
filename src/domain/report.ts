import { z } from "zod";
import { AnalystSchema, KeyActionSchema, VisualCheckSchema } from "./summary.ts";
import { CHECKING_VALIDATION_MODES } from "./validation-mode.ts";

/**
 * Patterns and reports. As with summaries, the model writes only the `Raw*` parts (names,
 * descriptions, severities, indicators, and which flagged events belong to which pattern); examples,
 * stats and final severity are computed in code.
 */

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

/** The one severity order: 0 for `low` up to 3 for `critical` (higher is more severe). */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Sorts the most severe first: negative when `a` is more severe than `b`. */
export function compareSeverity(a: Severity, b: Severity): number {
  return severityRank(b) - severityRank(a);
}

/** The severities as readers scan them, the most severe first (the report page's filters). */
export const SEVERITIES_MOST_SEVERE_FIRST: readonly Severity[] = [...SEVERITIES].sort(compareSeverity);

export const RawPatternSchema = z.object({
  pattern_id: z.coerce.number().int().min(1),
  pattern_name: z.string().trim().min(1).max(120),
  pattern_description: z.string().trim().min(1).max(1024),
  severity: SeveritySchema,
  indicators: z.array(z.string().trim().min(1).max(300)).min(1).max(8),
  /**
   * The offline analyst's matching key (its issue signature), so its assignment finds the pattern's
   * events exactly. Bookkeeping: never shown, never in a prompt (models match by words).
   */
  match_key: z.string().min(1).max(300).optional(),
});
export type RawPattern = z.infer<typeof RawPatternSchema>;

export const RawPatternListSchema = z.object({ patterns: z.array(RawPatternSchema) });

export const RawAssignmentSchema = z.object({
  pattern_id: z.coerce.number().int().min(1),
  event_ids: z.array(z.coerce.string().trim().toLowerCase()),
});
export const RawAssignmentListSchema = z.object({ patterns: z.array(RawAssignmentSchema) });
export type RawAssignment = z.infer<typeof RawAssignmentSchema>;

/** One example of a pattern: a flagged key action with its segment around it. */
export const PatternExampleSchema = z.object({
  session_id: z.string(),
  distinct_id: z.string().optional(),
  session_start: z.string(),
  session_duration_s: z.number(),
  segment_index: z.number().int(),
  segment_name: z.string(),
  segment_outcome: z.string(),
  segment_success: z.boolean(),
  target: KeyActionSchema,
  /** Up to 3 key actions of the same segment before the target, and after it. */
  before: z.array(KeyActionSchema),
  after: z.array(KeyActionSchema),
  /** The replay check of the target, when one was made (the clip's key, the verdict and its evidence). */
  validation: VisualCheckSchema.omit({ event_id: true, frames_hash: true, blocked_requests: true }).optional(),
});
export type PatternExample = z.infer<typeof PatternExampleSchema>;

export const PatternStatsSchema = z.object({
  occurrences: z.number().int().nonnegative(),
  sessions_affected: z.number().int().nonnegative(),
  /** sessions_affected / sessions that reached pattern assignment, 2 decimals. */
  sessions_affected_ratio: z.number().min(0).max(1),
  /** Share of the affected segments that still succeeded, 2 decimals. */
  segments_success_ratio: z.number().min(0).max(1),
  /** Distinct users (distinct ids; a session without one counts as its own user) among the affected sessions. */
  users_affected: z.number().int().nonnegative().optional(),
  /** What the problem led to, counted on the problem instead of being reported as patterns of their own. */
  consequences: z
    .object({
      /** Affected sessions whose user gave up after the problem. */
      sessions_abandoned: z.number().int().nonnegative(),
      /** Affected sessions whose user tried again (retries, rage clicks) after the problem. */
      sessions_retried: z.number().int().nonnegative(),
      /** Repeated attempts after the problem, over all affected sessions. */
      retries: z.number().int().nonnegative(),
    })
    .optional(),
});
export type PatternStats = z.infer<typeof PatternStatsSchema>;

export const ReportPatternSchema = z.object({
  /** Stable within a report: 1..n in report order. */
  id: z.number().int().min(1),
  /** URL-fragment-safe key, e.g. `checkout-place-order-fails`. */
  slug: z.string(),
  name: z.string(),
  description: z.string(),
  severity: SeveritySchema,
  /** The severity the analyst proposed, when code changed it, and why. */
  severity_adjustment: z.object({ from: SeveritySchema, reason: z.string() }).optional(),
  indicators: z.array(z.string()),
  stats: PatternStatsSchema,
  examples: z.array(PatternExampleSchema),
});
export type ReportPattern = z.infer<typeof ReportPatternSchema>;

export const ItemFailureSchema = z.object({ id: z.string(), stage: z.string(), error: z.string() });
export type ItemFailure = z.infer<typeof ItemFailureSchema>;

/** An object of non-negative integer counts, one per key, in the keys' order. */
function countsSchema<const K extends string>(keys: readonly K[]) {
  return z.object(Object.fromEntries(keys.map((key) => [key, z.number().int().nonnegative()])) as Record<K, z.ZodNumber>);
}

export const ReportSchema = z.object({
  id: z.string(),
  title: z.string(),
  focus_area: z.string().optional(),
  created_at: z.string(),
  analyst: AnalystSchema,
  models: z.record(z.string(), z.string()),
  /** Hash of what the offline analyst learned about the site across the sessions before summarizing them: part of their summaries' cache keys. */
  learned_site: z.string().optional(),
  sessions: z.object({
    requested: z.number().int().nonnegative(),
    summarized: z.array(z.string()),
    /** Sessions that could not be summarized (counted against the 50% threshold). */
    failed: z.array(ItemFailureSchema),
    /** Sessions left out on purpose (too short, no events): not failures. */
    skipped: z.array(z.object({ id: z.string(), reason: z.string() })),
    /** Summarized sessions triage found no issue signal in: the offline rules summarized them, no model read them. */
    triaged_offline: z.array(z.string()).optional(),
  }),
  /**
   * The users' outcomes over the analysed sessions (from each session's outcome): what a reader asks
   * first. Apart from `sessions.failed`, which counts the tool's own failures.
   */
  outcomes: z
    .object({
      sessions: z.number().int().nonnegative(),
      succeeded: z.number().int().nonnegative(),
      /** An error stopped the user (a blocking exception in the session). */
      failed: z.number().int().nonnegative(),
      /** The user left without reaching the goal and without an error stopping them. */
      gave_up: z.number().int().nonnegative(),
    })
    .optional(),
  patterns: z.array(ReportPatternSchema),
  /** Pattern-stage chunks that failed (extraction, assignment), counted against the 75% threshold. */
  chunk_failures: z.array(ItemFailureSchema),
  /** Patterns the analyst proposed that the report leaves out, and why (too few sessions, low severity). */
  dropped_patterns: z.array(z.object({ name: z.string(), reason: z.string() })).default([]),
  /** Event ids the analyst assigned to patterns that could not be used, by reason. */
  assignment_skips: countsSchema(["unknown", "ambiguous", "unflagged", "non_blocking_only", "unknown_pattern"]).optional(),
  /** `hedged_calls`: duplicates of slow calls, already counted in `model_calls`; absent when there were none. */
  usage: countsSchema(["model_calls", "input_tokens", "output_tokens"]).extend({ hedged_calls: z.number().int().nonnegative().optional() }),
  /** What the usage cost at the price table of the run (the offline analyst: 0, `offline`). */
  cost: z
    .object({
      usd: z.number().nonnegative(),
      offline: z.boolean(),
      /** Models without a price: counted as $0, so the figure is too low. */
      unpriced_models: z.array(z.string()),
      /** Roles with different models and usage known only in total: priced at the dearest (an upper bound). */
      approximate: z.boolean(),
    })
    .optional(),
  /** Flagged issues checked against the replay (absent when validation was off). */
  validation: z
    .object({
      /** `dom` (offline) or `vision <provider:model>`. */
      method: z.string(),
      mode: z.enum(CHECKING_VALIDATION_MODES),
      ...countsSchema(["checked", "confirmed", "not_confirmed", "inconclusive", "failed"]).shape,
    })
    .optional(),
});
export type Report = z.infer<typeof ReportSchema>;
