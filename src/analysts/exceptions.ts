import type { ExceptionKind } from "../domain/summary.ts";
import type { PageArea } from "./areas.ts";
import type { SessionContext } from "./context.ts";
import type { FailureFacts } from "./event-kinds.ts";
import { isTriggerAction, type Moment } from "./timeline.ts";

/**
 * Blocking or not is judged from what follows an exception, never from the error itself.
 *
 * Occurrences of the same failure (`FailureFacts.key`: exceptions, and custom server-error events)
 * are grouped into episodes: one page area, no progress between occurrences, at most
 * `consequenceWindowMs` apart. Each occurrence has a trigger: the click/submit/change just before
 * it (`userTriggerWindowMs`), else the page load just before it (`loadTriggerWindowMs`), else none.
 *
 * An episode is **non-blocking** when the action that triggered it went through anyway (a
 * conversion or step within `actionSuccessWindowMs`, or the click navigated as meant). Otherwise
 * it is **blocking** when
 * - the user tried again and it failed again: the same failure right after another user action in
 *   the same area (same control, "Try again", a resubmitted search), or
 * - a user-triggered failure is followed by rage or dead clicks in the same area before any progress, or
 * - the app showed a failure (`search failed`, `error: true`) and no progress followed within
 *   `consequenceWindowMs`, or
 * - a user-triggered failure is followed by no progress until the session ends, within
 *   `leaveWindowMs`, before the user had converted.
 * Anything else is non-blocking: when in doubt, do not cry wolf.
 *
 * **Noise:** a failure that recurs in `noiseMinAreas` or more page areas, with progress between,
 * and that was never retried nor met with rage/dead clicks, is background noise (ResizeObserver
 * loops, third-party widgets): every episode of it is non-blocking, reported once.
 */

export type TriggerKind = "user" | "load" | "background";

/**
 * posthog-js stamps a `$dead_click` (and a `$rageclick`) with the time of its click, a few ms
 * before the click's own `$autocapture`: evidence windows start this much before the trigger.
 */
const CLICK_CLOCK_SLACK_MS = 1_000;

export interface FailureEpisode {
  failure: FailureFacts;
  occurrences: Moment[];
  area: PageArea;
  triggerKind: TriggerKind;
  /** The click/submit/change that caused the first occurrence. */
  trigger?: Moment;
  verdict: ExceptionKind;
  /** Occurrences after the first that followed another user attempt in the same area. */
  retries: number;
  rageClicks: Moment[];
  deadClicks: Moment[];
  /** The app's own failure event shown with it (e.g. `products searched` with `error: true`). */
  feedback?: Moment;
  /** What showed the user carried on, for non-blocking ones. */
  progress?: Moment;
  /** The session ended without progress soon after. */
  leftAfter: boolean;
  /** Part of a failure that recurs across page areas while the user carries on. */
  noise: boolean;
  /** Page areas the failure occurred in (noise only: all of them). */
  areas: string[];
  /** Rage/dead clicks and failure events in this window (same area) are explained by this episode. */
  explainsUntilMs: number;
}

interface Occurrence {
  moment: Moment;
  triggerKind: TriggerKind;
  trigger?: Moment;
}

function occurrenceOf(context: SessionContext, moment: Moment): Occurrence {
  const { userTriggerWindowMs, loadTriggerWindowMs } = context.options.exceptions;
  const action = context.triggerActionBefore(moment, userTriggerWindowMs);
  const load = context.pageviewBefore(moment, loadTriggerWindowMs);
  if (action && (!load || action.ms >= load.ms)) return { moment, triggerKind: "user", trigger: action };
  if (load) return { moment, triggerKind: "load", trigger: load };
  return { moment, triggerKind: "background" };
}

