import { DEFAULT_SITE, type SiteModel } from "./site.ts";

/**
 * Every threshold of the offline analyst, with its default. Functions take a partial override and
 * merge it over these; nothing else in `src/analysts` hard-codes a number that changes a verdict.
 */
export const OFFLINE_ANALYST_DEFAULTS = {
  segments: {
    /** A gap without any event longer than this starts a new segment, even on the same page. */
    inactivityGapMs: 60_000,
    /** A segment with fewer citable events than this is folded into a neighbour. */
    minCitableEvents: 3,
    /** Segments are merged (smallest neighbours first) until at most this many remain. */
    maxSegments: 5,
    /** Key actions kept per segment: every issue, then conversions, failures, steps (focus area first). */
    maxKeyActionsPerSegment: 10,
  },
  exceptions: {
    /** A click, submit or change this close before an exception caused it (same window). */
    userTriggerWindowMs: 2_500,
    /** A page load this close before an exception caused it (scripts and API calls on load). */
    loadTriggerWindowMs: 4_000,
    /** A conversion or step this soon after the triggering action means the action went through anyway. */
    actionSuccessWindowMs: 5_000,
    /** A page change this soon after a click on a link or a submit means the click navigated as meant. */
    navigationWindowMs: 3_000,
    /** What follows within this window decides blocking vs non-blocking (retries, rage/dead clicks). */
    consequenceWindowMs: 20_000,
    /** An app failure event (`search failed`, `error: true`) this soon after an exception is feedback the user saw. */
    feedbackWindowMs: 3_000,
    /** ... or this soon before it (apps often report the failure and the exception in either order). */
    feedbackBeforeMs: 1_000,
    /** A user-triggered exception counts as "then left" when the session ends within this, with no progress. */
    leaveWindowMs: 30_000,
    /** The same exception on this many different page areas, with progress in between, is background noise. */
    noiseMinAreas: 2,
    /**
     * The encoding drops exceptions that are neither recurring nor network-related, so a model never
     * sees them. When such an exception is still clearly blocking (retried, rage/dead clicks), flag
     * the user action that triggered it instead, so the issue is not lost. False: never cite it.
     */
    flagTriggerOfDroppedBlockingException: true,
  },
  confusion: {
    /** The same failure feedback (e.g. `coupon rejected`) at least this many times in one area is confusion. */
    minRepeatedFailures: 2,
    /** Repeated failures further apart than this are separate episodes. */
    repeatedFailureGapMs: 60_000,
    /** A failure event this soon after a click or submit was that action's answer. */
    failureTriggerWindowMs: 3_000,
    /** Pages A, B, A, B (exact paths) within this window, without progress, is back-and-forth navigation. */
    backAndForthWindowMs: 60_000,
    /**
     * A `$dead_click` is confusion only when nothing answered it: no field changed (a change event,
     * or an input in the recording), no page change and no DOM change in the recording within this
     * long after it (posthog-js flags clicks on working `<select>`s, radio pills and checkboxes).
     */
    deadClickAnswerWithinMs: 1_500,
    /** posthog-js stamps a `$dead_click` with its click's time; the recorded click is looked for this close to it. */
    deadClickRecordingSlackMs: 400,
    /**
     * The same forward control (a submit, or one named like "Continue", "Next", "Save") used this
     * many times on one page with nothing to show for it (no new page, no goal, no step) is
     * confusion even when the app reports no failure event ("complete all required fields").
     */
    minRepeatedAttempts: 3,
    /** Attempts further apart than this are separate episodes. */
    repeatedAttemptGapMs: 30_000,
    /** Clicks on the same control closer together than this are one attempt (a double or rage click). */
    minAttemptSpacingMs: 1_200,
  },
  abandonment: {
    /** User actions (clicks, typing, submits) needed in a flow step before leaving it counts as abandoning it. */
    minEngagementActions: 1,
    /** Fields typed into (change events on text inputs) that make any page a flow step (a form the user worked on). */
    minTypedFieldsForTask: 1,
    /** A field's change this soon after a click on it is a choice (radio, checkbox), not typing. */
    choiceChangeWithinMs: 300,
    /** A submit this soon after a click was sent by that click: the click is the attempt to cite. */
    submitAfterClickMs: 1_000,
  },
  slow: {
    /** A loading indicator showing at least this long after a page load or an action is a slow page. */
    minWaitMs: 5_000,
    /** The page load or action that started the wait: at most this long before the indicator appeared. */
    triggerBeforeMs: 10_000,
    /** ... or this long after it (a `$pageview` is sent a moment after the new page first paints). */
    triggerAfterMs: 1_500,
    /** When nothing near the wait can be cited (the encoding cut it), the last citable event this long before it stands in. */
    citeBeforeMs: 30_000,
  },
  outcome: {
    /**
     * A session that reached no goal but met no problem (nothing blocked, nothing abandoned) is a
     * success. Off by default: success is reaching the product's goal (sending, saving, buying).
     */
    successWithoutGoal: false,
  },
  routes: {
    /** A path position with at least this many distinct values across sessions may be a parameter (`/campaigns/:id`). */
    minDistinctValues: 4,
    /** A plain word at a parameter position stays a word (`/campaigns/new`) when at least this many sessions visit it… */
    wordMinSessions: 2,
    /** … and at least this share of the sessions that visit that position. */
    wordMinSessionShare: 0.2,
  },
  learning: {
    /** Sessions read to learn the site before summarizing (the newest of the selection). */
    maxSessionsToLearn: 300,
    /** Sessions read at once while learning. */
    concurrency: 4,
    /** A page template takes a place in the usual order of pages when at least this many sessions visit it. */
    minSessionsForOrder: 3,
    /**
     * Moving to a page whose usual place is this much earlier (positions run 0…1 through a session)
     * is a step back; anything less apart is no clear order, and the page roles decide.
     */
    minOrderGap: 0.2,
    /** A goal page must be reached right after a goal in, and end issue-free sessions in, at least this many sessions each. */
    goalMinSessions: 3,
    /** … be reached after a goal was sent by at least this share of the sessions that reach it … */
    goalMinReachedAfterShare: 0.8,
    /** … and be visited by at most this share of the sessions that sent no goal (a page sessions see anyway is no goal). */
    goalMaxVisitShare: 0.5,
  },
  titles: {
    /** Clicked element texts quoted in a segment title (the most used first). */
    maxClickedTexts: 2,
    /** Element texts longer than this are not used in titles (paragraphs, not controls). */
    maxClickedTextLength: 24,
  },
  text: {
    /** Element texts, queries and error messages quoted in descriptions are cut to this length. */
    maxQuotedLength: 80,
    /** Error messages may be longer: they identify the bug (and the pattern stage reads them back). */
    maxErrorLength: 160,
    /** Redact emails, card and phone numbers in everything quoted from the session. */
    redactPii: true,
  },
  patterns: {
    /** A pattern needs flagged key actions in at least this many sessions. */
    minSessions: 2,
    /** Cluster non-blocking exceptions too, reported as `low` (dropped later by the report's severity rule). */
    includeNonBlocking: true,
    /** Patterns a model wrote (no signature): share of a flagged action's words they must contain. */
    looseMatchMin: 0.35,
    /** Retries and rage/dead clicks this long after a blocking failure or a slow page are its consequences. */
    consequenceWindowMs: 120_000,
    /** A slow page whose typical wait is at least this many seconds is `high`. */
    slowHighSeconds: 10,
  },
} as const;

