import type { ReportPattern } from "../../domain/report.ts";
import { exampleKey, type PageSession } from "./types.ts";

/**
 * The ids of the page's own elements. A pattern's bare-slug alias anchor must not take one of
 * them (nor any other id on the page): `getElementById` returns the first element in document order.
 */
export const PAGE_ELEMENT_IDS: readonly string[] = [
  "page-header",
  "page-patterns",
  "patterns-heading",
  "page-pattern-list",
  "page-filters",
  "filter-blocking",
  "filter-validated",
  "filter-count",
  "page-sessions",
  "sessions-heading",
  "page-left-out",
  "left-out-heading",
  "page-chat",
  "chat-heading",
  "chat-log",
  "chat-form",
  "chat-input",
  "chat-send",
  "chat-status",
  "page-config",
];

/** The `id` of a pattern's element and its URL fragment. */
export function patternAnchor(pattern: Pick<ReportPattern, "slug">): string {
  return `pattern-${pattern.slug}`;
}

/**
 * Pattern id → its bare-slug alias anchor, for the slugs that take no id the page already uses
 * (its own elements, pattern, example and session anchors, replay data blocks, earlier aliases).
 */
export function aliasAnchors(patterns: readonly ReportPattern[], sessions: readonly PageSession[]): Map<number, string> {
  const taken = new Set<string>(PAGE_ELEMENT_IDS);
  for (const p of patterns) {
    taken.add(patternAnchor(p));
    p.examples.forEach((_, i) => taken.add(`example-${exampleKey(p.id, i)}`));
  }
  for (const s of sessions) taken.add(`session-${s.session_id}`);
  const aliases = new Map<number, string>();
  for (const p of patterns) {
    if (p.slug === "" || taken.has(p.slug) || /^replay-events-\d+$/.test(p.slug)) continue;
    taken.add(p.slug);
    aliases.set(p.id, p.slug);
  }
  return aliases;
}