/** Whether this occurrence came right after the user tried again in the same area. */
function isRetry(context: SessionContext, occurrence: Occurrence, area: PageArea): boolean {
  const trigger = occurrence.trigger;
  if (!trigger) return false;
  if (occurrence.triggerKind === "user") return trigger.page.area === area.area;
  // A reload of the same path right after an action there: a resubmitted search, a refresh button.
  if (trigger.page.path !== area.path) return false;
  const cause = context.triggerActionBefore(trigger, context.options.exceptions.navigationWindowMs);
  return cause !== undefined && cause.page.area === area.area;
}

function splitIntoEpisodes(context: SessionContext, occurrences: Occurrence[]): Occurrence[][] {
  const { consequenceWindowMs } = context.options.exceptions;
  const episodes: Occurrence[][] = [];
  let current: Occurrence[] = [];
  for (const occurrence of occurrences) {
    const first = current[0];
    const last = current.at(-1);
    const continues =
      first !== undefined &&
      last !== undefined &&
      occurrence.moment.page.area === first.moment.page.area &&
      occurrence.moment.ms - last.moment.ms <= consequenceWindowMs &&
      !context.firstProgress(last.moment.ms, occurrence.moment.ms, first.moment.page, first.moment);
    if (continues) {
      current.push(occurrence);
    } else {
      if (current.length > 0) episodes.push(current);
      current = [occurrence];
    }
  }
  if (current.length > 0) episodes.push(current);
  return episodes;
}

/**
 * Whether the triggering action visibly went through: a step or conversion soon after, or the
 * navigation it asked for, before the user did anything else (else it answers the next action).
 */
function actionWentThrough(context: SessionContext, trigger: Moment): Moment | undefined {
  const { actionSuccessWindowMs, navigationWindowMs } = context.options.exceptions;
  const after = context.between(trigger.ms, trigger.ms + actionSuccessWindowMs);
  const nextAction = after.find((moment) => moment !== trigger && isTriggerAction(moment) && context.sameWindow(moment, trigger) && moment.ms > trigger.ms);
  const answers = after.filter((moment) => !nextAction || moment.ms <= nextAction.ms);
  const success = answers.find((moment) => moment.customClass === "conversion" || moment.customClass === "step");
  if (success) return success;
  if (!trigger.control?.navigates) return undefined;
  return answers.find((moment) => moment.kind === "pageview" && moment.ms - trigger.ms <= navigationWindowMs && context.sameWindow(moment, trigger) && moment.page.path !== trigger.page.path);
}

function judgeEpisode(context: SessionContext, occurrences: Occurrence[]): FailureEpisode {
  const options = context.options.exceptions;
  const first = occurrences[0]!;
  const last = occurrences.at(-1)!;
  const area = first.moment.page;
  const userTriggered = first.triggerKind === "user";
  const retries = occurrences.slice(1).filter((occurrence) => isRetry(context, occurrence, area)).length;

  const progress = context.firstProgress(last.moment.ms, last.moment.ms + options.consequenceWindowMs, area, first.moment);
  const progressAnywhereAfter = context.firstProgress(first.moment.ms, context.endMs, area, first.moment);
  const evidenceFromMs = (first.trigger && userTriggered ? first.trigger.ms : first.moment.ms) - CLICK_CLOCK_SLACK_MS;
  const evidenceUntilMs = Math.min(progress?.ms ?? Number.POSITIVE_INFINITY, last.moment.ms + options.consequenceWindowMs);
  const nearby = context.between(evidenceFromMs, evidenceUntilMs).filter((moment) => moment.page.area === area.area && context.sameWindow(moment, first.moment));
  const rageClicks = nearby.filter((moment) => moment.kind === "rageclick");
  const deadClicks = nearby.filter((moment) => moment.kind === "deadclick");
  const feedback = occurrences
    .flatMap((occurrence) => context.between(occurrence.moment.ms - options.feedbackBeforeMs, occurrence.moment.ms + options.feedbackWindowMs))
    .find((moment) => moment.customClass === "failure" && context.sameWindow(moment, first.moment));
  const convertedBefore = context.moments.some((moment) => moment.customClass === "conversion" && moment.ms <= first.moment.ms);
  const leftAfter = !progressAnywhereAfter && !convertedBefore && context.endMs - last.moment.ms <= options.leaveWindowMs;

  const wentThrough = userTriggered && first.trigger ? actionWentThrough(context, first.trigger) : undefined;
  let verdict: ExceptionKind = "non-blocking";
  if (wentThrough) verdict = "non-blocking";
  else if (retries > 0) verdict = "blocking";
  else if (userTriggered && rageClicks.length + deadClicks.length > 0) verdict = "blocking";
  else if (feedback && !progress) verdict = "blocking";
  else if (userTriggered && leftAfter) verdict = "blocking";

  return {
    failure: first.moment.failure!,
    occurrences: occurrences.map((occurrence) => occurrence.moment),
    area,
    triggerKind: first.triggerKind,
    ...(first.trigger && first.triggerKind === "user" ? { trigger: first.trigger } : {}),
    verdict,
    retries,
    rageClicks: userTriggered || retries > 0 ? rageClicks : [],
    deadClicks: userTriggered || retries > 0 ? deadClicks : [],
    ...(feedback ? { feedback } : {}),
    ...((wentThrough ?? progress) ? { progress: wentThrough ?? progress } : {}),
    leftAfter,
    noise: false,
    areas: [area.area],
    explainsUntilMs: evidenceUntilMs,
  };
}

