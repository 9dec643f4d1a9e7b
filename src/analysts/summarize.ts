import type { AnalyticsEvent } from "../domain/events.ts";
import { RawSessionSummarySchema, type ExceptionKind, type RawKeyAction, type RawSegment, type RawSessionSummary } from "../domain/summary.ts";
import type { EncodedSession } from "../encode/types.ts";
import type { RecordingMetadata } from "../replay/metadata.ts";
import { findAbandonment, type AbandonmentFinding } from "./abandonment.ts";
import { findConfusion, type ConfusionFinding } from "./confusion.ts";
import { SessionContext } from "./context.ts";
import { describeAbandonment, describeBlockingEpisode, describeConfusion, describeCustomEvent, describeNonBlockingFailure, describeSlowPage, describeSubmit } from "./describe.ts";
import { AnalystError } from "./errors.ts";
import { explainedByBlockingEpisode, judgeFailures, type FailureEpisode } from "./exceptions.ts";
import { resolveAnalystOptions, type OfflineAnalystOptions, type OfflineAnalystOverrides } from "./options.ts";
import { buildSegments, nameSegment, type SegmentDraft } from "./segments.ts";
import { findSlowPages, type SlowFinding } from "./slow.ts";
import { capitalize, cleanText, limitLength, plural, quote, type QuoteOptions } from "./text.ts";
import { buildTimeline, type Moment } from "./timeline.ts";

/**
 * The offline analyst's session summary: segments with key actions and outcomes, built from the
 * events and recording signals by the rules in `exceptions.ts`, `confusion.ts`, `abandonment.ts`
 * and `segments.ts`, citing only ids the encoding kept.
 *
 * - Key actions are every issue (exceptions judged blocking or not, confusion, abandonment) plus
 *   conversions, steps, failure answers and form submits. A segment keeps all its issues and at
 *   most `maxKeyActionsPerSegment` key actions in all, the most telling first (conversions, then
 *   failures, steps, submits); ties go to the focus area. They are listed in time order.
 * - An exception the encoding dropped is not a key action, except a blocking one whose triggering
 *   action is citable (`flagTriggerOfDroppedBlockingException`).
 * - Segment outcome: success when nothing blocked the user there (or a conversion came after the
 *   block) and nothing was abandoned there.
 * - Session outcome: success when no blocking issue stopped the user (none without a goal after
 *   it), no abandonment came after the last goal, and the user did not leave a page still loading;
 *   and a goal was reached, unless `outcome.successWithoutGoal` (a visit with no goal and no
 *   problem is a success: most visits to a product are not a purchase or a send).
 * - Focus area (free text): only ordering and wording change; it never adds or removes an issue.
 * - Page text is only ever quoted (cleaned, PII-redacted); it cannot change a verdict.
 */

export interface OfflineSummaryInput {
  encoded: EncodedSession;
  /** The events the encoding was made from. */
  events: AnalyticsEvent[];
  recording?: RecordingMetadata;
  focusArea?: string;
}

interface KeyActionDraft {
  moment: Moment;
  descriptions: string[];
  exception: ExceptionKind | null;
  confusion: boolean;
  abandonment: boolean;
  slow: boolean;
  /** Higher is kept first when a segment has too many key actions. */
  rank: number;
  blockingEpisodes: FailureEpisode[];
  confusionFindings: ConfusionFinding[];
  abandonmentFinding?: AbandonmentFinding;
  slowFindings: SlowFinding[];
}

const ISSUE_RANK = 100;
const RANK = { conversion: 4, failure: 3, step: 2, submit: 1 } as const;

class KeyActionBook {
  private readonly drafts = new Map<string, KeyActionDraft>();

  add(moment: Moment | undefined, description: string, rank: number, flags: Partial<Pick<KeyActionDraft, "exception" | "confusion" | "abandonment" | "slow">> = {}): KeyActionDraft | undefined {
    if (!moment?.eventId) return undefined;
    let draft = this.drafts.get(moment.eventId);
    if (!draft) {
      draft = { moment, descriptions: [], exception: null, confusion: false, abandonment: false, slow: false, rank, blockingEpisodes: [], confusionFindings: [], slowFindings: [] };
      this.drafts.set(moment.eventId, draft);
    }
    if (!draft.descriptions.includes(description)) draft.descriptions.push(description);
    draft.rank = Math.max(draft.rank, rank);
    if (flags.exception === "blocking" || (flags.exception === "non-blocking" && draft.exception === null)) draft.exception = flags.exception;
    if (flags.confusion) draft.confusion = true;
    if (flags.abandonment) draft.abandonment = true;
    if (flags.slow) draft.slow = true;
    return draft;
  }

