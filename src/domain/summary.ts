import { z } from "zod";

/**
 * A session summary in two layers. The `Raw*` schemas are exactly what an analyst (a model, or the
 * offline analyst) writes: segments with their key actions and outcomes, citing events only by
 * their 8-hex `event_id`. Everything factual about an event (time, URL, uuid) is then re-attached
 * in code from the encoding's id map (`SessionSummary`): the model never echoes event data.
 */

export const EVENT_ID_PATTERN = /^[0-9a-f]{8}$/;
const eventId = z.string().trim().toLowerCase().regex(EVENT_ID_PATTERN, "event_id must be 8 hex characters");

export const ExceptionKindSchema = z.enum(["blocking", "non-blocking"]);
export type ExceptionKind = z.infer<typeof ExceptionKindSchema>;

/** The issue kinds a key action can carry; one action may carry several. */
export const ISSUE_KINDS = ["blocking_exception", "non_blocking_exception", "confusion", "abandonment", "slow_page"] as const;
export type IssueKind = (typeof ISSUE_KINDS)[number];

export const RawKeyActionSchema = z.object({
  event_id: eventId,
  description: z.string().trim().min(1).max(1024),
  /** The user gave up on what they were doing here. */
  abandonment: z.boolean().default(false),
  /** The user was visibly unsure: repeated attempts, back-and-forth, dead or rage clicks. */
  confusion: z.boolean().default(false),
  /** An error here: `blocking` if it stopped the user, `non-blocking` if they carried on. */
  exception: ExceptionKindSchema.nullable().default(null),
  /**
   * The page or action took long to respond (a spinner, or nothing new on screen) and the user
   * waited or left. Optional so summaries written before it existed stay valid; absent means false.
   */
  slow: z.boolean().optional(),
});
export type RawKeyAction = z.infer<typeof RawKeyActionSchema>;

export const OutcomeSchema = z.object({
  success: z.boolean(),
  summary: z.string().trim().min(1).max(1024),
});
export type Outcome = z.infer<typeof OutcomeSchema>;

export const RawSegmentSchema = z.object({
  name: z.string().trim().min(1).max(256),
  start_event_id: eventId,
  end_event_id: eventId,
  key_actions: z.array(RawKeyActionSchema).default([]),
  outcome: OutcomeSchema,
});
export type RawSegment = z.infer<typeof RawSegmentSchema>;

export const RawSessionSummarySchema = z.object({
  segments: z.array(RawSegmentSchema).min(1),
  session_outcome: OutcomeSchema,
});
export type RawSessionSummary = z.infer<typeof RawSessionSummarySchema>;

/** The real event behind a cited id, re-attached in code. */
export const EventFactsSchema = z.object({
  event_uuid: z.string(),
  event: z.string(),
  timestamp: z.string(),
  /** Milliseconds since the replay started. */
  ms_since_start: z.number(),
  /** Position among the session's events ordered by time. */
  event_index: z.number().int().nonnegative(),
  window_id: z.string().optional(),
  current_url: z.string().optional(),
});
export type EventFacts = z.infer<typeof EventFactsSchema>;

export const KeyActionSchema = RawKeyActionSchema.extend({
  ...EventFactsSchema.shape,
  /** Set once this action was checked against the replay: the check, clip and evidence. */
  visual_confirmation: z.lazy(() => VisualCheckSchema.omit({ event_id: true })).optional(),
});
export type KeyAction = z.infer<typeof KeyActionSchema>;

/** Counts computed in code from a segment's key actions and events. */
export const SegmentStatsSchema = z.object({
  duration_s: z.number().nonnegative(),
  /** Share of the session's duration, 0..1. */
  duration_ratio: z.number().min(0).max(1),
  key_action_count: z.number().int().nonnegative(),
  failure_count: z.number().int().nonnegative(),
  exception_count: z.number().int().nonnegative(),
  confusion_count: z.number().int().nonnegative(),
  abandonment_count: z.number().int().nonnegative(),
});

export const SegmentSchema = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  start_event_id: z.string(),
  end_event_id: z.string(),
  start: z.string(),
  end: z.string(),
  key_actions: z.array(KeyActionSchema),
  outcome: OutcomeSchema,
  stats: SegmentStatsSchema,
});
export type Segment = z.infer<typeof SegmentSchema>;

