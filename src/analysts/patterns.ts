import type { RawAssignment, RawPattern, Severity } from "../domain/report.ts";
import { RawAssignmentListSchema, RawPatternListSchema, SEVERITIES } from "../domain/report.ts";
import { issueKindsOf, keyActionsOf, type IssueKind, type KeyAction, type SessionSummary } from "../domain/summary.ts";
import type { Phase } from "./areas.ts";
import { resolveAnalystOptions, type OfflineAnalystOverrides } from "./options.ts";
import { SEVERAL_PAGES, signatureKey, signatureOf, type IssueSignature } from "./signature.ts";
import { capitalize, limitLength, plural } from "./text.ts";

/**
 * Patterns without a model: flagged key actions are clustered by issue signature (`signature.ts`);
 * a cluster with flagged actions in at least `minSessions` sessions becomes a pattern.
 *
 * Proposed severity (the report adjusts it later in code, and drops `low`):
 * - blocking exception: `critical` when it blocks a conversion (product, cart, sign-in or checkout
 *   page, or a buy/order/pay/sign-up control), else `high`;
 * - abandonment: `high` in cart or checkout, else `medium`;
 * - confusion: `medium`;
 * - non-blocking exception: `low` (never pattern evidence; reported only when `includeNonBlocking`).
 *
 * Every pattern's first indicator is its signature (`Signature: <key>`), which is how
 * `assignEventsOffline` finds its events again; patterns a model wrote are matched by their words.
 */

const SIGNATURE_PREFIX = "Signature: ";
const INDICATOR_MAX = 300;

interface FlaggedAction {
  sessionId: string;
  action: KeyAction;
  signature: IssueSignature;
  key: string;
  segmentSuccess: boolean;
}

function flaggedActions(summaries: readonly SessionSummary[], includeNonBlocking: boolean): FlaggedAction[] {
  const flagged: FlaggedAction[] = [];
  for (const summary of summaries) {
    for (const { segment, action } of keyActionsOf(summary)) {
      for (const kind of issueKindsOf(action)) {
        if (kind === "non_blocking_exception" && !includeNonBlocking) continue;
        const signature = signatureOf(action, kind);
        flagged.push({ sessionId: summary.session_id, action, signature, key: signatureKey(signature), segmentSuccess: segment.outcome.success });
      }
    }
  }
  return flagged;
}

const CONVERSION_CONTROL = /\b(order|pay|payment|buy|purchase|checkout|check out|add to (cart|bag|basket)|sign ?up|subscribe|book|reserve)\b/i;
const CONVERSION_PHASES: ReadonlySet<Phase> = new Set(["product", "cart", "sign-in", "checkout"]);

function proposedSeverity(signature: IssueSignature): Severity {
  switch (signature.kind) {
    case "blocking_exception":
      return CONVERSION_PHASES.has(signature.phase) || CONVERSION_CONTROL.test(signature.control ?? "") ? "critical" : "high";
    case "abandonment":
      return signature.phase === "checkout" || signature.phase === "cart" ? "high" : "medium";
    case "confusion":
      return "medium";
    case "non_blocking_exception":
      return "low";
  }
}

const PHASE_TITLES: Record<Phase, string> = {
  home: "Home page",
  catalogue: "Catalogue",
  search: "Search",
  product: "Product page",
  cart: "Cart",
  "sign-in": "Sign-in",
  checkout: "Checkout",
  confirmation: "Order confirmation",
  other: "Page",
};

function controlName(control: string): string {
  return /\p{L}/u.test(control) ? control : `"${control}" control`;
}

/** The most common value, first seen wins ties. */
function mostCommon(values: ReadonlyArray<string | undefined>): string | undefined {
  const counts = new Map<string, number>();
  for (const value of values) if (value) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: string | undefined;
  for (const [value, count] of counts) if (best === undefined || count > counts.get(best)!) best = value;
  return best;
}

