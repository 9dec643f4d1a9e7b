/**
 * Page areas: which part of a site a URL belongs to, so "the same page" means the same kind of page
 * (`/product/oak-board` and `/product/linen-apron` are both `/product/:id`), and where it sits in a
 * purchase-like funnel (browse → cart → sign-in → checkout → confirmation).
 */

export const PHASES = ["home", "catalogue", "search", "product", "cart", "sign-in", "checkout", "confirmation", "other"] as const;
export type Phase = (typeof PHASES)[number];

/** Steps of a flow the user can abandon: leaving one after working in it, without completing, is abandonment. */
export const FLOW_PHASES: ReadonlySet<Phase> = new Set(["cart", "sign-in", "checkout"]);

/**
 * Position in the funnel: moving to a higher rank (or to another browse page) is progress; moving
 * down (checkout → cart) is backing out.
 */
export const FUNNEL_RANK: Record<Phase, number> = {
  home: 0,
  catalogue: 0,
  search: 0,
  product: 0,
  other: 0,
  cart: 1,
  "sign-in": 1.5,
  checkout: 2,
  confirmation: 3,
};

export interface PageArea {
  /** The exact path, lower-cased, without trailing slash (`/product/oak-serving-board`). */
  path: string;
  /** The normalized path: ids and slugs replaced by `:id` (`/product/:id`). */
  area: string;
  phase: Phase;
}

export const UNKNOWN_AREA: PageArea = { path: "", area: "(unknown page)", phase: "other" };

/** Path words after which the next segment names one item (`/product/<slug>`, `/orders/<id>`). */
const COLLECTION_WORDS = new Set([
  "p", "product", "products", "item", "items", "listing", "listings", "order", "orders", "user", "users", "u",
  "profile", "profiles", "post", "posts", "article", "articles", "blog", "recipe", "recipes", "ticket", "tickets",
  "project", "projects", "invoice", "invoices", "category", "categories", "collection", "collections", "tag", "tags",
]);

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const LONG_HEX = /^[0-9a-f]{8,}$/i;

/** Whether one path segment is an identifier rather than a page name. */
function isIdentifierSegment(segment: string, previous: string | undefined, depth: number): boolean {
  if (/^\d+$/.test(segment) || UUID.test(segment) || LONG_HEX.test(segment)) return true;
  // Mixed letters and digits of some length: order numbers, short ids (`nw-58213`, `a1b2c3`).
  if (segment.length >= 5 && /\d/.test(segment) && /[a-z]/i.test(segment) && !/^v\d+$/i.test(segment)) return true;
  if (previous !== undefined && COLLECTION_WORDS.has(previous)) return true;
  // Deep, multi-word slugs are item names (`/guides/how-to-brew-coffee`), not sections (`/sign-in`).
  return depth >= 1 && (segment.match(/-/g)?.length ?? 0) >= 2;
}

function pathOf(url: string): string {
  try {
    return new URL(url, "http://relative.invalid").pathname;
  } catch {
    return url.split(/[?#]/)[0] ?? "";
  }
}

/** `/Product/Oak-Board/` → `/product/:id`. */
export function normalizePath(rawPath: string): { path: string; area: string } {
  const segments = rawPath
    .toLowerCase()
    .split("/")
    .filter((segment) => segment !== "");
  let decoded = segments;
  try {
    decoded = segments.map((segment) => decodeURIComponent(segment));
  } catch {
    // A malformed escape: keep the raw segments.
  }
  const normalized = decoded.map((segment, depth) => (isIdentifierSegment(segment, decoded[depth - 1], depth) ? ":id" : segment));
  return { path: `/${decoded.join("/")}`, area: `/${normalized.join("/")}` };
}

function phaseOf(area: string, query: string): Phase {
  const words = area.split(/[/_.-]+/).filter((word) => word !== "" && word !== ":id");
  const has = (pattern: RegExp): boolean => words.some((word) => pattern.test(word));
  const joined = area.replace(/[_-]/g, "");
  if (has(/^(confirmation|confirmed|thanks?|thankyou|success|receipt|complete|completed)$/)) return "confirmation";
  if (has(/^(checkout|payment|pay|billing)$/)) return "checkout";
  if (has(/^(cart|basket|bag|trolley)$/)) return "cart";
  if (/(signin|login|logon|signup|register|auth)/.test(joined)) return "sign-in";
  if (has(/^(search|find|results)$/)) return "search";
  if (has(/^(p|product|products|item|items|listing|listings)$/) && area.includes(":id")) return "product";
  if (has(/^(category|categories|catalog|catalogue|collections?|shop|store|products)$/)) return "catalogue";
  if (words.length === 0) return /(^|[?&])(category|collection|c)=/.test(query) ? "catalogue" : "home";
  return "other";
}

/** The page area of a URL (absolute or relative); undefined or unparsable URLs give `UNKNOWN_AREA`. */
export function pageAreaOf(url: string | undefined): PageArea {
  if (!url) return UNKNOWN_AREA;
  const { path, area } = normalizePath(pathOf(url));
  const queryAt = url.indexOf("?");
  const query = queryAt < 0 ? "" : url.slice(queryAt).split("#")[0]!.toLowerCase();
  return { path, area, phase: phaseOf(area, query) };
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

/** Whether moving from one page to another carries the user forward (or onward while browsing). */
export function isForwardNavigation(from: PageArea, to: PageArea): boolean {
  if (to.path === from.path) return false;
  return FUNNEL_RANK[to.phase] >= FUNNEL_RANK[from.phase];
}