/** What checking an issue against the replay concluded (issue: seeing what the user saw). */
export const ValidationVerdictSchema = z.enum(["confirmed", "not_confirmed", "inconclusive"]);
export type ValidationVerdict = z.infer<typeof ValidationVerdictSchema>;

/** Content the replay shows blank, by kind, with a sentence a reader understands. */
export const UnreplayableContentSchema = z.object({
  /** `canvas`: a canvas (2D or WebGL) whose drawing the recording did not keep. */
  kind: z.enum(["canvas"]),
  /** How many such elements the clip's page has. */
  elements: z.number().int().positive(),
  note: z.string(),
});
export type UnreplayableContent = z.infer<typeof UnreplayableContentSchema>;

/**
 * One flagged key action checked against the replay. A check that could not be made (no
 * recording, a corrupt one, no full snapshot, the clip past the end, no browser) has `error` and
 * verdict `inconclusive`: the key action keeps its unvalidated flags.
 */
export const VisualCheckSchema = z.object({
  event_id: z.string(),
  verdict: ValidationVerdictSchema,
  /** How it was checked: `dom` (the offline validator) or `vision <provider:model>`. */
  method: z.string(),
  /** What the screen showed, in a sentence or two. */
  observed: z.string().optional(),
  /** Quoted, timed observations (on-screen error text, clicks that changed nothing, navigation). */
  evidence: z.array(z.string()),
  /** Blob key of the rendered clip (H.264 MP4), when one was made. */
  clip_key: z.string().optional(),
  clip_start: z.string().optional(),
  clip_end: z.string().optional(),
  /** SHA-256 over the clip's frames: equal for identical renders. */
  frames_hash: z.string().optional(),
  /** How many times faster than real time the clip was encoded (the page's speed control counts from it). */
  clip_speed: z.number().positive().optional(),
  /** Distinct URLs of the recorded page the replay sandbox refused (each counted once, however often the replay asked). */
  blocked_requests: z.number().int().nonnegative().optional(),
  /** Frames of the clip, and how many of them differ from the frame before (the cursor left out). */
  frames: z.number().int().nonnegative().optional(),
  frames_changed: z.number().int().nonnegative().optional(),
  /**
   * Content of the recorded page the replay cannot show (it runs no scripts): e.g. a canvas whose
   * drawing was not recorded replays blank. A click on it may have changed what the user saw.
   */
  unreplayable: z.array(UnreplayableContentSchema).optional(),
  /** What changed in the summary because of the verdict, e.g. `exception: blocking → non-blocking`. */
  changes: z.array(z.string()).default([]),
  error: z.string().optional(),
});
export type VisualCheck = z.infer<typeof VisualCheckSchema>;

/** Which analyst wrote a summary or report: the offline rules, or a model. */
export const AnalystSchema = z.object({
  kind: z.enum(["heuristic", "model"]),
  /** `provider:model` per role, for reports; `offline analyst` for the heuristic one. */
  label: z.string(),
});
export type Analyst = z.infer<typeof AnalystSchema>;

export const SessionSummarySchema = z.object({
  session_id: z.string(),
  distinct_id: z.string().optional(),
  start: z.string(),
  duration_s: z.number().nonnegative(),
  first_url: z.string().optional(),
  segments: z.array(SegmentSchema).min(1),
  session_outcome: OutcomeSchema,
  focus_area: z.string().optional(),
  analyst: AnalystSchema,
  /** Present once blocking issues were checked against the replay. */
  visual_checks: z.array(VisualCheckSchema).optional(),
});
export type SessionSummary = z.infer<typeof SessionSummarySchema>;

/** The issue kinds a key action carries. */
export function issueKindsOf(action: Pick<RawKeyAction, "exception" | "confusion" | "abandonment"> & { slow?: boolean }): IssueKind[] {
  const kinds: IssueKind[] = [];
  if (action.exception === "blocking") kinds.push("blocking_exception");
  if (action.exception === "non-blocking") kinds.push("non_blocking_exception");
  if (action.confusion) kinds.push("confusion");
  if (action.abandonment) kinds.push("abandonment");
  if (action.slow) kinds.push("slow_page");
  return kinds;
}

/** Every key action of a summary, with its segment. */
export function keyActionsOf(summary: Pick<SessionSummary, "segments">): Array<{ segment: Segment; action: KeyAction }> {
  return summary.segments.flatMap((segment) => segment.key_actions.map((action) => ({ segment, action })));
}
