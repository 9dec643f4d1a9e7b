import { searchQueryOf, type PageArea, type Phase } from "./areas.ts";
import type { OfflineAnalystOptions } from "./options.ts";
import { quote, type QuoteOptions } from "./text.ts";
import { isUserAction, type Moment } from "./timeline.ts";
import { clickedTexts, routeTitle } from "./titles.ts";

type TitleOptions = OfflineAnalystOptions["titles"];

/**
 * Segments: stretches of the session with one goal.
 * 1. A new segment starts when the page area changes (`/product/:id` → `/cart`), or after more
 *    than `inactivityGapMs` without user activity (heartbeats and impressions do not count).
 * 2. Segments with no citable event, then those with fewer than `minCitableEvents`, are folded
 *    into a neighbour (one of the same phase group if there is one, else the previous).
 * 3. While there are more than `maxSegments`, the adjacent pair that is cheapest to merge is merged:
 *    cost = citable events of both, plus a penalty when their phase groups differ, the larger the
 *    more a flow step matters on its own (cart < confirmation < sign-in < checkout), plus a penalty
 *    when either holds an issue. Browsing pages merge together first; checkout stays alone longest.
 */

export interface SegmentDraft {
  moments: Moment[];
}

/** Browsing pages group together; each flow step stands alone. */
function groupOf(phase: Phase): string {
  return phase === "cart" || phase === "sign-in" || phase === "task" || phase === "checkout" || phase === "confirmation" ? phase : "browse";
}

/** What it costs to lose a phase group's own segment by merging it with another group. */
const STANDALONE_WEIGHT: Record<string, number> = { browse: 0, cart: 500, confirmation: 2_000, "sign-in": 3_000, task: 4_000, checkout: 5_000 };
const ISSUE_WEIGHT = 1_000;

function citableCount(segment: SegmentDraft): number {
  return segment.moments.reduce((count, moment) => count + (moment.eventId ? 1 : 0), 0);
}

function phasesOf(segment: SegmentDraft): Phase[] {
  const phases: Phase[] = [];
  for (const moment of segment.moments) {
    if (moment.url && phases.at(-1) !== moment.page.phase) phases.push(moment.page.phase);
  }
  return phases;
}

function isActivity(moment: Moment): boolean {
  return moment.kind !== "other" && moment.kind !== "pageleave" && moment.customClass !== "neutral";
}

function splitSegments(moments: readonly Moment[], inactivityGapMs: number): SegmentDraft[] {
  const segments: SegmentDraft[] = [];
  let current: SegmentDraft | undefined;
  let currentArea: string | undefined;
  let lastActiveMs: number | undefined;
  for (const moment of moments) {
    const areaChanged = moment.url !== undefined && currentArea !== undefined && moment.page.area !== currentArea && moment.kind !== "pageleave";
    const idle = lastActiveMs !== undefined && isActivity(moment) && moment.ms - lastActiveMs > inactivityGapMs;
    if (!current || areaChanged || idle) {
      current = { moments: [] };
      segments.push(current);
    }
    current.moments.push(moment);
    if (moment.url && moment.kind !== "pageleave") currentArea = moment.page.area;
    if (isActivity(moment)) lastActiveMs = moment.ms;
  }
  return segments;
}

function mergeInto(segments: SegmentDraft[], from: number, into: number): void {
  const [first, second] = from < into ? [from, into] : [into, from];
  segments[first] = { moments: [...segments[first]!.moments, ...segments[second]!.moments] };
  segments.splice(second, 1);
}

function neighbourFor(segments: readonly SegmentDraft[], index: number): number {
  const previous = index > 0 ? index - 1 : undefined;
  const next = index < segments.length - 1 ? index + 1 : undefined;
  const group = phasesOf(segments[index]!).map(groupOf);
  const sameGroup = (neighbour: number | undefined): boolean => neighbour !== undefined && phasesOf(segments[neighbour]!).some((phase) => group.includes(groupOf(phase)));
  if (sameGroup(previous)) return previous!;
  if (sameGroup(next)) return next!;
  return previous ?? next!;
}

/** `issueMoments`: moments flagged as issues; segments holding them are merged last. */
export function buildSegments(moments: readonly Moment[], options: OfflineAnalystOptions["segments"], issueMoments: ReadonlySet<Moment> = new Set()): SegmentDraft[] {
  const segments = splitSegments(moments, options.inactivityGapMs);
  const fold = (isTooSmall: (segment: SegmentDraft) => boolean): void => {
    for (let i = 0; segments.length > 1 && i < segments.length;) {
      if (isTooSmall(segments[i]!)) mergeInto(segments, i, neighbourFor(segments, i));
      else i += 1;
    }
  };
  fold((segment) => citableCount(segment) === 0);
  fold((segment) => citableCount(segment) < options.minCitableEvents);
  while (segments.length > Math.max(1, options.maxSegments)) {
    let best = 0;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 1 < segments.length; i += 1) {
      const left = phasesOf(segments[i]!).at(-1);
      const right = phasesOf(segments[i + 1]!)[0];
      const compatible = left !== undefined && right !== undefined && groupOf(left) === groupOf(right);
      const groupPenalty = compatible ? 0 : Math.max(STANDALONE_WEIGHT[groupOf(left ?? "other")] ?? 0, STANDALONE_WEIGHT[groupOf(right ?? "other")] ?? 0, 100);
      const issues = [segments[i]!, segments[i + 1]!].filter((segment) => segment.moments.some((moment) => issueMoments.has(moment))).length;
      const cost = citableCount(segments[i]!) + citableCount(segments[i + 1]!) + groupPenalty + issues * ISSUE_WEIGHT;
      if (cost < bestCost) {
        bestCost = cost;
        best = i;
      }
    }
    mergeInto(segments, best + 1, best);
  }
  return segments;
}