/** Every failure episode of the session, judged, in time order. */
export function judgeFailures(context: SessionContext): FailureEpisode[] {
  const byKey = new Map<string, Occurrence[]>();
  for (const moment of context.moments) {
    if (!moment.failure) continue;
    const occurrences = byKey.get(moment.failure.key) ?? [];
    occurrences.push(occurrenceOf(context, moment));
    byKey.set(moment.failure.key, occurrences);
  }

  const episodes: FailureEpisode[] = [];
  for (const occurrences of byKey.values()) {
    const judged = splitIntoEpisodes(context, occurrences).map((group) => judgeEpisode(context, group));
    const areas = [...new Set(judged.map((episode) => episode.area.area))];
    const everFought = judged.some((episode) => episode.retries > 0 || episode.rageClicks.length + episode.deadClicks.length > 0);
    const firstMs = occurrences[0]!.moment.ms;
    const lastMs = occurrences.at(-1)!.moment.ms;
    const progressBetween = context.between(firstMs, lastMs).some((moment) => moment.customClass === "conversion" || moment.customClass === "step" || moment.kind === "pageview");
    if (areas.length >= context.options.exceptions.noiseMinAreas && !everFought && progressBetween) {
      for (const episode of judged) Object.assign(episode, { verdict: "non-blocking", noise: true, areas });
    }
    episodes.push(...judged);
  }
  return episodes.sort((a, b) => a.occurrences[0]!.ms - b.occurrences[0]!.ms);
}

/** Whether a moment (rage/dead click, failure event) is part of a blocking episode's story. */
export function explainedByBlockingEpisode(episodes: readonly FailureEpisode[], moment: Moment): boolean {
  return episodes.some((episode) => {
    if (episode.verdict !== "blocking" || moment.page.area !== episode.area.area) return false;
    const fromMs = (episode.trigger?.ms ?? episode.occurrences[0]!.ms) - CLICK_CLOCK_SLACK_MS;
    return moment.ms >= fromMs && moment.ms <= episode.explainsUntilMs;
  });
}

/** The user's attempts within an episode: the triggering actions of its occurrences. */
export function attemptsOf(context: SessionContext, episode: FailureEpisode): Moment[] {
  const attempts = episode.occurrences
    .map((moment) => context.triggerActionBefore(moment, context.options.exceptions.userTriggerWindowMs))
    .filter((moment): moment is Moment => moment !== undefined && isTriggerAction(moment));
  return [...new Set(attempts)];
}
