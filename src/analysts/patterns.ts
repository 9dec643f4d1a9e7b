import type { RawAssignment, RawPattern, Severity } from "../domain/report.ts";
import { compareSeverity, RawAssignmentListSchema, RawPatternListSchema } from "../domain/report.ts";
import { issueKindsOf, keyActionsOf, type IssueKind, type KeyAction, type SessionSummary } from "../domain/summary.ts";
import { pageAreaOf, type Phase } from "./areas.ts";
import { resolveAnalystOptions, type OfflineAnalystOptions, type OfflineAnalystOverrides } from "./options.ts";
import { learnSite, type SiteModel } from "./site.ts";
import { SEVERAL_PAGES, signatureKey, signatureOf, type IssueSignature } from "./signature.ts";
import { capitalize, limitLength } from "./text.ts";

/**
 * Patterns without a model: flagged key actions are clustered by issue signature (`signature.ts`);
 * a cluster with flagged actions in at least `minSessions` sessions becomes a pattern.
 *
 * One pattern per root problem (`markConsequences`): in each session, an abandonment that follows a
 * blocking exception, a slow page or repeated failure answers on the same page (or that names that
 * cause), and rage/dead clicks or retries that follow a blocking exception or a slow page there,
 * are consequences of it: they are counted on its pattern ("3 of 4 users gave up after it"), never
 * clustered on their own. An abandonment nothing explains stands alone. A root whose sessions
 * mostly ended in the user giving up is named after that ("Checkout abandoned after …").
 *
 * Proposed severity (the report adjusts it later in code, and drops `low`):
 * - blocking exception: `critical` when it blocks a conversion (product, cart, sign-in or checkout
 *   page, or a buy/order/pay/sign-up control), else `high`;
 * - abandonment: `high` in cart or checkout, else `medium`;
 * - confusion: `medium`;
 * - slow page: `high` when at least half of its users left while it loaded or the typical wait is
 *   `SLOW_HIGH_SECONDS` or more, else `medium`;
 * - non-blocking exception: `low` (never pattern evidence; reported only when `includeNonBlocking`).
 *
 * Every pattern carries its signature key in `match_key` (never in its text), which is how
 * `assignEventsOffline` finds its events again; patterns a model wrote are matched by their words.
 * Names, descriptions and indicators state no counts: they are counted before assignment and
 * merging, and the report's stats (sessions, users, who gave up) are the only figures a reader sees.
 */

const INDICATOR_MAX = 300;

interface FlaggedAction {
  sessionId: string;
  action: KeyAction;
  signature: IssueSignature;
  key: string;
  segmentSuccess: boolean;
  ms: number;
  /** Set when this is a consequence of another issue of the session: that root's signature key. */
  rootKey?: string;
}

/**
 * The site as these sessions show it: route templates learned from the pages their key actions
 * were on (`routes.ts`), so the same page with different ids or slugs is one area across sessions.
 */
function siteOf(summaries: readonly SessionSummary[], options: OfflineAnalystOptions): SiteModel {
  const paths = summaries.map((summary) =>
    keyActionsOf(summary)
      .map(({ action }) => action.current_url)
      .filter((url): url is string => typeof url === "string")
      .map((url) => pageAreaOf(url, options.site).path),
  );
  return learnSite(options.site, paths, options.routes);
}

function flaggedActions(summaries: readonly SessionSummary[], options: OfflineAnalystOptions): FlaggedAction[] {
  const { includeNonBlocking, consequenceWindowMs } = options.patterns;
  const site = siteOf(summaries, options);
  const flagged: FlaggedAction[] = [];
  for (const summary of summaries) {
    const ofSession: FlaggedAction[] = [];
    for (const { segment, action } of keyActionsOf(summary)) {
      for (const kind of issueKindsOf(action)) {
        if (kind === "non_blocking_exception" && !includeNonBlocking) continue;
        const signature = signatureOf(action, kind, site);
        ofSession.push({ sessionId: summary.session_id, action, signature, key: signatureKey(signature), segmentSuccess: segment.outcome.success, ms: action.ms_since_start });
      }
    }
    markConsequences(ofSession, consequenceWindowMs);
    flagged.push(...ofSession);
  }
  return flagged;
}

