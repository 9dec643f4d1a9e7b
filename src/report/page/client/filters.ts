/** What the filter form asks for. */
export interface FilterState {
  severities: ReadonlySet<string>;
  blockingOnly: boolean;
  validatedOnly: boolean;
}

/** What a pattern's list item says about itself (its `data-*` attributes). */
export interface PatternFacts {
  severity: string;
  blocking: boolean;
  validated: boolean;
}

export function patternVisible(facts: PatternFacts, filter: FilterState): boolean {
  return filter.severities.has(facts.severity) && (!filter.blockingOnly || facts.blocking) && (!filter.validatedOnly || facts.validated);
}

/** `#pattern-x`, `#example-3-0`, `#replay-3-0`, or a bare slug of the earlier page: what the fragment points at. */
export type FragmentTarget = { kind: "pattern" | "example" | "replay" | "element"; id: string } | undefined;

export function parseFragment(hash: string): FragmentTarget {
  let id: string;
  try {
    id = decodeURIComponent(hash.replace(/^#/, ""));
  } catch {
    return undefined;
  }
  if (id === "") return undefined;
  if (id.startsWith("pattern-")) return { kind: "pattern", id };
  if (id.startsWith("example-")) return { kind: "example", id };
  if (id.startsWith("replay-")) return { kind: "replay", id: `example-${id.slice("replay-".length)}` };
  return { kind: "element", id };
}