  has(moment: Moment): boolean {
    return moment.eventId !== undefined && this.drafts.has(moment.eventId);
  }

  all(): KeyActionDraft[] {
    return [...this.drafts.values()];
  }
}

function focusMatcher(focusArea: string | undefined): (moment: Moment) => boolean {
  const tokens = (focusArea ?? "")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((token) => token.length >= 3);
  if (tokens.length === 0) return () => false;
  return (moment) => {
    const haystack = [moment.page.area, moment.page.phase, moment.control?.label ?? "", moment.name].join(" ").toLowerCase();
    return tokens.some((token) => haystack.includes(token));
  };
}

function citeEpisode(episode: FailureEpisode, context: SessionContext): Moment | undefined {
  const cited = episode.occurrences.find((moment) => moment.eventId);
  if (cited) return cited;
  if (episode.verdict !== "blocking" || !context.options.exceptions.flagTriggerOfDroppedBlockingException) return undefined;
  // The exception itself was dropped by the encoding: cite the action that triggered it.
  return episode.trigger?.eventId ? episode.trigger : undefined;
}

function collectKeyActions(
  context: SessionContext,
  episodes: FailureEpisode[],
  confusion: ConfusionFinding[],
  abandonment: AbandonmentFinding | undefined,
  slowPages: SlowFinding[],
  text: QuoteOptions,
): KeyActionBook {
  const book = new KeyActionBook();

  for (const finding of slowPages) {
    const draft = book.add(finding.anchor, describeSlowPage(finding, text), ISSUE_RANK, { slow: true });
    draft?.slowFindings.push(finding);
  }

  for (const episode of episodes.filter((candidate) => candidate.verdict === "blocking")) {
    const draft = book.add(citeEpisode(episode, context), describeBlockingEpisode(episode, text), ISSUE_RANK, { exception: "blocking" });
    draft?.blockingEpisodes.push(episode);
  }
  const nonBlocking = new Map<string, FailureEpisode[]>();
  for (const episode of episodes.filter((candidate) => candidate.verdict === "non-blocking")) {
    nonBlocking.set(episode.failure.key, [...(nonBlocking.get(episode.failure.key) ?? []), episode]);
  }
  for (const group of nonBlocking.values()) {
    const citedEpisode = group.find((episode) => episode.occurrences.some((moment) => moment.eventId));
    if (!citedEpisode) continue;
    const cited = citedEpisode.occurrences.find((moment) => moment.eventId);
    // Described from the cited occurrence, so its page and trigger match the event cited.
    const ordered = [citedEpisode, ...group.filter((episode) => episode !== citedEpisode)];
    book.add(cited, describeNonBlockingFailure(ordered, text), ISSUE_RANK, { exception: "non-blocking" });
  }

  for (const finding of confusion) {
    const cited = [finding.anchor, ...finding.attempts, ...finding.moments].find((moment) => moment.eventId);
    const draft = book.add(cited, describeConfusion(finding, text), ISSUE_RANK, { confusion: true });
    draft?.confusionFindings.push(finding);
  }

  if (abandonment) {
    const draft = book.add(abandonment.anchor, describeAbandonment(abandonment, text), ISSUE_RANK, { abandonment: true });
    if (draft) draft.abandonmentFinding = abandonment;
  }

  // Failure answers that are part of a confusion finding are already told by it.
  const toldByConfusion = new Set(confusion.flatMap((finding) => finding.moments));
  for (const moment of context.moments) {
    if (!moment.eventId || book.has(moment) || toldByConfusion.has(moment)) continue;
    if (moment.customClass === "conversion") book.add(moment, describeCustomEvent(moment, text), RANK.conversion);
    else if (moment.customClass === "step") book.add(moment, describeCustomEvent(moment, text), RANK.step);
    else if ((moment.customClass === "failure" || moment.customClass === "server_error") && !explainedByBlockingEpisode(episodes, moment)) {
      book.add(moment, describeCustomEvent(moment, text), RANK.failure);
    } else if (moment.kind === "submit") book.add(moment, describeSubmit(moment, text), RANK.submit);
  }
  return book;
}

function toRawKeyAction(draft: KeyActionDraft): RawKeyAction {
  return {
    event_id: draft.moment.eventId!,
    description: limitLength(draft.descriptions.join(" "), 1024),
    abandonment: draft.abandonment,
    confusion: draft.confusion,
    exception: draft.exception,
    slow: draft.slow,
  };
}

function shortIssue(episode: FailureEpisode, text: QuoteOptions): string {
  const label = episode.trigger?.control ? ` ${quote(episode.trigger.control.label, { ...text, maxQuotedLength: 40 })}` : "";
  const what = episode.triggerKind === "user" ? `${episode.trigger?.kind === "submit" ? "submitting" : "clicking"}${label}` : `loading ${episode.area.area}`;
  return `${what} threw ${episode.failure.type}${episode.failure.status ? ` (HTTP ${episode.failure.status})` : ""}`;
}