function patternName(members: readonly FlaggedAction[]): string {
  const signature = members[0]!.signature;
  const area = signature.area;
  const control = mostCommon(members.map((member) => member.signature.control));
  const errorType = mostCommon(members.map((member) => member.signature.errorType));
  const status = members.find((member) => member.signature.status !== undefined)?.signature.status;
  const where = signature.phase === "other" ? area : `${PHASE_TITLES[signature.phase]}`;
  switch (signature.kind) {
    case "blocking_exception": {
      const subject = control ? controlName(control) : where;
      const failure = status ? `returns HTTP ${status}` : `fails with ${errorType ?? "an error"}`;
      return `${subject} ${failure} on ${area}`;
    }
    case "non_blocking_exception": {
      const message = mostCommon(members.map((member) => member.signature.errorText)) ?? errorType ?? "error";
      return `Background ${limitLength(message, 70)} on ${area === SEVERAL_PAGES ? "several pages" : area}`;
    }
    case "confusion": {
      const feedback = mostCommon(members.map((member) => member.signature.feedback));
      const signs = new Set(members.map((member) => member.signature.confusionSign));
      if (feedback) return `${capitalize(feedback)} repeatedly on ${area}`;
      if (signs.has("dead_click") && control) return `${controlName(control)} does nothing when clicked on ${area}`;
      if (signs.has("rage_click") && control) return `Rage clicks on ${controlName(control)} on ${area}`;
      if (signs.has("back_and_forth")) return `Back-and-forth navigation on ${area}`;
      return `Users struggle${control ? ` with ${controlName(control)}` : ""} on ${area}`;
    }
    case "abandonment": {
      const cause = signature.errorType ? ` after ${signature.errorType}` : signature.feedback ? ` after "${signature.feedback}"` : "";
      return signature.phase === "other" ? `Users abandon ${area}${cause}` : `${PHASE_TITLES[signature.phase]} abandoned${cause} on ${area}`;
    }
  }
}

const KIND_WORDS: Record<IssueKind, string> = {
  blocking_exception: "blocking exception",
  non_blocking_exception: "non-blocking exception",
  confusion: "confusion",
  abandonment: "abandonment",
};