// ------------------------------------------------------------------------------------------ names

function searchQueries(moments: readonly Moment[]): string[] {
  const queries: string[] = [];
  for (const moment of moments) {
    if (moment.page.phase !== "search" && moment.customClass === undefined) continue;
    const fromUrl = moment.kind === "pageview" ? searchQueryOf(moment.url) : undefined;
    const fromProps = typeof moment.props.query === "string" ? moment.props.query : typeof moment.props.search_query === "string" ? moment.props.search_query : undefined;
    for (const query of [fromUrl, fromProps]) {
      const trimmed = query?.trim();
      if (trimmed && !queries.some((known) => known.toLowerCase() === trimmed.toLowerCase())) queries.push(trimmed);
    }
  }
  return queries;
}

function productNames(moments: readonly Moment[]): string[] {
  const names = new Set<string>();
  for (const moment of moments) {
    if (moment.page.phase !== "product") continue;
    const name = moment.props.name ?? moment.props.product_name;
    if (typeof name === "string" && name.trim()) names.add(name.trim());
  }
  return [...names];
}

/** The page of these moments the user did the most on (citable events, then actions). */
function dominantPage(moments: readonly Moment[]): PageArea | undefined {
  const weight = new Map<string, { page: PageArea; weight: number }>();
  for (const moment of moments) {
    if (!moment.url) continue;
    const entry = weight.get(moment.page.area) ?? { page: moment.page, weight: 0 };
    entry.weight += (moment.eventId ? 2 : 0) + (isUserAction(moment) ? 1 : 0) + 0.01;
    weight.set(moment.page.area, entry);
  }
  return [...weight.values()].sort((a, b) => b.weight - a.weight)[0]?.page;
}

/** A route's title, with the controls the user used there: `Onboarding: plan — "Choose Pro", "Continue"`. */
function routeLabel(moments: readonly Moment[], titles: TitleOptions, text: QuoteOptions): string | undefined {
  const page = dominantPage(moments);
  if (!page) return undefined;
  const used = clickedTexts(
    moments.filter((moment) => moment.page.area === page.area),
    titles,
    { ...text, maxQuotedLength: titles.maxClickedTextLength },
  );
  const title = routeTitle(page);
  return used.length > 0 ? `${title} — ${used.join(", ")}` : title;
}

function labelOfPhase(phase: Phase, moments: readonly Moment[], text: QuoteOptions, titles: TitleOptions): string {
  const inPhase = moments.filter((moment) => moment.page.phase === phase);
  const named = dominantPage(inPhase);
  // The product map's name for the page says it in the product's own words.
  if (named?.name) return routeLabel(inPhase, titles, text) ?? named.name;
  switch (phase) {
    case "home":
      return "Browsing the home page";
    case "catalogue":
      return "Browsing the catalogue";
    case "search": {
      const queries = searchQueries(inPhase)
        .slice(0, 2)
        .map((query) => quote(query, { ...text, maxQuotedLength: 40 }));
      return queries.length > 0 ? `Searching for ${queries.join(", ")}` : "Searching";
    }
    case "product": {
      const adds = inPhase.some((moment) => moment.customClass === "step" && /\badd/.test(moment.name.toLowerCase()));
      const paths = new Set(inPhase.filter((moment) => moment.kind === "pageview").map((moment) => moment.page.path));
      const names = productNames(inPhase);
      if (paths.size <= 1 && names.length === 1) return `${adds ? "Adding" : "Viewing"} ${quote(names[0], { ...text, maxQuotedLength: 40 })}${adds ? " to the cart" : ""}`;
      return adds ? "Browsing products and adding to cart" : "Browsing products";
    }
    case "cart":
      return "Reviewing the cart";
    case "sign-in":
      return /sign-?up|register|join/.test(named?.area ?? "") ? "Signing up" : "Signing in";
    case "checkout":
      return "Checkout";
    case "confirmation":
      return /checkout|order/.test(named?.area ?? "") ? "Order confirmation" : named ? routeTitle(named) : "Confirmation";
    case "task":
    case "other":
      return routeLabel(inPhase, titles, text) ?? "Other activity";
  }
}

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

/**
 * A segment's name: the one or two phases with the most citable events, in time order
 * ("Searching for 'jacket' and browsing products"). A checkout that did not succeed is a
 * "Checkout attempt".
 */
export function nameSegment(segment: SegmentDraft, succeeded: boolean, text: QuoteOptions, titles: TitleOptions): string {
  const weight = new Map<Phase, number>();
  for (const moment of segment.moments) {
    if (!moment.url) continue;
    weight.set(moment.page.phase, (weight.get(moment.page.phase) ?? 0) + (moment.eventId ? 2 : 0) + (isUserAction(moment) ? 1 : 0) + 0.01);
  }
  const ordered = phasesOf(segment).filter((phase, index, all) => all.indexOf(phase) === index);
  const top = [...ordered].sort((a, b) => (weight.get(b) ?? 0) - (weight.get(a) ?? 0)).slice(0, 2);
  const chosen = ordered.filter((phase) => top.includes(phase));
  if (chosen.length === 0) return "Session activity";
  const labels = chosen.map((phase) => {
    const label = labelOfPhase(phase, segment.moments, text, titles);
    return phase === "checkout" && !succeeded ? "Checkout attempt" : label;
  });
  return labels.length === 1 ? labels[0]! : `${labels[0]} and ${lowerFirst(labels[1]!)}`;
}
