import type { AnalyticsEvent } from "../domain/events.ts";
import type { ChainElement } from "./elements-chain.ts";
import { hasElementDetails } from "./element-context.ts";
import { isNetworkOrAuthRelated, type ExceptionFacts } from "./exceptions.ts";

/**
 * Why an event does not become a row, with how each reason reads to a person looking at a skipped
 * session. An event is counted under the first reason that applies, in this order.
 */
const DROP_REASON_WORDS = {
  noise_event: "tracking noise (flag calls, heatmaps, web vitals, identity)",
  replay_cutoff: "at the very start or end of the replay",
  autocapture_without_element: "clicks without an element",
  contextless_custom_event: "one-word custom events",
  exception_not_actionable: "background errors",
} as const;
export type DropReason = keyof typeof DROP_REASON_WORDS;
/** The reasons in order (an object keeps its string keys in the order they were written). */
export const DROP_REASONS = Object.keys(DROP_REASON_WORDS) as readonly DropReason[];

/**
 * Events that never say anything about what the user did or met. Everything else a browser SDK
 * sends is kept (`$pageview`, `$pageleave`, `$autocapture`, `$rageclick`, `$dead_click`,
 * `$copy_autocapture`, `$screen`, survey events, custom product events with a descriptive name).
 */
export const NOISE_EVENTS: ReadonlySet<string> = new Set([
  "$feature_flag_called", // a flag evaluation, fired on every render that reads a flag
  "$feature_enrollment_update",
  "$$heatmap", // raw pointer coordinates; clicks already come as $autocapture
  "$web_vitals", // page performance numbers, not user actions
  "$set", // person property updates
  "$set_once",
  "$identify", // identity bookkeeping
  "$create_alias",
  "$merge_dangerously",
  "$groupidentify",
  "$opt_in", // consent bookkeeping
  "$snapshot", // recording data, read from the recording instead
  "$$client_ingestion_warning",
]);

/**
 * A custom event whose name is one bare word (`click`, `tick`, `heartbeat`) and that carries no
 * element detail says nothing the model can use. Spaces, dots, underscores, and also hyphens,
 * colons, slashes and camelCase humps make a name descriptive (`order completed`, `signup.done`,
 * `checkoutStarted`); `$` system events are judged by the rules above instead.
 */
export function isContextlessCustomEvent(name: string, elements: readonly ChainElement[]): boolean {
  if (name.startsWith("$")) return false;
  const isOneBareWord = /^[\p{L}\p{N}]+$/u.test(name) && !/\p{Ll}\p{Lu}/u.test(name);
  return isOneBareWord && !hasElementDetails(elements);
}

/**
 * The start and end cutoffs actually applied to a replay of `durationMs`: `cutoffMs`, but never more
 * than a quarter of the session. The cutoffs exist because a clip cannot show an event right at the
 * replay's edges, so an issue there could never be confirmed; but a session shorter than twice the
 * cutoffs (under 20 s with 5 s cutoffs) would lose most or all of its events to them, and an
 * unconfirmable event beats no event. A quarter keeps the middle half of a short session, leaves a
 * clip some lead-in on both sides, and shrinks smoothly (no cliff between a 19 s and a 21 s session);
 * sessions of four cutoffs or longer are unchanged.
 */
export function effectiveReplayCutoffMs(cutoffMs: number, durationMs: number): number {
  return Math.max(0, Math.min(cutoffMs, durationMs / 4));
}

/** The instants between which events are kept: the replay minus its (shrunk) cutoffs at each end. */
export function replayKeepWindow(replay: { startMs: number; endMs: number }, cutoffMs: number): { keepFromMs: number; keepUntilMs: number } {
  const cutoff = effectiveReplayCutoffMs(cutoffMs, replay.endMs - replay.startMs);
  return { keepFromMs: replay.startMs + cutoff, keepUntilMs: replay.endMs - cutoff };
}

