import type { OfflineAnalystOptions } from "./options.ts";

/**
 * Route templates: which part of a URL path names a page (`/campaigns`, `/new`, `/settings/billing`)
 * and which names one thing (`/campaigns/:id`, `/product/:slug`).
 *
 * Per URL, without any other data (`templateSegment`): numbers, uuids, long hex and mixed
 * letter-digit codes are always ids; known route words (`new`, `edit`, `settings`…) are always
 * words; a segment after an item word (`/product/<x>`) and a deep multi-word slug are slugs.
 *
 * From the data (`learnRouteTemplates`): at each path position under the same templated prefix,
 * when sessions show at least `minDistinctValues` different values, the position is a parameter:
 * its values fold, except route words and single words that many of the sessions there share
 * (`/campaigns/new` next to `/campaigns/c_81f2…`). A position with few values keeps the per-URL
 * decision, so `/settings/billing` stays, and a rare site with two products still folds their ids.
 */

export const ID = ":id";
export const SLUG = ":slug";

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const LONG_HEX = /^(?=.*\d)[0-9a-f]{8,}$/i;
const VERSION = /^v\d+$/i;

/** Always an id, whatever the data says: numbers, uuids, hashes, mixed letter-digit codes (`nw-58213`, `c_8f3k2a`). */
export function isIdentifier(segment: string): boolean {
  if (/^\d+$/.test(segment) || UUID.test(segment) || LONG_HEX.test(segment)) return true;
  return segment.length >= 5 && /\d/.test(segment) && /[a-z]/i.test(segment) && !VERSION.test(segment);
}

/** One plain word (`billing`, `new`): how menus and actions are named; slugs and codes are not. */
function isPlainWord(segment: string): boolean {
  return /^[a-z]+$/i.test(segment);
}

export interface SegmentContext {
  previous: string | undefined;
  depth: number;
  routeWords: ReadonlySet<string>;
  itemWords: ReadonlySet<string>;
}

/** The per-URL decision for one segment: itself, `:id` or `:slug`. */
export function templateSegment(segment: string, context: SegmentContext): string {
  if (isIdentifier(segment)) return ID;
  if (context.routeWords.has(segment)) return segment;
  if (context.previous !== undefined && context.itemWords.has(context.previous)) return SLUG;
  // Deep, multi-word slugs are item names (`/guides/how-to-brew-coffee`), not sections (`/sign-in`).
  return context.depth >= 1 && (segment.match(/-/g)?.length ?? 0) >= 2 ? SLUG : segment;
}

/** Lower-cased, decoded path segments (`/Product/Oak%20Board/` → `product`, `oak board`). */
export function pathSegments(rawPath: string): string[] {
  const segments = rawPath
    .toLowerCase()
    .split("/")
    .filter((segment) => segment !== "");
  try {
    return segments.map((segment) => decodeURIComponent(segment));
  } catch {
    // A malformed escape: keep the raw segments.
    return segments;
  }
}

/** What the data taught about path positions: per templated prefix, the parameter positions and the words kept there. */
export interface LearnedRoutes {
  /** `"/campaigns"` → words kept at the next position (the rest fold), for positions found to be parameters. */
  parameters: ReadonlyMap<string, { placeholder: string; words: ReadonlySet<string> }>;
}

export type RouteLearningOptions = OfflineAnalystOptions["routes"];

/**
 * Learns parameter positions from the paths each session visited (one list per session).
 * Deterministic: the same sessions in any order give the same templates.
 */
export function learnRouteTemplates(pathsPerSession: ReadonlyArray<readonly string[]>, options: RouteLearningOptions, context: Omit<SegmentContext, "previous" | "depth">): LearnedRoutes {
  const parameters = new Map<string, { placeholder: string; words: Set<string> }>();
  const sessions = pathsPerSession.map((paths) => [...new Set(paths.map(pathSegments).map((segments) => segments.join("/")))].map((joined) => (joined ? joined.split("/") : [])));
  const maxDepth = Math.max(0, ...sessions.flat().map((segments) => segments.length));
  for (let depth = 0; depth < maxDepth; depth += 1) {
    // value → sessions, per templated prefix
    const byPrefix = new Map<string, Map<string, Set<number>>>();
    const sessionsAtPrefix = new Map<string, Set<number>>();
    sessions.forEach((paths, sessionIndex) => {
      for (const segments of paths) {
        if (segments.length <= depth) continue;
        const prefix = templatePrefix(segments.slice(0, depth), { parameters }, context);
        const values = byPrefix.get(prefix) ?? new Map<string, Set<number>>();
        byPrefix.set(prefix, values);
        const value = segments[depth]!;
        values.set(value, (values.get(value) ?? new Set()).add(sessionIndex));
        sessionsAtPrefix.set(prefix, (sessionsAtPrefix.get(prefix) ?? new Set()).add(sessionIndex));
      }
    });
    for (const [prefix, values] of byPrefix) {
      if (values.size < options.minDistinctValues) continue;
      const total = sessionsAtPrefix.get(prefix)!.size;
      const plainWords = [...values.keys()].filter((value) => isPlainWord(value)).length;
      // Mostly plain words is a menu (`/settings/billing`, `/settings/team`…), not a parameter.
      if (plainWords * 2 >= values.size) continue;
      const words = new Set<string>();
      let ids = 0;
      let slugs = 0;
      for (const [value, seenIn] of values) {
        const shared = seenIn.size >= options.wordMinSessions && seenIn.size / total >= options.wordMinSessionShare;
        if (context.routeWords.has(value) || (isPlainWord(value) && shared)) words.add(value);
        else if (isIdentifier(value)) ids += 1;
        else slugs += 1;
      }
      parameters.set(prefix, { placeholder: ids >= slugs ? ID : SLUG, words });
    }
  }
  return { parameters };
}

/** The templated form of a path's segments, learned positions first, per-URL rules otherwise. */
export function templatePrefix(segments: readonly string[], learned: LearnedRoutes | undefined, context: Omit<SegmentContext, "previous" | "depth">): string {
  let prefix = "";
  segments.forEach((segment, depth) => {
    const parameter = learned?.parameters.get(prefix);
    let templated: string;
    if (parameter) templated = parameter.words.has(segment) && !isIdentifier(segment) ? segment : isIdentifier(segment) ? ID : parameter.placeholder;
    else templated = templateSegment(segment, { ...context, previous: segments[depth - 1], depth });
    prefix = `${prefix}/${templated}`;
  });
  return prefix;
}