const sameWords = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Marks, within one session, the flagged actions that are consequences of another (see the header):
 * confusion after a blocking failure or a slow page on the same page; abandonment after a blocking
 * failure, a slow page or repeated failure answers on the same page, or naming that cause. Chains
 * resolve to the first root (an abandonment after answers that followed an exception is the exception's).
 */
function markConsequences(session: FlaggedAction[], consequenceWindowMs: number): void {
  const ordered = [...session].sort((a, b) => a.ms - b.ms);
  const rootOf = (flagged: FlaggedAction): string => flagged.rootKey ?? flagged.key;
  const hardRoots = ordered.filter((f) => f.signature.kind === "blocking_exception" || f.signature.kind === "slow_page");
  for (const confusion of ordered.filter((f) => f.signature.kind === "confusion")) {
    const root = hardRoots.filter((r) => r.ms <= confusion.ms && confusion.ms - r.ms <= consequenceWindowMs && r.signature.area === confusion.signature.area).at(-1);
    if (root) confusion.rootKey = rootOf(root);
  }
  for (const abandonment of ordered.filter((f) => f.signature.kind === "abandonment")) {
    const candidates = ordered.filter(
      (r) => r !== abandonment && r.ms <= abandonment.ms && (hardRoots.includes(r) || (r.signature.kind === "confusion" && r.signature.confusionSign === "repeated_failure")),
    );
    const named = candidates.filter(
      (r) =>
        (abandonment.signature.errorType && sameWords(r.signature.errorType, abandonment.signature.errorType)) ||
        (abandonment.signature.feedback && sameWords(r.signature.feedback, abandonment.signature.feedback)),
    );
    const root = named.at(-1) ?? candidates.filter((r) => r.signature.area === abandonment.signature.area).at(-1);
    if (root) abandonment.rootKey = rootOf(root);
  }
}

/** Pages where a blocking failure keeps users from a goal: flow steps, and a shop's product pages. */
const CONVERSION_PHASES: ReadonlySet<Phase> = new Set(["product", "cart", "sign-in", "task", "checkout"]);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!;
}

function proposedSeverity(signature: IssueSignature, options: OfflineAnalystOptions, members: readonly FlaggedAction[] = []): Severity {
  switch (signature.kind) {
    case "slow_page": {
      const left = members.filter((member) => member.signature.leftWhileWaiting).length;
      const wait = median(members.map((member) => member.signature.waitedSeconds ?? 0));
      return left * 2 >= members.length || wait >= options.patterns.slowHighSeconds ? "high" : "medium";
    }
    case "blocking_exception":
      return CONVERSION_PHASES.has(signature.phase) || options.site.goalControl.test(signature.control ?? "") ? "critical" : "high";
    case "abandonment":
      return signature.phase === "checkout" || signature.phase === "cart" || signature.phase === "task" ? "high" : "medium";
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
  confirmation: "Confirmation",
  task: "Form",
  other: "Page",
};

/** A page role's title; a confirmation after an order or a checkout is an order confirmation. */
function phaseTitle(phase: Phase, area: string): string {
  return phase === "confirmation" && /\b(checkout|order|orders)\b/.test(area) ? "Order confirmation" : PHASE_TITLES[phase];
}

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

function patternName(members: readonly FlaggedAction[], mostlyGaveUp = false): string {
  const signature = members[0]!.signature;
  const area = signature.area;
  const control = mostCommon(members.map((member) => member.signature.control));
  const errorType = mostCommon(members.map((member) => member.signature.errorType));
  const status = members.find((member) => member.signature.status !== undefined)?.signature.status;
  const where = signature.phase === "other" ? area : `${phaseTitle(signature.phase, signature.area)}`;
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
    case "slow_page": {
      const seconds = median(members.map((member) => member.signature.waitedSeconds ?? 0));
      const subject = signature.phase === "other" ? area : `${phaseTitle(signature.phase, signature.area)} (${area})`;
      return `${subject} loads slowly${seconds > 0 ? ` (about ${seconds} s behind a loading indicator)` : ""}`;
    }
    case "confusion": {
      const feedback = mostCommon(members.map((member) => member.signature.feedback));
      const signs = new Set(members.map((member) => member.signature.confusionSign));
      // Repeated refusals that most users gave up on: the leaving is what a reader must see first.
      if (feedback && mostlyGaveUp && signature.phase !== "other") return `${phaseTitle(signature.phase, signature.area)} abandoned after "${feedback}" repeatedly on ${area}`;
      if (feedback && mostlyGaveUp) return `Users abandon ${area} after "${feedback}" repeatedly`;
      if (feedback) return `${capitalize(feedback)} repeatedly on ${area}`;
      // The same control used again and again with no answer at all: the app refuses without saying so.
      if (signs.has("repeated_failure") && control && mostlyGaveUp) return `Users give up after ${controlName(control)} repeatedly gets nowhere on ${area}`;
      if (signs.has("repeated_failure") && control) return `${controlName(control)} repeatedly gets nowhere on ${area}`;
      if (signs.has("dead_click") && control) return `${controlName(control)} does nothing when clicked on ${area}`;
      if (signs.has("rage_click") && control) return `Rage clicks on ${controlName(control)} on ${area}`;
      if (signs.has("back_and_forth")) return `Back-and-forth navigation on ${area}`;
      return `Users struggle${control ? ` with ${controlName(control)}` : ""} on ${area}`;
    }
    case "abandonment": {
      const cause = signature.errorType ? ` after ${signature.errorType}` : signature.feedback ? ` after "${signature.feedback}"` : "";
      return signature.phase === "other" ? `Users abandon ${area}${cause}` : `${phaseTitle(signature.phase, signature.area)} abandoned${cause} on ${area}`;
    }
  }
}

