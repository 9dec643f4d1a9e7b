import { DEFAULT_SITE, pathSegments, templateOfPath, type SiteModel } from "./site.ts";

/**
 * Page areas: which part of a site a URL belongs to, so "the same page" means the same kind of page
 * (`/product/oak-board` and `/product/linen-apron` are both `/product/:slug`; `/campaigns/new` is
 * not `/campaigns/:id`: see `routes.ts`), and the role it plays (`phaseOf`).
 *
 * Roles come from the site's vocabulary (`vocabulary.ts`) and product map. Generic ones:
 * `home`, `search`, `sign-in`, `task` (a step the user works through: `/things/new`, onboarding, a
 * mapped step, or any page where the user typed into a form: see `timeline.ts`), `confirmation`
 * (a goal reached) and `other`. A shop's vocabulary adds `catalogue`, `product`, `cart` and
 * `checkout`. Flow steps (`task`, `cart`, `sign-in`, `checkout`) are what a user can abandon.
 */

export const PHASES = ["home", "catalogue", "search", "product", "cart", "sign-in", "task", "checkout", "confirmation", "other"] as const;
export type Phase = (typeof PHASES)[number];

/** Steps of a flow the user can abandon: leaving one after working in it, without completing, is abandonment. */
export const FLOW_PHASES: ReadonlySet<Phase> = new Set(["cart", "sign-in", "task", "checkout"]);

/**
 * Position in the flow: moving to a higher rank (or to another browse page) is progress; moving
 * down (checkout → cart, a form → a list) is backing out.
 */
export const FUNNEL_RANK: Record<Phase, number> = {
  home: 0,
  catalogue: 0,
  search: 0,
  product: 0,
  other: 0,
  cart: 1,
  "sign-in": 1.5,
  task: 2,
  checkout: 2,
  confirmation: 3,
};

export interface PageArea {
  /** The exact path, lower-cased, without trailing slash (`/product/oak-serving-board`). */
  path: string;
  /** The route template: ids and slugs replaced by `:id` / `:slug` (`/product/:slug`). */
  area: string;
  phase: Phase;
  /** The product map's name for the page, when it has one. */
  name?: string;
  /** The product map says reaching this page is a goal. */
  goal?: boolean;
  /** Learned across sessions to be where a goal leaves users (`learn.ts`): a goal only in a session that sent no goal event. */
  learnedGoal?: boolean;
  /** Its usual place in sessions (0 first … 1 last), when learned across sessions. */
  order?: number;
}

export const UNKNOWN_AREA: PageArea = { path: "", area: "(unknown page)", phase: "other" };

function pathOf(url: string): string {
  try {
    return new URL(url, "http://relative.invalid").pathname;
  } catch {
    return url.split(/[?#]/)[0] ?? "";
  }
}

/** `/Product/Oak-Board/` → `/product/:slug`. */
export function normalizePath(rawPath: string, site: SiteModel = DEFAULT_SITE): { path: string; area: string } {
  const segments = pathSegments(rawPath);
  return { path: `/${segments.join("/")}`, area: templateOfPath(site, segments).area };
}

function phaseOf(area: string, query: string, site: SiteModel): Phase {
  const v = site.vocabulary;
  const words = area.split(/[/_.-]+/).filter((word) => word !== "" && !word.startsWith(":"));
  const has = (list: readonly string[]): boolean => words.some((word) => list.includes(word));
  const joined = area.replace(/[_-]/g, "");
  if (has(v.confirmationWords)) return "confirmation";
  if (has(v.checkoutWords)) return "checkout";
  if (has(v.cartWords)) return "cart";
  if (v.signInJoinedWords.some((word) => joined.includes(word))) return "sign-in";
  if (has(v.searchWords)) return "search";
  if (has(v.itemWords) && /\/:(id|slug)\b/.test(area)) return "product";
  if (has(v.catalogueWords)) return "catalogue";
  if (has(v.taskWords)) return "task";
  if (words.length === 0) return v.catalogueWords.length > 0 && /(^|[?&])(category|collection|c)=/.test(query) ? "catalogue" : "home";
  return "other";
}

/** The page area of a URL (absolute or relative); undefined or unparsable URLs give `UNKNOWN_AREA`. */
export function pageAreaOf(url: string | undefined, site: SiteModel = DEFAULT_SITE): PageArea {
  if (!url) return UNKNOWN_AREA;
  const segments = pathSegments(pathOf(url));
  const { area, route } = templateOfPath(site, segments);
  const queryAt = url.indexOf("?");
  const query = queryAt < 0 ? "" : url.slice(queryAt).split("#")[0]!.toLowerCase();
  const phase: Phase = route?.goal ? "confirmation" : route?.step ? "task" : phaseOf(area, query, site);
  const order = site.pageOrder?.get(area);
  return {
    path: `/${segments.join("/")}`,
    area,
    phase,
    ...(route?.name ? { name: route.name } : {}),
    ...(route?.goal ? { goal: true } : {}),
    ...(!route && site.learnedGoals?.has(area) ? { learnedGoal: true } : {}),
    ...(order !== undefined ? { order } : {}),
  };
}

/** The search query carried by a URL (`?q=`, `?query=`, `?search=`, `?s=`, `?term=`), if any. */
export function searchQueryOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const params = new URL(url, "http://relative.invalid").searchParams;
    for (const name of ["q", "query", "search", "s", "term", "keyword", "keywords"]) {
      const value = params.get(name)?.trim();
      if (value) return value;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Pages among which any move is onward: browsing has no order. */
const BROWSE_PHASES: ReadonlySet<Phase> = new Set(["home", "catalogue", "search", "product"]);

/**
 * Whether moving from one page to another carries the user forward (or onward while browsing).
 * The page roles decide; the usual order of pages learned across sessions (`learn.ts`) decides
 * what the roles cannot tell: two pages of the same role (two steps of a task), or a page with no
 * known role (`other`: a preview after its editor is forward, a list before it is back), when both
 * pages have a usual place at least `minOrderGap` apart. Between browse pages every move is onward.
 */
export function isForwardNavigation(from: PageArea, to: PageArea, minOrderGap = Number.POSITIVE_INFINITY): boolean {
  if (to.path === from.path) return false;
  const byRole = FUNNEL_RANK[to.phase] >= FUNNEL_RANK[from.phase];
  if (BROWSE_PHASES.has(from.phase) && BROWSE_PHASES.has(to.phase)) return byRole;
  const rolesCannotTell = from.phase === to.phase || from.phase === "other" || to.phase === "other";
  if (!rolesCannotTell || from.order === undefined || to.order === undefined || to.phase === "confirmation") return byRole;
  if (Math.abs(to.order - from.order) < minOrderGap) return byRole;
  return to.order > from.order;
}
