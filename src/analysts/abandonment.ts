import { FLOW_PHASES, FUNNEL_RANK, type PageArea, type Phase } from "./areas.ts";
import type { ConfusionFinding } from "./confusion.ts";
import type { SessionContext } from "./context.ts";
import type { FailureEpisode } from "./exceptions.ts";
import type { SlowFinding } from "./slow.ts";
import { isProgressEvent, isTriggerAction, isUserAction, type Moment } from "./timeline.ts";

/**
 * The user gave up on what they were doing:
 * - `flow_step`: the last visit to a flow step (a task page, sign-in; a shop's cart and checkout)
 *   in which the user did something (at least `minEngagementActions` clicks, typing or submits) was
 *   never completed: no goal after it started and no later page further down the flow. A step
 *   visited after a goal was reached does not count: the user got what they came for. Whether the session
 *   ends there or the user wanders off first, the step was abandoned.
 * - `after_blocking_issue`: a blocking failure after which the session ends with no progress and
 *   no conversion (the search that never worked, the "Add to cart" that never added).
 * - `after_repeated_failures`: repeated refusals (the same failure answer, or the same forward
 *   control used again and again for nothing) after which the session ends with no goal and no
 *   progress. Going back to pages already seen (the list the user came from) is not moving on:
 *   "back to the list after repeated failures, then gone" is giving up, error or not.
 * A goal reached after the problem means the user did not give up, whatever came later; a user
 * who left while a page was still loading left because of the slow page (`slow.ts`), not here.
 * At most one abandonment per session: the latest. It is flagged on the user's last
 * attempt there (click, submit or change), or the last event of that visit the encoding kept.
 * Its cause, when there is one in the same area before it: the blocking failure, else the
 * repeated failure answer the user got (`coupon rejected` 3 times).
 */

export interface AbandonmentFinding {
  reason: "flow_step" | "after_blocking_issue" | "after_repeated_failures";
  anchor: Moment;
  area: PageArea;
  phase: Phase;
  episode?: FailureEpisode;
  /** The repeated failure answers that came before it in the same area, when no blocking failure did. */
  confusion?: ConfusionFinding;
}

interface Visit {
  phase: Phase;
  moments: Moment[];
}

function visitsOf(moments: readonly Moment[]): Visit[] {
  const visits: Visit[] = [];
  for (const moment of moments) {
    if (!moment.url) continue;
    const current = visits.at(-1);
    if (current && current.phase === moment.page.phase) current.moments.push(moment);
    else visits.push({ phase: moment.page.phase, moments: [moment] });
  }
  return visits;
}

/**
 * The last attempt among `moments`: a citable click/submit/change (the click, when a submit is just
 * the form it sent), else any citable user action, else any citable moment.
 */
function lastAttempt(moments: readonly Moment[], submitAfterClickMs: number): Moment | undefined {
  const reversed = [...moments].reverse();
  const action = reversed.find((moment) => isTriggerAction(moment) && moment.eventId);
  if (action?.kind === "submit") {
    const click = reversed.find((moment) => moment.kind === "click" && moment.eventId && moment.ms <= action.ms && action.ms - moment.ms <= submitAfterClickMs);
    if (click) return click;
  }
  return action ?? reversed.find((moment) => isUserAction(moment) && moment.eventId) ?? reversed.find((moment) => moment.eventId);
}

function flowStepAbandonment(context: SessionContext): AbandonmentFinding | undefined {
  const visits = visitsOf(context.moments);
  for (let i = visits.length - 1; i >= 0; i -= 1) {
    const visit = visits[i]!;
    if (!FLOW_PHASES.has(visit.phase)) continue;
    const engagement = visit.moments.filter(isUserAction).length;
    if (engagement < context.options.abandonment.minEngagementActions) continue;
    const startMs = visit.moments[0]!.ms;
    // A user who reached a goal and moved on did not abandon: a later form left unfinished, with
    // nothing going wrong there (the other rules catch failures), is not giving up.
    if (context.hasConversionBetween(context.startMs - 1, startMs)) return undefined;
    const completed = context.hasConversionBetween(startMs - 1, context.endMs) || visits.slice(i + 1).some((later) => FUNNEL_RANK[later.phase] > FUNNEL_RANK[visit.phase]);
    // The latest engaged flow step decides: an earlier one that was left for a later step is not abandoned.
    if (completed) return undefined;
    const anchor = lastAttempt(visit.moments, context.options.abandonment.submitAfterClickMs);
    if (!anchor) return undefined;
    return { reason: "flow_step", anchor, area: anchor.page, phase: visit.phase };
  }
  return undefined;
}

