import { eventWords } from "./text.ts";
import { compileRoutes, matchRoute, type CompiledRoute, type ProductMap } from "./product-map.ts";
import { learnRouteTemplates, pathSegments, templatePrefix, type LearnedRoutes, type RouteLearningOptions } from "./routes.ts";
import { DEFAULT_VOCABULARY, extendVocabulary, type SiteVocabulary } from "./vocabulary.ts";

/**
 * What the analyst knows about the site: its vocabulary (`vocabulary.ts`), the product map when
 * one is given (`product-map.ts`), and route templates learned from many sessions when a caller
 * has them (`routes.ts`). Built once and shared; every rule reads pages and events through it.
 */
export interface SiteModel {
  vocabulary: SiteVocabulary;
  routes: CompiledRoute[];
  learned?: LearnedRoutes;
  /** Route template → its usual place in sessions (0 first … 1 last), learned across sessions (`learn.ts`). */
  pageOrder?: ReadonlyMap<string, number>;
  /** Route templates learned to be goal pages (`learn.ts`). */
  learnedGoals?: ReadonlySet<string>;
  /** Compiled from the vocabulary. */
  goalEvent: RegExp;
  stepEvent: RegExp;
  goalControl: RegExp;
  forwardControl: RegExp;
  routeWords: ReadonlySet<string>;
  itemWords: ReadonlySet<string>;
  /** Product map event names, as words. */
  mappedGoals: ReadonlySet<string>;
  mappedSteps: ReadonlySet<string>;
}

export interface SiteSettings {
  /** Default `DEFAULT_VOCABULARY` (generic words plus a shop's). */
  vocabulary?: SiteVocabulary;
  productMap?: ProductMap;
  learned?: LearnedRoutes;
}

function anyOf(sources: readonly string[]): RegExp {
  return sources.length === 0 ? /(?!)/ : new RegExp(sources.map((source) => `(?:${source})`).join("|"));
}

export function createSiteModel(settings: SiteSettings = {}): SiteModel {
  const map = settings.productMap;
  const routes = compileRoutes(map);
  // Literal segments of mapped routes are route words: never folded into ids.
  const mappedWords = routes.flatMap((route) => route.segments.filter((segment) => !segment.startsWith(":")));
  const vocabulary = extendVocabulary(settings.vocabulary ?? DEFAULT_VOCABULARY, { routeWords: mappedWords });
  return {
    vocabulary,
    routes,
    ...(settings.learned ? { learned: settings.learned } : {}),
    goalEvent: anyOf(vocabulary.goalPhrases),
    stepEvent: anyOf(vocabulary.stepPhrases),
    goalControl: new RegExp(vocabulary.goalControlPhrases.map((source) => `(?:${source})`).join("|") || "(?!)", "i"),
    forwardControl: new RegExp(vocabulary.forwardControlPhrases.map((source) => `(?:${source})`).join("|") || "(?!)", "i"),
    routeWords: new Set(vocabulary.routeWords),
    itemWords: new Set(vocabulary.itemWords),
    mappedGoals: new Set((map?.goals ?? []).map(eventWords)),
    mappedSteps: new Set((map?.steps ?? []).map(eventWords)),
  };
}

export const DEFAULT_SITE: SiteModel = createSiteModel();

/** The template of a path: a product map route first, then learned positions, then per-URL rules. */
export function templateOfPath(site: SiteModel, segments: readonly string[]): { area: string; route?: CompiledRoute } {
  const route = matchRoute(site.routes, segments);
  if (route) return { area: route.pattern, route };
  return { area: templatePrefix(segments, site.learned, { routeWords: site.routeWords, itemWords: site.itemWords }) || "/" };
}

/** A site model that also knows the route templates learned from these sessions' page paths. */
export function learnSite(site: SiteModel, pathsPerSession: ReadonlyArray<readonly string[]>, options: RouteLearningOptions): SiteModel {
  return { ...site, learned: learnRouteTemplates(pathsPerSession, options, { routeWords: site.routeWords, itemWords: site.itemWords }) };
}

export { pathSegments };
