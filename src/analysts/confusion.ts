import type { SessionContext } from "./context.ts";
import { eventWords } from "./event-kinds.ts";
import { explainedByBlockingEpisode, type FailureEpisode } from "./exceptions.ts";
import { isProgressEvent, isTypedField, type Moment } from "./timeline.ts";

/**
 * Signs the user was unsure what to do, each a separate finding:
 * - `repeated_failure`: the app answered the same kind of attempt with the same failure feedback
 *   (`coupon rejected`, `sign in failed`, `checkout validation failed`) at least
 *   `minRepeatedFailures` times in one page area, each within `repeatedFailureGapMs` of the previous.
 * - `dead_click`: a click that changed nothing (`$dead_click`), per control and area, and only
 *   when nothing answered it within `deadClickAnswerWithinMs`: no field changed (a change event,
 *   or an input in the recording: a `<select>`, radio pill or checkbox that worked), no new page,
 *   no DOM change in the recording. posthog-js flags such working controls too.
 * - `repeated_attempt`: the same forward control (a submit, or one named like "Continue", "Next",
 *   "Save") used `minRepeatedAttempts` times on one page, each within `repeatedAttemptGapMs` of
 *   the last, with nothing to show for it (no new page, no step, no goal) and no failure event
 *   to explain it: the app keeps refusing without saying so in its events ("complete all
 *   required fields"), and, when the recording has the clicks, its answer stopped changing (see
 *   `answerNeverChanged`). Not counted when a repeated_failure already tells the same attempts.
 * - `rage_click`: fast repeated clicks (`$rageclick`), per control and area.
 * - `back_and_forth`: pages A, B, A, B (exact paths) within `backAndForthWindowMs` with no step
 *   or conversion between.
 * Rage and dead clicks and failure events that are part of a blocking exception's story (same
 * area, within its evidence window) are not counted again as confusion: the exception explains them.
 */

export type ConfusionKind = "repeated_failure" | "repeated_attempt" | "dead_click" | "rage_click" | "back_and_forth";

export interface ConfusionFinding {
  kind: ConfusionKind;
  /** The moment the finding is about (the first attempt, the first dead/rage click, the return to page A). */
  anchor: Moment;
  /** Moments that make up the finding (failures, clicks, pageviews). */
  moments: Moment[];
  /** repeated_failure: the attempts on the control that got the failures (clicks/submits). */
  attempts: Moment[];
  /** repeated_failure: the failure event's name as the app reports it. */
  feedbackName?: string;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}

/** The click or submit that got this failure as its answer (a click wins over the submit it caused). */
function attemptBefore(context: SessionContext, failure: Moment): Moment | undefined {
  let submit: Moment | undefined;
  for (const other of context.before(failure, context.options.confusion.failureTriggerWindowMs)) {
    if (!context.sameWindow(other, failure) || other.page.area !== failure.page.area) continue;
    if (other.kind === "click") return other;
    if (other.kind === "submit" && !submit) submit = other;
  }
  return submit;
}

function repeatedFailures(context: SessionContext, episodes: readonly FailureEpisode[]): ConfusionFinding[] {
  const { minRepeatedFailures, repeatedFailureGapMs } = context.options.confusion;
  const failures = context.moments.filter((moment) => moment.customClass === "failure" && !explainedByBlockingEpisode(episodes, moment));
  const findings: ConfusionFinding[] = [];
  for (const group of groupBy(failures, (moment) => `${eventWords(moment.name)}|${moment.page.area}`).values()) {
    let run: Moment[] = [];
    const flush = (): void => {
      if (run.length >= minRepeatedFailures) findings.push(repeatedFailureFinding(context, run));
      run = [];
    };
    for (const moment of group) {
      const previous = run.at(-1);
      if (previous && moment.ms - previous.ms > repeatedFailureGapMs) flush();
      run.push(moment);
    }
    flush();
  }
  return findings;
}

function repeatedFailureFinding(context: SessionContext, failures: Moment[]): ConfusionFinding {
  const first = failures[0]!;
  const firstAttempt = attemptBefore(context, first);
  const controlKey = firstAttempt?.control?.key;
  // Every use of the same control from the first attempt until shortly after the last answer,
  // including a last attempt that got no answer at all.
  const untilMs = failures.at(-1)!.ms + context.options.confusion.repeatedFailureGapMs;
  const attempts = controlKey
    ? context
        .between(firstAttempt.ms - 1, untilMs)
        .filter(
          (moment) =>
            moment.kind === firstAttempt.kind && moment.control?.key === controlKey && moment.page.area === first.page.area && !context.between(failures.at(-1)!.ms, moment.ms).some(isProgressEvent),
        )
    : [];
  return {
    kind: "repeated_failure",
    anchor: firstAttempt ?? first,
    moments: failures,
    attempts,
    feedbackName: first.name,
  };
}

function clickBefore(context: SessionContext, moment: Moment): Moment | undefined {
  for (const other of context.before(moment, context.options.abandonment.choiceChangeWithinMs)) if (other.kind === "click") return other;
  return undefined;
}

/** Something answered the click: a field changed, a new page, or the recording shows the DOM change. */
function clickWasAnswered(context: SessionContext, click: Moment): boolean {
  const { deadClickAnswerWithinMs, deadClickRecordingSlackMs } = context.options.confusion;
  const { choiceChangeWithinMs } = context.options.abandonment;
  const recorded = context.recordedClick(click, deadClickRecordingSlackMs);
  if (recorded?.answeredAfterMs !== undefined && recorded.answeredAfterMs <= deadClickAnswerWithinMs) return true;
  return context.between(click.ms - deadClickRecordingSlackMs, click.ms + deadClickAnswerWithinMs).some(
    (moment) =>
      context.sameWindow(moment, click) &&
      // A text field fires its change when it loses focus, i.e. on any click elsewhere: not an answer.
      ((moment.kind === "change" && !isTypedField(moment, clickBefore(context, moment), choiceChangeWithinMs)) || (moment.kind === "pageview" && moment.page.path !== click.page.path)),
  );
}

