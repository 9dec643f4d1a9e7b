import { z } from "zod";
import type { KeyAction } from "../src/domain/summary.ts";
import type { ReportPattern } from "../src/domain/report.ts";
import { containsText } from "../src/domain/selection.ts";

/** What kind of problem a pattern is, read from the flags of its examples' key actions. */
export const PATTERN_KINDS = ["error", "slow", "confusion", "abandonment"] as const;
export type PatternKind = (typeof PATTERN_KINDS)[number];

const KIND_WORDS: Record<PatternKind, string> = {
  error: "errors",
  slow: "slow pages",
  confusion: "confusion",
  abandonment: "abandonment",
};

/** Narrowing of a report's patterns, shared by list_patterns and get_pattern. */
export const PatternFilterFields = {
  page: z.string().min(1).max(200).optional().describe("Only patterns whose examples are on a page whose URL contains this text, e.g. checkout or /cart"),
  kind: z.enum(PATTERN_KINDS).optional().describe("Only patterns of this kind: error, slow (slow pages), confusion, abandonment"),
};
export interface PatternFilter {
  page?: string | undefined;
  kind?: PatternKind | undefined;
}

function kindsOf(action: KeyAction): PatternKind[] {
  const kinds: PatternKind[] = [];
  if (action.exception) kinds.push("error");
  if (action.slow) kinds.push("slow");
  if (action.confusion) kinds.push("confusion");
  if (action.abandonment) kinds.push("abandonment");
  return kinds;
}

/**
 * A pattern's kinds: the flags carried by at least half of its examples' moments, so an error
 * pattern whose users also clicked again is an error pattern, not a confusion one.
 */
export function patternKinds(pattern: ReportPattern): PatternKind[] {
  const examples = pattern.examples;
  if (examples.length === 0) return [];
  const counts = new Map<PatternKind, number>();
  for (const example of examples) for (const kind of kindsOf(example.target)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return PATTERN_KINDS.filter((kind) => (counts.get(kind) ?? 0) * 2 >= examples.length);
}

/** Whether some example of the pattern happened on a page whose URL contains the text (any case). */
export function patternOnPage(pattern: ReportPattern, page: string): boolean {
  return pattern.examples.some((example) => containsText(example.target.current_url, page));
}

/** The patterns the filter keeps, in report order. */
export function filterPatterns(patterns: readonly ReportPattern[], filter: PatternFilter): ReportPattern[] {
  return patterns.filter((p) => (filter.page === undefined || patternOnPage(p, filter.page)) && (filter.kind === undefined || patternKinds(p).includes(filter.kind)));
}

const KIND_CLAUSE: Record<PatternKind, string> = {
  error: "that are errors",
  slow: "that are slow pages",
  confusion: "that show confusion",
  abandonment: "that end in abandonment",
};

/** e.g. `on pages containing "checkout" that are errors`; empty when nothing narrows. */
export function describePatternFilter(filter: PatternFilter): string {
  const parts: string[] = [];
  if (filter.page !== undefined) parts.push(`on pages containing ${JSON.stringify(filter.page)}`);
  if (filter.kind !== undefined) parts.push(KIND_CLAUSE[filter.kind]);
  return parts.join(" ");
}

export function kindWords(kinds: readonly PatternKind[]): string {
  return kinds.map((kind) => KIND_WORDS[kind]).join(", ") || "unclassified";
}

/**
 * When no example of any pattern is on a page containing the filter's text, the text was probably
 * not a page at all ("in Germany", "for enterprise"): say so, instead of a bare "no pattern".
 */
export function unknownPageNote(patterns: readonly ReportPattern[], filter: PatternFilter): string {
  if (filter.page === undefined || patterns.length === 0 || patterns.some((p) => patternOnPage(p, filter.page!))) return "";
  return (
    ` No page address of this report's patterns contains ${JSON.stringify(filter.page)}. If ${JSON.stringify(filter.page)} is not part of a page address ` +
    `(a country, a device, a group of users), narrowing by it needs a model: set ${CHAT_MODEL_SETTING} (for example ${CHAT_MODEL_SETTING}=openai:gpt-4.1-mini with OPENAI_API_KEY).`
  );
}

/** The setting that gives the chat a model (the offline chat's rules name it too). */
const CHAT_MODEL_SETTING = "SESSION_SUMMARIES_CHAT";