const KIND_WORDS: Record<IssueKind, string> = {
  blocking_exception: "blocking exception",
  non_blocking_exception: "non-blocking exception",
  confusion: "confusion",
  abandonment: "abandonment",
  slow_page: "slow page",
};

function indicatorsOf(members: readonly FlaggedAction[], consequences: ConsequenceCounts): string[] {
  const signature = members[0]!.signature;
  const descriptions = members.map((member) => member.action.description);
  const some = (pattern: RegExp): boolean => descriptions.some((description) => pattern.test(description));
  const indicators = [`${capitalize(KIND_WORDS[signature.kind])} on ${signature.area}`];
  if (consequences.gaveUp > 0) indicators.push("Users give up after it");
  const errorText = mostCommon(members.map((member) => member.signature.errorText));
  if (errorText) indicators.push(limitLength(`Error: ${errorText}`, INDICATOR_MAX));
  const feedback = mostCommon(members.map((member) => member.signature.feedback));
  if (feedback) indicators.push(`The app answers "${feedback}" again and again`);
  if (some(/tried again|Tried "/)) indicators.push("Users try the same action again and it fails again");
  if (some(/rage-click/i)) indicators.push("Rage clicks");
  if (some(/dead click/)) indicators.push("Clicks that do nothing (dead clicks)");
  if (some(/left without|Left /)) indicators.push("Users leave without getting further");
  if (some(/carried on|carries on/)) indicators.push("Users carry on: the error does not stop them");
  if (signature.kind === "slow_page") indicators.push("A loading indicator stays on screen for seconds");
  return indicators.slice(0, 5);
}

/** What happens and what users do after it, in words; the example is one session's account. */
function descriptionOf(members: readonly FlaggedAction[], consequences: ConsequenceCounts): string {
  const example = members[0]!.action.description;
  const stopped = members.filter((member) => !member.segmentSuccess).length;
  const after = [consequences.gaveUp > 0 ? "users gave up after it" : "", consequences.retried > 0 ? "users struggled on after it (retries, rage or dead clicks)" : ""].filter(Boolean);
  const outcome = stopped === 0 ? "Users get past it" : stopped === members.length ? "It stops users at this step" : "It stops some users at this step";
  const lead = [outcome, ...after].join("; ");
  return limitLength(`${lead}. Example: ${example}`, 1024);
}

/** What the root problem led to in its sessions: the consequences marked on it. */
interface ConsequenceCounts {
  gaveUp: number;
  retried: number;
}

interface Cluster {
  key: string;
  members: FlaggedAction[];
  sessions: number;
  severity: Severity;
  consequences: ConsequenceCounts;
}

function consequencesOf(key: string, rootSessions: ReadonlySet<string>, flagged: readonly FlaggedAction[]): ConsequenceCounts {
  const of = flagged.filter((f) => f.rootKey === key && rootSessions.has(f.sessionId));
  return {
    gaveUp: new Set(of.filter((f) => f.signature.kind === "abandonment").map((f) => f.sessionId)).size,
    retried: new Set(of.filter((f) => f.signature.kind === "confusion").map((f) => f.sessionId)).size,
  };
}

function clustersOf(summaries: readonly SessionSummary[], overrides: OfflineAnalystOverrides): Cluster[] {
  const options = resolveAnalystOptions(overrides);
  const { minSessions } = options.patterns;
  const byKey = new Map<string, FlaggedAction[]>();
  const all = flaggedActions(summaries, options);
  // Consequences are counted on their root, never clustered on their own.
  for (const flagged of all.filter((f) => f.rootKey === undefined)) byKey.set(flagged.key, [...(byKey.get(flagged.key) ?? []), flagged]);
  return [...byKey.entries()]
    .map(([key, members]) => {
      const sessionIds = new Set(members.map((member) => member.sessionId));
      const consequences = consequencesOf(key, sessionIds, all);
      let severity = proposedSeverity(members[0]!.signature, options, members);
      if (consequences.gaveUp * 4 >= sessionIds.size * 3) {
        // Most users gave up: at least as severe as the abandonment it caused.
        const asAbandonment = proposedSeverity({ ...members[0]!.signature, kind: "abandonment" }, options);
        if (compareSeverity(asAbandonment, severity) < 0) severity = asAbandonment;
      }
      return { key, members, sessions: sessionIds.size, severity, consequences };
    })
    .filter((cluster) => cluster.sessions >= minSessions)
    .sort((a, b) => compareSeverity(a.severity, b.severity) || b.sessions - a.sessions || b.members.length - a.members.length || a.key.localeCompare(b.key));
}

/** Patterns from the flagged key actions of many sessions, numbered 1..n by severity, then reach. */
export function extractPatternsOffline(summaries: readonly SessionSummary[], overrides: OfflineAnalystOverrides = {}): RawPattern[] {
  const patterns = clustersOf(summaries, overrides).map((cluster, index) => ({
    pattern_id: index + 1,
    pattern_name: limitLength(patternName(cluster.members, cluster.consequences.gaveUp * 4 >= cluster.sessions * 3), 120),
    pattern_description: descriptionOf(cluster.members, cluster.consequences),
    severity: cluster.severity,
    indicators: indicatorsOf(cluster.members, cluster.consequences),
    match_key: limitLength(cluster.key, INDICATOR_MAX),
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
  if (/\b(slow|loads? slowly|loading|spinner|wait(s|ed|ing)?)\b/.test(lower)) return "slow_page";
  return undefined;
}

interface PatternMatcher {
  patternId: number;
  /** Exact: the signature key the offline analyst recorded on its pattern (`match_key`). */
  key?: string;
  /** The indicator was cut to its length limit: match keys that start with it. */
  keyTruncated: boolean;
  /** Loose (patterns a model wrote): the kind and the words of the pattern. */
  kind?: IssueKind;
  words: Set<string>;
  text: string;
}

function matcherOf(pattern: RawPattern): PatternMatcher {
  const signature = pattern.match_key;
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
  const options = resolveAnalystOptions(overrides);
  const { looseMatchMin } = options.patterns;
  const matchers = patterns.map(matcherOf);
  const flagged = flaggedActions(summaries, options);
  const chosen = new Map<number, Map<string, string>>();
  const assign = (patternId: number, flaggedAction: FlaggedAction): void => {
    const bySession = chosen.get(patternId) ?? new Map<string, string>();
    if (!bySession.has(flaggedAction.sessionId)) bySession.set(flaggedAction.sessionId, flaggedAction.action.event_id);
    chosen.set(patternId, bySession);
  };
  for (const flaggedAction of flagged) {
    const exact = matchers.filter(
      (matcher) =>
        matcher.key !== undefined &&
        // A consequence is never evidence of a signature pattern: its root's pattern counts it.
        flaggedAction.rootKey === undefined &&
        (flaggedAction.key === matcher.key || (matcher.keyTruncated && flaggedAction.key.startsWith(matcher.key))),
    );
    if (exact.length > 0) {
      for (const matcher of exact) assign(matcher.patternId, flaggedAction);
      continue;
    }
    // Patterns a model wrote may still list a consequence apart; the report merges such duplicates.
    if (flaggedAction.signature.kind === "non_blocking_exception" || (flaggedAction.rootKey !== undefined && matchers.some((m) => m.key === flaggedAction.rootKey))) continue;
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