/** A control meant to move the user on: a submit, or one named like it (`Continue`, `Save`). */
function isForwardControl(context: SessionContext, moment: Moment): boolean {
  const control = moment.control;
  if (!control) return false;
  if (control.inputType === "submit" || moment.kind === "submit") return true;
  return context.options.site.forwardControl.test(control.label);
}

/** The user moved on between two instants: a step, a goal, sign-in, or a new page in the same window. */
function movedOnBetween(context: SessionContext, from: Moment, toMs: number): boolean {
  return context.between(from.ms, toMs).some((moment) => isProgressEvent(moment) || (moment.kind === "pageview" && context.sameWindow(moment, from) && moment.page.path !== from.page.path));
}

/**
 * The page's answer to the attempts stopped changing: a repeated attempt that the recording shows
 * went unanswered (the same message already on screen). Attempts each answered with a change (a
 * "Saved" toast, the next page of a list) are the control working. Without the recorded clicks
 * the events alone decide.
 */
function answerNeverChanged(context: SessionContext, run: readonly Moment[]): boolean {
  const { deadClickAnswerWithinMs, deadClickRecordingSlackMs } = context.options.confusion;
  const recorded = run.slice(1).map((moment) => context.recordedClick(moment, deadClickRecordingSlackMs));
  if (recorded.every((click) => click === undefined)) return true;
  return recorded.some((click) => click !== undefined && (click.answeredAfterMs === undefined || click.answeredAfterMs > deadClickAnswerWithinMs));
}

function repeatedAttempts(context: SessionContext, episodes: readonly FailureEpisode[], told: ReadonlySet<Moment>): ConfusionFinding[] {
  const { minRepeatedAttempts, repeatedAttemptGapMs, minAttemptSpacingMs } = context.options.confusion;
  const { submitAfterClickMs } = context.options.abandonment;
  const attempts = context.moments.filter((moment) => {
    if ((moment.kind !== "click" && moment.kind !== "submit") || !isForwardControl(context, moment)) return false;
    // A submit sent by the click just before it is the same attempt.
    if (moment.kind === "submit" && [...context.before(moment, submitAfterClickMs)].some((other) => other.kind === "click")) return false;
    return !explainedByBlockingEpisode(episodes, moment);
  });
  const findings: ConfusionFinding[] = [];
  for (const group of groupBy(attempts, (moment) => `${moment.control?.key ?? ""}|${moment.page.area}`).values()) {
    let run: Moment[] = [];
    const flush = (): void => {
      if (run.length >= minRepeatedAttempts && !run.some((moment) => told.has(moment)) && answerNeverChanged(context, run)) {
        findings.push({ kind: "repeated_attempt", anchor: run[0]!, moments: run, attempts: run });
      }
      run = [];
    };
    for (const moment of group) {
      const previous = run.at(-1);
      // A burst of clicks (a double or rage click) is one attempt; rage clicks are told on their own.
      if (previous && moment.ms - previous.ms < minAttemptSpacingMs) continue;
      if (previous && (moment.ms - previous.ms > repeatedAttemptGapMs || movedOnBetween(context, previous, moment.ms))) flush();
      run.push(moment);
    }
    flush();
  }
  return findings;
}

function clickFindings(context: SessionContext, episodes: readonly FailureEpisode[], kind: "deadclick" | "rageclick"): ConfusionFinding[] {
  const clicks = context.moments.filter((moment) => moment.kind === kind && !explainedByBlockingEpisode(episodes, moment) && (kind !== "deadclick" || !clickWasAnswered(context, moment)));
  return [...groupBy(clicks, (moment) => `${moment.control?.key ?? ""}|${moment.page.area}`).values()].map((group) => ({
    kind: kind === "deadclick" ? "dead_click" : "rage_click",
    anchor: group[0]!,
    moments: group,
    attempts: [],
  }));
}

function backAndForth(context: SessionContext): ConfusionFinding[] {
  const { backAndForthWindowMs } = context.options.confusion;
  const findings: ConfusionFinding[] = [];
  for (const pageviews of groupBy(
    context.moments.filter((moment) => moment.kind === "pageview"),
    (moment) => moment.windowId ?? "",
  ).values()) {
    for (let i = 0; i + 3 < pageviews.length; i += 1) {
      const [a1, b1, a2, b2] = [pageviews[i]!, pageviews[i + 1]!, pageviews[i + 2]!, pageviews[i + 3]!];
      const alternates = a1.page.path === a2.page.path && b1.page.path === b2.page.path && a1.page.path !== b1.page.path;
      if (!alternates || b2.ms - a1.ms > backAndForthWindowMs) continue;
      if (context.between(a1.ms, b2.ms).some(isProgressEvent)) continue;
      findings.push({ kind: "back_and_forth", anchor: a2, moments: [a1, b1, a2, b2], attempts: [] });
      i += 3;
    }
  }
  return findings;
}

export function findConfusion(context: SessionContext, episodes: readonly FailureEpisode[]): ConfusionFinding[] {
  const failures = repeatedFailures(context, episodes);
  const told = new Set(failures.flatMap((finding) => [finding.anchor, ...finding.attempts]));
  return [...failures, ...repeatedAttempts(context, episodes, told), ...clickFindings(context, episodes, "deadclick"), ...clickFindings(context, episodes, "rageclick"), ...backAndForth(context)].sort(
    (a, b) => a.anchor.ms - b.anchor.ms,
  );
}
