import type { AnalyticsEvent } from "../domain/events.ts";
import { pageAreaOf, type Phase } from "./areas.ts";
import { classifyCustomEvent } from "./event-kinds.ts";
import type { OfflineAnalystOptions } from "./options.ts";
import { learnRouteTemplates, type LearnedRoutes } from "./routes.ts";
import type { SiteModel } from "./site.ts";

/**
 * Learning the site across sessions, before any of them is summarized: each session's summary
 * sees one session, but what a page is for shows only across many.
 *
 * - Route templates (`routes.ts`) over the sample's page paths.
 * - The usual order of pages: each route template's median relative position (0 = first page of
 *   a session, 1 = last) among the pages of the sessions that visit it, kept when at least
 *   `minSessionsForOrder` sessions visit it. It tells a step forward from a step back where the
 *   vocabulary cannot (`areas.ts`, `isForwardNavigation`).
 * - Goal pages: a template is one only when sessions reached it right after sending a goal event
 *   (or sent the goal there and ended the session on it), sessions without any issue signal end
 *   on it, most sessions reaching it had already sent a goal (reaching it says a goal was met),
 *   most sessions that sent no goal never see it (it is not a page sessions visit anyway), and it
 *   is not a browse page. Each count needs
 *   `goalMinSessions` sessions. They count as goals only in a session that sent no goal event of
 *   its own (`timeline.ts`, like pages named like a confirmation).
 *
 * Pure and deterministic: the same sessions in any order give the same result, which is plain
 * data (`LearnedSiteData`) so a run can store it, hash it and hand it to each session's summary.
 */

export type SiteLearningOptions = OfflineAnalystOptions["learning"];

/** What was learned, as plain JSON-ready data, sorted so equal knowledge serializes equally. */
export interface LearnedSiteData {
  /** Sessions the knowledge comes from. */
  sessions: number;
  routes: Array<{ prefix: string; placeholder: string; words: string[] }>;
  /** Route templates by median relative position in sessions (0 first … 1 last). */
  pageOrder: Array<{ area: string; position: number; sessions: number }>;
  goalPages: Array<{ area: string; sessions: number }>;
}

/** The events learning reads from one session (pageviews, custom events and issue signals). */
export type LearningSession = readonly AnalyticsEvent[];

/** Pages whose visit is browsing: never a goal however sessions end there. */
const BROWSE_PHASES: ReadonlySet<Phase> = new Set(["home", "catalogue", "search", "product", "sign-in"]);
const ISSUE_EVENTS: ReadonlySet<string> = new Set(["$exception", "$rageclick", "$dead_click"]);

function ownProperties(event: AnalyticsEvent): Record<string, unknown> {
  return Object.fromEntries(Object.entries(event.properties).filter(([key]) => !key.startsWith("$")));
}

function urlOf(event: AnalyticsEvent): string | undefined {
  const url = event.properties.$current_url;
  return typeof url === "string" && url !== "" ? url : undefined;
}

interface SessionFacts {
  /** Page templates in visit order (consecutive repeats collapsed). */
  visits: string[];
  /** Templates reached right after a goal event, the goal's own page when the session ended on it, and the last page after a goal. */
  nearGoal: Set<string>;
  /** Templates first reached after a goal event had been sent. */
  afterGoal: Set<string>;
  sentGoal: boolean;
  issues: boolean;
  lastPage?: string;
}