function segmentOutcome(segment: SegmentDraft, drafts: readonly KeyActionDraft[], text: QuoteOptions): { success: boolean; summary: string } {
  const conversions = segment.moments.filter((moment) => moment.customClass === "conversion");
  const lastConversionMs = conversions.at(-1)?.ms ?? Number.NEGATIVE_INFINITY;
  const blocking = drafts.filter((draft) => draft.exception === "blocking");
  const unrecovered = blocking.filter((draft) => draft.moment.ms > lastConversionMs);
  const abandoned = drafts.find((draft) => draft.abandonment);
  const confused = drafts.filter((draft) => draft.confusion);
  const noise = drafts.some((draft) => draft.exception === "non-blocking");
  const leftWaiting = conversions.length === 0 && drafts.some((draft) => draft.slowFindings.some((finding) => finding.left));
  const success = unrecovered.length === 0 && !abandoned && !leftWaiting;

  const parts: string[] = [];
  if (conversions.length > 0) parts.push(describeCustomEvent(conversions.at(-1)!, text));
  for (const draft of unrecovered.slice(0, 1)) {
    const episode = draft.blockingEpisodes[0];
    parts.push(`Blocked: ${episode ? shortIssue(episode, text) : "an error stopped the user"}`);
  }
  if (blocking.length > unrecovered.length) parts.push("got past an error that blocked them first");
  if (abandoned) parts.push("the user left without completing it");
  if (leftWaiting) parts.push("the user left while the page was still loading");
  if (parts.length === 0) {
    const steps = [
      ...new Set(
        segment.moments.filter((moment) => moment.customClass === "step" || moment.kind === "identify").map((moment) => (moment.kind === "identify" ? "signed in" : moment.name.toLowerCase())),
      ),
    ];
    const pages = segment.moments.filter((moment) => moment.kind === "pageview").length;
    parts.push(
      steps.length > 0
        ? `Done: ${steps
            .slice(0, 3)
            .map((step) => cleanText(step, text))
            .join(", ")}`
        : pages > 0
          ? `Viewed ${plural(pages, "page")}`
          : "Looked around",
    );
  }
  if (confused.length > 0) parts.push(`hesitated (${plural(confused.length, "sign")} of confusion)`);
  const slowest = drafts.flatMap((draft) => draft.slowFindings).sort((a, b) => b.waitedMs - a.waitedMs)[0];
  if (slowest && !slowest.left) parts.push(`waited ${Math.round(slowest.waitedMs / 1000)} s for a slow page`);
  if (noise && unrecovered.length === 0) parts.push("background errors did not stop the user");
  return { success, summary: limitLength(capitalize(parts.join("; ")), 1024) };
}

function sessionOutcome(
  context: SessionContext,
  drafts: readonly KeyActionDraft[],
  focusMatches: (moment: Moment) => boolean,
  focusArea: string | undefined,
  text: QuoteOptions,
): { success: boolean; summary: string } {
  const conversions = context.moments.filter((moment) => moment.customClass === "conversion");
  const lastConversion = conversions.at(-1);
  const stoppedBy = drafts.filter((draft) => draft.exception === "blocking").filter((draft) => !context.hasConversionBetween(draft.moment.ms - 1, context.endMs));
  const abandoned = drafts.find((draft) => draft.abandonment && draft.moment.ms > (lastConversion?.ms ?? Number.NEGATIVE_INFINITY));
  const confused = drafts.filter((draft) => draft.confusion);
  // Leaving a slow page fails a session that converted nothing; after a conversion the goal was met.
  const leftWaiting = lastConversion ? undefined : drafts.flatMap((draft) => draft.slowFindings).find((finding) => finding.left);
  const unhindered = stoppedBy.length === 0 && !abandoned && !leftWaiting;
  // Without a goal in the session, success means nothing stopped the user (when the option says so).
  const success = unhindered && (lastConversion !== undefined || context.options.outcome.successWithoutGoal);

  let summary: string;
  if (success && !lastConversion) {
    const pages = context.moments.filter((moment) => moment.kind === "pageview").length;
    summary = `No goal reached, and nothing stopped the user: ${plural(pages, "page")} viewed${confused.length > 0 ? `, ${plural(confused.length, "sign")} of confusion` : ""}.`;
  } else if (success) {
    const workedAround = drafts.some((draft) => draft.exception === "blocking");
    summary = `Goal reached: ${describeCustomEvent(lastConversion!, text).toLowerCase()}${workedAround ? ", after getting past a blocking error" : ""}${
      confused.length > 0 ? `, despite ${plural(confused.length, "sign")} of confusion` : ""
    }.`;
  } else if (stoppedBy.length > 0) {
    const episode = stoppedBy[0]!.blockingEpisodes[0];
    summary = `Failed: ${episode ? `${shortIssue(episode, text)} on ${episode.area.area}` : "a blocking error"}${abandoned ? " and the user gave up" : ""}.`;
  } else if (abandoned) {
    const finding = abandoned.abandonmentFinding;
    summary = `Failed: the user abandoned ${finding ? `${finding.phase} (${finding.area.area})` : "the flow"}${confused.length > 0 ? " after repeated failed attempts" : ""}.`;
  } else if (leftWaiting) {
    summary = `Failed: the user left ${leftWaiting.area.area} after waiting ${Math.round(leftWaiting.waitedMs / 1000)} s for it to load.`;
  } else {
    const pages = context.moments.filter((moment) => moment.kind === "pageview").length;
    summary = `No goal reached: ${plural(pages, "page")} viewed${confused.length > 0 ? `, ${plural(confused.length, "sign")} of confusion` : ", no blocking issue seen"}.`;
  }
  if (focusArea?.trim()) {
    const inFocus = drafts.filter((draft) => draft.rank >= ISSUE_RANK && focusMatches(draft.moment));
    const issues = inFocus.filter((draft) => draft.exception === "blocking" || draft.confusion || draft.abandonment).length;
    summary = `${summary} Focus ${quote(focusArea, { ...text, maxQuotedLength: 40 })}: ${issues > 0 ? `${plural(issues, "issue")} there` : "no issue there"}.`;
  }
  return { success, summary: limitLength(summary, 1024) };
}