export interface FilterContext {
  /** Events before this instant are too close to the replay start for a clip to show them. */
  keepFromMs: number;
  /** Events after this instant are too close to the replay end. */
  keepUntilMs: number;
  recurringExceptionMin: number;
  exceptionCountByFingerprint: ReadonlyMap<string, number>;
  /** Fingerprints of errors that came back each time the user retried the action that caused them. */
  retriedExceptionFingerprints: ReadonlySet<string>;
}

export interface FilterCandidate {
  event: AnalyticsEvent;
  timestampMs: number;
  elements: readonly ChainElement[];
  /** Present for `$exception` events. */
  exception?: ExceptionFacts;
}

export function dropReasonOf(candidate: FilterCandidate, context: FilterContext): DropReason | undefined {
  const name = candidate.event.event;
  if (NOISE_EVENTS.has(name)) return "noise_event";
  if (candidate.timestampMs < context.keepFromMs || candidate.timestampMs > context.keepUntilMs) return "replay_cutoff";
  if (name === "$autocapture" && candidate.elements.length === 0) return "autocapture_without_element";
  if (isContextlessCustomEvent(name, candidate.elements)) return "contextless_custom_event";
  if (candidate.exception && !isActionableException(candidate.exception, context)) return "exception_not_actionable";
  return undefined;
}

function isActionableException(facts: ExceptionFacts, context: FilterContext): boolean {
  const occurrences = context.exceptionCountByFingerprint.get(facts.fingerprint) ?? 0;
  return occurrences >= context.recurringExceptionMin || isNetworkOrAuthRelated(facts) || context.retriedExceptionFingerprints.has(facts.fingerprint);
}

/** DOM events of `$autocapture` that are a person acting (not the page changing). */
const USER_ACTION_TYPES = new Set(["click", "submit", "change"]);

/**
 * Errors the user ran into again and again: raised within `windowMs` of a click, submit or change
 * at least `minRetries` times. Background errors fire on their own and are not counted, so noise
 * stays dropped while a failing "Place order" that throws on every attempt is kept.
 */
export function retriedExceptionFingerprints(
  ordered: ReadonlyArray<{ event: AnalyticsEvent; timestampMs: number }>,
  exceptionByEvent: ReadonlyMap<AnalyticsEvent, ExceptionFacts>,
  windowMs: number,
  minRetries: number,
): Set<string> {
  const triggered = new Map<string, number>();
  let lastActionMs = Number.NEGATIVE_INFINITY;
  for (const { event, timestampMs } of ordered) {
    if ((event.event === "$autocapture" && USER_ACTION_TYPES.has(event.properties.$event_type ?? "")) || event.event === "$rageclick") {
      lastActionMs = timestampMs;
      continue;
    }
    const facts = exceptionByEvent.get(event);
    if (facts && timestampMs - lastActionMs <= windowMs) triggered.set(facts.fingerprint, (triggered.get(facts.fingerprint) ?? 0) + 1);
  }
  return new Set([...triggered].filter(([, count]) => count >= minRetries).map(([fingerprint]) => fingerprint));
}

export function countByFingerprint(exceptions: Iterable<ExceptionFacts>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const facts of exceptions) counts.set(facts.fingerprint, (counts.get(facts.fingerprint) ?? 0) + 1);
  return counts;
}

/**
 * Why a session has no row left, in words: `14 events: 9 tracking noise (...), 5 at the very start
 * or end of the replay`. Says what is wrong with the data, not which setting to change.
 */
export function describeDroppedEvents(stats: { inputEvents: number; duplicates: number; dropped: Record<DropReason, number> }): string {
  if (stats.inputEvents === 0) return "the session has no events";
  const parts = DROP_REASONS.filter((reason) => stats.dropped[reason] > 0).map((reason) => `${stats.dropped[reason]} ${DROP_REASON_WORDS[reason]}`);
  if (stats.duplicates > 0) parts.push(`${stats.duplicates} duplicates`);
  return `${stats.inputEvents} event${stats.inputEvents === 1 ? "" : "s"}: ${parts.join(", ")}`;
}