function factsOf(events: LearningSession, site: SiteModel, phases: Map<string, Phase>): SessionFacts {
  const ordered = [...events].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  const visits: string[] = [];
  const nearGoal = new Set<string>();
  const afterGoal = new Set<string>();
  const seen = new Set<string>();
  let sentGoal = false;
  let issues = false;
  let awaitingPageAfterGoal = false;
  let goalPage: string | undefined;
  for (const event of ordered) {
    if (ISSUE_EVENTS.has(event.event)) issues = true;
    if (event.event === "$pageview" || event.event === "$screen") {
      const url = urlOf(event);
      if (!url) continue;
      const page = pageAreaOf(url, site);
      const area = page.area;
      if (!phases.has(area)) phases.set(area, page.phase);
      if (visits.at(-1) !== area) visits.push(area);
      if (!seen.has(area)) {
        seen.add(area);
        if (sentGoal) afterGoal.add(area);
      }
      if (awaitingPageAfterGoal && area !== goalPage) nearGoal.add(area);
      awaitingPageAfterGoal = false;
      continue;
    }
    if (event.event.startsWith("$")) continue;
    const kind = classifyCustomEvent(event.event, ownProperties(event), site);
    if (kind === "failure" || kind === "server_error") issues = true;
    if (kind === "conversion") {
      sentGoal = true;
      awaitingPageAfterGoal = true;
      const url = urlOf(event);
      goalPage = url ? pageAreaOf(url, site).area : visits.at(-1);
    }
  }
  const lastPage = visits.at(-1);
  // Ended on the goal's own page, or on a page after it: where a goal leaves the user.
  if (sentGoal && lastPage !== undefined) nearGoal.add(lastPage);
  return { visits, nearGoal, afterGoal, sentGoal, issues, ...(lastPage !== undefined ? { lastPage } : {}) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Learns route templates, the usual page order and goal pages from sessions' events. */
export function learnSiteFromSessions(sessions: ReadonlyArray<LearningSession>, site: SiteModel, options: SiteLearningOptions, routeOptions: OfflineAnalystOptions["routes"]): LearnedSiteData {
  const paths = sessions.map((events) =>
    events
      .filter((event) => event.event === "$pageview" || event.event === "$screen")
      .map(urlOf)
      .filter((url): url is string => url !== undefined)
      .map((url) => pageAreaOf(url, site).path),
  );
  const learned = learnRouteTemplates(paths, routeOptions, { routeWords: site.routeWords, itemWords: site.itemWords });
  const learnedSite: SiteModel = { ...site, learned };
  const phases = new Map<string, Phase>();
  const facts = sessions.map((events) => factsOf(events, learnedSite, phases));

  const positions = new Map<string, number[]>();
  const visitedBy = new Map<string, number>();
  for (const { visits } of facts) {
    const firstIndex = new Map<string, number>();
    visits.forEach((area, index) => {
      if (!firstIndex.has(area)) firstIndex.set(area, index);
    });
    for (const [area, index] of firstIndex) {
      const position = visits.length > 1 ? index / (visits.length - 1) : 0;
      positions.set(area, [...(positions.get(area) ?? []), position]);
      count(visitedBy, area);
    }
  }
  const pageOrder = [...positions]
    .filter(([, values]) => values.length >= options.minSessionsForOrder)
    .map(([area, values]) => ({ area, position: Math.round(median(values) * 1000) / 1000, sessions: values.length }))
    .sort((a, b) => a.position - b.position || a.area.localeCompare(b.area));

  const nearGoal = new Map<string, number>();
  const afterGoal = new Map<string, number>();
  const cleanEnds = new Map<string, number>();
  for (const session of facts) {
    for (const area of session.nearGoal) count(nearGoal, area);
    for (const area of session.afterGoal) count(afterGoal, area);
    if (!session.issues && session.lastPage !== undefined) count(cleanEnds, session.lastPage);
  }
  // Pages sessions see anyway: visited by sessions that sent no goal at all.
  const withoutGoal = facts.filter((session) => !session.sentGoal && session.visits.length > 0);
  const visitedWithoutGoal = new Map<string, number>();
  for (const session of withoutGoal) for (const area of new Set(session.visits)) count(visitedWithoutGoal, area);
  const goalPages = [...nearGoal]
    .filter(([area, sessionsNear]) => {
      const visits = visitedBy.get(area) ?? 0;
      const phase = phases.get(area) ?? "other";
      return (
        sessionsNear >= options.goalMinSessions &&
        (cleanEnds.get(area) ?? 0) >= options.goalMinSessions &&
        (afterGoal.get(area) ?? 0) >= options.goalMinReachedAfterShare * visits &&
        (visitedWithoutGoal.get(area) ?? 0) <= options.goalMaxVisitShare * withoutGoal.length &&
        !BROWSE_PHASES.has(phase)
      );
    })
    .map(([area, sessionsNear]) => ({ area, sessions: sessionsNear }))
    .sort((a, b) => a.area.localeCompare(b.area));

  const routes = [...learned.parameters].map(([prefix, { placeholder, words }]) => ({ prefix, placeholder, words: [...words].sort() })).sort((a, b) => a.prefix.localeCompare(b.prefix));
  return { sessions: sessions.length, routes, pageOrder, goalPages };
}

/** A site model that knows what was learned: templates for areas and titles, page order, goal pages. */
export function withLearnedSite(site: SiteModel, data: LearnedSiteData): SiteModel {
  const learned: LearnedRoutes = { parameters: new Map(data.routes.map((route) => [route.prefix, { placeholder: route.placeholder, words: new Set(route.words) }])) };
  return {
    ...site,
    learned,
    pageOrder: new Map(data.pageOrder.map((entry) => [entry.area, entry.position])),
    learnedGoals: new Set(data.goalPages.map((entry) => entry.area)),
  };
}