function keptKeyActions(drafts: KeyActionDraft[], limit: number, focusMatches: (moment: Moment) => boolean): KeyActionDraft[] {
  const byPriority = [...drafts].sort((a, b) => b.rank - a.rank || Number(focusMatches(b.moment)) - Number(focusMatches(a.moment)) || a.moment.ms - b.moment.ms);
  const kept = byPriority.filter((draft, index) => draft.rank >= ISSUE_RANK || index < limit);
  return kept.sort((a, b) => a.moment.position - b.moment.position);
}

export function summarizeSessionOffline(input: OfflineSummaryInput, overrides: OfflineAnalystOverrides = {}): RawSessionSummary {
  const options: OfflineAnalystOptions = resolveAnalystOptions(overrides);
  const text: QuoteOptions = options.text;
  const timeline = buildTimeline(input, { site: options.site, minTypedFieldsForTask: options.abandonment.minTypedFieldsForTask, choiceChangeWithinMs: options.abandonment.choiceChangeWithinMs });
  if (!timeline.moments.some((moment) => moment.eventId)) {
    throw new AnalystError("nothing_to_cite", `session ${input.encoded.sessionId}: the encoding kept no event to cite`);
  }
  const context = new SessionContext(timeline, options);
  const episodes = judgeFailures(context);
  const confusion = findConfusion(context, episodes);
  const slowPages = findSlowPages(context);
  const abandonment = findAbandonment(context, episodes, confusion, slowPages);
  const book = collectKeyActions(context, episodes, confusion, abandonment, slowPages, text);
  const focusMatches = focusMatcher(input.focusArea);

  const issueMoments = new Set(
    book
      .all()
      .filter((draft) => draft.rank >= ISSUE_RANK)
      .map((draft) => draft.moment),
  );
  const segments = buildSegments(context.moments, options.segments, issueMoments);
  const segmentOf = new Map<Moment, number>();
  segments.forEach((segment, index) => segment.moments.forEach((moment) => segmentOf.set(moment, index)));
  const draftsBySegment = segments.map(() => [] as KeyActionDraft[]);
  for (const draft of book.all()) draftsBySegment[segmentOf.get(draft.moment) ?? 0]!.push(draft);

  const rawSegments: RawSegment[] = segments.map((segment, index) => {
    const drafts = keptKeyActions(draftsBySegment[index]!, options.segments.maxKeyActionsPerSegment, focusMatches);
    const citable = segment.moments.filter((moment) => moment.eventId);
    const outcome = segmentOutcome(segment, drafts, text);
    return {
      name: limitLength(nameSegment(segment, outcome.success, text, options.titles), 256),
      start_event_id: citable[0]!.eventId!,
      end_event_id: citable.at(-1)!.eventId!,
      key_actions: drafts.map(toRawKeyAction),
      outcome,
    };
  });

  return RawSessionSummarySchema.parse({
    segments: rawSegments,
    session_outcome: sessionOutcome(context, book.all(), focusMatches, input.focusArea, text),
  });
}