function abandonmentAfterBlocking(context: SessionContext, episodes: readonly FailureEpisode[]): AbandonmentFinding | undefined {
  for (const episode of [...episodes].reverse()) {
    if (episode.verdict !== "blocking") continue;
    const firstMs = episode.occurrences[0]!.ms;
    const lastMs = episode.occurrences.at(-1)!.ms;
    if (context.hasConversionBetween(firstMs, context.endMs)) return undefined;
    const movedOn = context.between(lastMs, context.endMs).some((moment) => isProgressEvent(moment));
    if (movedOn || reachedNewPage(context, episode.trigger?.ms ?? firstMs, lastMs, episode.area)) return undefined;
    const fromMs = (episode.trigger?.ms ?? firstMs) - 1;
    const there = context.between(fromMs, context.endMs).filter((moment) => moment.page.area === episode.area.area);
    const anchor = lastAttempt(there, context.options.abandonment.submitAfterClickMs);
    if (!anchor) return undefined;
    return { reason: "after_blocking_issue", anchor, area: episode.area, phase: episode.area.phase, episode };
  }
  return undefined;
}

/** After `fromMs`, a page in another area that the user had not seen before `sinceMs` (going back is not moving on). */
function reachedNewPage(context: SessionContext, sinceMs: number, fromMs: number, area: PageArea): boolean {
  const seen = new Set(
    context
      .between(context.startMs - 1, sinceMs)
      .filter((moment) => moment.kind === "pageview")
      .map((moment) => moment.page.path),
  );
  return context.between(fromMs, context.endMs).some((moment) => moment.kind === "pageview" && moment.page.area !== area.area && !seen.has(moment.page.path));
}

function abandonmentAfterRefusals(context: SessionContext, confusion: readonly ConfusionFinding[]): AbandonmentFinding | undefined {
  const refusals = confusion.filter((finding) => finding.kind === "repeated_failure" || finding.kind === "repeated_attempt");
  const last = refusals.at(-1);
  if (!last) return undefined;
  const tried = [...last.attempts, ...last.moments].sort((a, b) => a.ms - b.ms);
  const firstMs = Math.min(last.anchor.ms, tried[0]?.ms ?? last.anchor.ms);
  const lastMs = tried.at(-1)?.ms ?? last.anchor.ms;
  if (context.hasConversionBetween(firstMs - 1, context.endMs)) return undefined;
  if (context.between(lastMs, context.endMs).some(isProgressEvent) || reachedNewPage(context, firstMs, lastMs, last.anchor.page)) return undefined;
  const there = context.between(firstMs - 1, context.endMs).filter((moment) => moment.page.area === last.anchor.page.area);
  const anchor = lastAttempt(there, context.options.abandonment.submitAfterClickMs);
  if (!anchor) return undefined;
  return { reason: "after_repeated_failures", anchor, area: anchor.page, phase: anchor.page.phase, confusion: last };
}

export function findAbandonment(
  context: SessionContext,
  episodes: readonly FailureEpisode[],
  confusion: readonly ConfusionFinding[] = [],
  slowPages: readonly SlowFinding[] = [],
): AbandonmentFinding | undefined {
  // The user left while a page was still loading: the slow page tells why they went, not a flow they gave up.
  if (slowPages.some((finding) => finding.left)) return undefined;
  const candidates = [flowStepAbandonment(context), abandonmentAfterBlocking(context, episodes), abandonmentAfterRefusals(context, confusion)].filter(
    (finding): finding is AbandonmentFinding => finding !== undefined,
  );
  candidates.sort((a, b) => b.anchor.ms - a.anchor.ms || (a.reason === "after_blocking_issue" ? -1 : 1));
  const chosen = candidates[0];
  if (!chosen) return undefined;
  // Keep the episode link when both rules point at the same moment (a blocked checkout left behind).
  const episode =
    chosen.episode ??
    candidates.find((candidate) => candidate.anchor === chosen.anchor)?.episode ??
    [...episodes].reverse().find((candidate) => candidate.verdict === "blocking" && candidate.area.area === chosen.area.area && candidate.occurrences[0]!.ms <= chosen.anchor.ms);
  if (episode) return { ...chosen, episode, confusion: undefined };
  if (chosen.confusion) return chosen;
  const answers = [...confusion]
    .reverse()
    .find((finding) => (finding.kind === "repeated_failure" || finding.kind === "repeated_attempt") && finding.anchor.page.area === chosen.area.area && finding.anchor.ms <= chosen.anchor.ms);
  return answers ? { ...chosen, confusion: answers } : chosen;
}
