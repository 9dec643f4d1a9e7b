import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { AnalystError } from "./errors.ts";

/**
 * The optional product map: a small JSON or YAML file that tells the offline analyst what it
 * cannot learn from one session — what the pages are called, which custom events mean a goal was
 * reached, and which pages are steps that matter (leaving one unfinished is abandonment).
 *
 * ```yaml
 * routes:
 *   /campaigns: { name: Browsing campaigns }
 *   /campaigns/new: { name: Creating a campaign, step: true }
 *   /campaigns/:id/edit: { name: Editing a campaign, step: true }
 *   /onboarding/*: { name: Onboarding, step: true }
 *   /welcome/done: { name: Onboarding finished, goal: true }
 * goals: [campaign_sent, onboarding_completed]
 * steps: [draft_saved]
 * ```
 *
 * Route patterns start with `/`; `:name` matches one path segment, a final `*` the rest of the
 * path. A URL that matches a pattern gets the pattern as its page area. Without a map the analyst
 * learns all of this from the data, less sharply.
 */

const ROUTE_PATTERN = /^\/(?:(?:[a-z0-9._~-]+|:[a-z_][a-z0-9_]*)(?:\/(?:[a-z0-9._~-]+|:[a-z_][a-z0-9_]*))*)?(?:\/\*)?$/i;

const RouteSchema = z
  .object({
    /** What the user does on this page, in the product's words: the segment title. */
    name: z.string().trim().min(1).max(80).optional(),
    /** A step that matters: leaving it without reaching a goal is abandonment. */
    step: z.boolean().optional(),
    /** Reaching this page means a goal was reached. */
    goal: z.boolean().optional(),
  })
  .strict();

export const ProductMapSchema = z
  .object({
    routes: z.record(z.string().regex(ROUTE_PATTERN, "a route pattern like /things/:id/edit or /onboarding/*"), RouteSchema).default({}),
    /** Custom event names (as the product sends them) that mean a goal was reached. */
    goals: z.array(z.string().trim().min(1)).default([]),
    /** Custom event names that are a step toward a goal. */
    steps: z.array(z.string().trim().min(1)).default([]),
  })
  .strict();

export type ProductMap = z.output<typeof ProductMapSchema>;
export type ProductMapInput = z.input<typeof ProductMapSchema>;

export interface CompiledRoute {
  pattern: string;
  segments: string[];
  /** Ends in `*`: matches any deeper path too. */
  open: boolean;
  name?: string;
  step: boolean;
  goal: boolean;
}

/** Bad product map file: code `product_map_unreadable` or `product_map_invalid`, message naming the file and the field. */
export class ProductMapError extends AnalystError {}

/** Validates a parsed map; `source` names it in errors (a file path, or "product map"). */
export function parseProductMap(value: unknown, source = "product map"): ProductMap {
  const parsed = ProductMapSchema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map(String);
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    path.push(issue.keys[0]!);
    message = `unknown field (known: ${path.length === 1 ? "routes, goals, steps" : "name, step, goal"})`;
  } else if (issue.code === "invalid_key") {
    message = "not a route pattern like /things/:id/edit or /onboarding/*";
  }
  const field = path.length > 0 ? path.join(".") : "(top level)";
  throw new ProductMapError("product_map_invalid", `${source}: field ${field}: ${message}`);
}

/** Reads a `.json`, `.yaml` or `.yml` product map. */
export function loadProductMap(file: string): ProductMap {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ProductMapError("product_map_unreadable", `${file}: cannot read the product map (${(error as Error).message})`, { cause: error });
  }
  let value: unknown;
  try {
    value = path.extname(file).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ProductMapError("product_map_invalid", `${file}: not valid ${path.extname(file).toLowerCase() === ".json" ? "JSON" : "YAML"} (${(error as Error).message})`, { cause: error });
  }
  return parseProductMap(value, file);
}

export function compileRoutes(map: ProductMap | undefined): CompiledRoute[] {
  if (!map) return [];
  const routes = Object.entries(map.routes).map(([pattern, route]) => {
    const lower = pattern.toLowerCase().replace(/\/$/, "") || "/";
    const open = lower.endsWith("/*");
    const segments = (open ? lower.slice(0, -2) : lower).split("/").filter((segment) => segment !== "");
    return { pattern: lower, segments, open, ...(route.name ? { name: route.name } : {}), step: route.step ?? false, goal: route.goal ?? false };
  });
  // The most specific pattern wins: more literal segments first, closed before open.
  return routes.sort(
    (a, b) =>
      b.segments.filter((segment) => !segment.startsWith(":")).length - a.segments.filter((segment) => !segment.startsWith(":")).length ||
      Number(a.open) - Number(b.open) ||
      b.segments.length - a.segments.length,
  );
}

export function matchRoute(routes: readonly CompiledRoute[], segments: readonly string[]): CompiledRoute | undefined {
  return routes.find((route) => {
    if (route.open ? segments.length < route.segments.length : segments.length !== route.segments.length) return false;
    return route.segments.every((part, index) => part.startsWith(":") || part === segments[index]);
  });
}