type Widen<T> = T extends boolean ? boolean : T extends number ? number : T extends object ? { -readonly [K in keyof T]: Widen<T[K]> } : T;

type NumericOptions = Widen<typeof OFFLINE_ANALYST_DEFAULTS>;

/** The numbers, plus what the analyst knows about the site (vocabulary, product map, learned routes). */
export type OfflineAnalystOptions = NumericOptions & { site: SiteModel };

/** Overrides per group, e.g. `{ exceptions: { consequenceWindowMs: 15_000 } }`; `site` from `createSiteModel`. */
export type OfflineAnalystOverrides = { [K in keyof NumericOptions]?: Partial<NumericOptions[K]> } & { site?: SiteModel };

export function resolveAnalystOptions(overrides: OfflineAnalystOverrides = {}): OfflineAnalystOptions {
  const d = OFFLINE_ANALYST_DEFAULTS;
  return {
    segments: { ...d.segments, ...overrides.segments },
    exceptions: { ...d.exceptions, ...overrides.exceptions },
    confusion: { ...d.confusion, ...overrides.confusion },
    abandonment: { ...d.abandonment, ...overrides.abandonment },
    slow: { ...d.slow, ...overrides.slow },
    outcome: { ...d.outcome, ...overrides.outcome },
    routes: { ...d.routes, ...overrides.routes },
    learning: { ...d.learning, ...overrides.learning },
    titles: { ...d.titles, ...overrides.titles },
    text: { ...d.text, ...overrides.text },
    patterns: { ...d.patterns, ...overrides.patterns },
    site: overrides.site ?? DEFAULT_SITE,
  };
}