function indicatorsOf(members: readonly FlaggedAction[], sessions: number): string[] {
  const signature = members[0]!.signature;
  const descriptions = members.map((member) => member.action.description);
  const some = (pattern: RegExp): boolean => descriptions.some((description) => pattern.test(description));
  const indicators = [limitLength(`${SIGNATURE_PREFIX}${members[0]!.key}`, INDICATOR_MAX)];
  indicators.push(`${KIND_WORDS[signature.kind]} on ${signature.area} in ${plural(sessions, "session")} (${plural(members.length, "flagged event")})`);
  const errorText = mostCommon(members.map((member) => member.signature.errorText));
  if (errorText) indicators.push(limitLength(`Error: ${errorText}`, INDICATOR_MAX));
  const feedback = mostCommon(members.map((member) => member.signature.feedback));
  if (feedback) indicators.push(`The app answers "${feedback}" again and again`);
  if (some(/tried again|Tried "/)) indicators.push("Users try the same action again and it fails again");
  if (some(/rage-click/i)) indicators.push("Rage clicks");
  if (some(/dead click/)) indicators.push("Clicks that do nothing (dead clicks)");
  if (some(/left without|Left /)) indicators.push("Users leave without getting further");
  if (some(/carried on|carries on/)) indicators.push("Users carry on: the error does not stop them");
  return indicators.slice(0, 5);
}

function descriptionOf(members: readonly FlaggedAction[], sessions: number): string {
  const example = members[0]!.action.description;
  const failedSegments = members.filter((member) => !member.segmentSuccess).length;
  return limitLength(
    `Seen in ${plural(sessions, "session")} (${plural(members.length, "flagged event")}); ${failedSegments} of ${members.length} affected segments failed. Example: ${example}`,
    1024,
  );
}

interface Cluster {
  key: string;
  members: FlaggedAction[];
  sessions: number;
  severity: Severity;
}

function clustersOf(summaries: readonly SessionSummary[], overrides: OfflineAnalystOverrides): Cluster[] {
  const { minSessions, includeNonBlocking } = resolveAnalystOptions(overrides).patterns;
  const byKey = new Map<string, FlaggedAction[]>();
  for (const flagged of flaggedActions(summaries, includeNonBlocking)) byKey.set(flagged.key, [...(byKey.get(flagged.key) ?? []), flagged]);
  return [...byKey.entries()]
    .map(([key, members]) => ({ key, members, sessions: new Set(members.map((member) => member.sessionId)).size, severity: proposedSeverity(members[0]!.signature) }))
    .filter((cluster) => cluster.sessions >= minSessions)
    .sort(
      (a, b) =>
        SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || b.sessions - a.sessions || b.members.length - a.members.length || a.key.localeCompare(b.key),
    );
}

/** Patterns from the flagged key actions of many sessions, numbered 1..n by severity, then reach. */
export function extractPatternsOffline(summaries: readonly SessionSummary[], overrides: OfflineAnalystOverrides = {}): RawPattern[] {
  const patterns = clustersOf(summaries, overrides).map((cluster, index) => ({
    pattern_id: index + 1,
    pattern_name: limitLength(patternName(cluster.members), 120),
    pattern_description: descriptionOf(cluster.members, cluster.sessions),
    severity: cluster.severity,
    indicators: indicatorsOf(cluster.members, cluster.sessions),
  }));
  return RawPatternListSchema.parse({ patterns }).patterns;
}

// ------------------------------------------------------------------------------------ assignment

const STOP_WORDS = new Set(["the", "and", "with", "users", "user", "on", "for", "that", "this", "when", "from", "then", "session", "sessions", "seen", "page"]);

function wordsOf(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .split(/[^a-z0-9/:]+/)
      .filter((word) => word.length >= 3 && !STOP_WORDS.has(word)),
  );
}

function kindOfPatternText(text: string): IssueKind | undefined {
  const lower = text.toLowerCase();
  if (/\babandon/.test(lower)) return "abandonment";
  if (/\b(background|non-blocking|noise|harmless)\b/.test(lower)) return "non_blocking_exception";
  if (/\b(exception|error|fails?|failing|crash|throws?|http [45]\d\d|[45]\d\d)\b/.test(lower)) return "blocking_exception";
  if (/\b(confus|repeated|rage|dead click|back-and-forth|struggle|rejected|hesitat)/.test(lower)) return "confusion";
  return undefined;
}

interface PatternMatcher {
  patternId: number;
  /** Exact: the signature key from the pattern's first indicator. */
  key?: string;
  /** The indicator was cut to its length limit: match keys that start with it. */
  keyTruncated: boolean;
  /** Loose (patterns a model wrote): the kind and the words of the pattern. */
  kind?: IssueKind;
  words: Set<string>;
  text: string;
}

function matcherOf(pattern: RawPattern): PatternMatcher {
  const signature = pattern.indicators.find((indicator) => indicator.startsWith(SIGNATURE_PREFIX))?.slice(SIGNATURE_PREFIX.length);
  const text = [pattern.pattern_name, pattern.pattern_description, ...pattern.indicators].join(" ");
  const kind = kindOfPatternText(`${pattern.pattern_name} ${pattern.pattern_description}`);
  const keyTruncated = signature?.endsWith("…") ?? false;
  return {
    patternId: pattern.pattern_id,
    ...(signature ? { key: keyTruncated ? signature.slice(0, -1) : signature } : {}),
    keyTruncated,
    ...(kind ? { kind } : {}),
    words: wordsOf(text),
    text: text.toLowerCase(),
  };
}

/** How well a flagged action fits a pattern a model wrote: shared words, with a bonus for naming its page. */
function looseScore(matcher: PatternMatcher, flagged: FlaggedAction): number {
  if (matcher.kind && matcher.kind !== flagged.signature.kind) return 0;
  const words = wordsOf(`${flagged.action.description} ${flagged.signature.area}`);
  if (words.size === 0) return 0;
  let shared = 0;
  for (const word of words) if (matcher.words.has(word)) shared += 1;
  const areaBonus = flagged.signature.area !== "/" && matcher.text.includes(flagged.signature.area) ? 0.2 : 0;
  return shared / words.size + areaBonus;
}

/**
 * Which flagged events belong to which pattern: exact by signature for patterns made by
 * `extractPatternsOffline`, by shared words otherwise. One event per session per pattern (the
 * first in the session); patterns with no event are left out.
 */
export function assignEventsOffline(patterns: readonly RawPattern[], summaries: readonly SessionSummary[], overrides: OfflineAnalystOverrides = {}): RawAssignment[] {
  const { includeNonBlocking, looseMatchMin } = resolveAnalystOptions(overrides).patterns;
  const matchers = patterns.map(matcherOf);
  const flagged = flaggedActions(summaries, includeNonBlocking);
  const chosen = new Map<number, Map<string, string>>();
  const assign = (patternId: number, flaggedAction: FlaggedAction): void => {
    const bySession = chosen.get(patternId) ?? new Map<string, string>();
    if (!bySession.has(flaggedAction.sessionId)) bySession.set(flaggedAction.sessionId, flaggedAction.action.event_id);
    chosen.set(patternId, bySession);
  };
  for (const flaggedAction of flagged) {
    const exact = matchers.filter(
      (matcher) => matcher.key !== undefined && (flaggedAction.key === matcher.key || (matcher.keyTruncated && flaggedAction.key.startsWith(matcher.key))),
    );
    if (exact.length > 0) {
      for (const matcher of exact) assign(matcher.patternId, flaggedAction);
      continue;
    }
    if (flaggedAction.signature.kind === "non_blocking_exception") continue;
    let best: { matcher: PatternMatcher; score: number } | undefined;
    for (const matcher of matchers.filter((candidate) => candidate.key === undefined)) {
      const score = looseScore(matcher, flaggedAction);
      if (score >= looseMatchMin && (!best || score > best.score)) best = { matcher, score };
    }
    if (best) assign(best.matcher.patternId, flaggedAction);
  }
  const assignments = patterns
    .map((pattern) => ({ pattern_id: pattern.pattern_id, event_ids: [...(chosen.get(pattern.pattern_id)?.values() ?? [])] }))
    .filter((assignment) => assignment.event_ids.length > 0);
  return RawAssignmentListSchema.parse({ patterns: assignments }).patterns;
}
