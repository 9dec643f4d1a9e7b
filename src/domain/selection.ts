import { z } from "zod";
import { describeIssues, SessionSummariesError } from "./errors.ts";

/**
 * Which sessions a report or a listing covers: one schema for the CLI flags, the reports API body,
 * the chat tools and the report graph's input (Studio). Every field narrows; an empty selection is
 * every session (up to `limit`). Dates are ISO strings, so a selection is plain JSON (graph state).
 */

export const MAX_SELECTION_IDS = 1_000;
export const MAX_SELECTION_LIMIT = 1_000;

/** Text whose UTF-16 is well formed: a lone surrogate is refused here, not deep in a store. */
const LONE_SURROGATE = /\p{Cs}/u;
/** Non-empty, trimmed, well-formed text of at most `max` characters: every text field of every surface. */
export const wellFormedText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !LONE_SURROGATE.test(value), { message: "must be well-formed text (no lone surrogate)" });
const isoDate = z.string().refine((value) => !Number.isNaN(Date.parse(value)), { message: "expected an ISO date or time, e.g. 2026-11-01 or 2026-11-01T10:00:00Z" });

/** The fields, each described for people and for the chat model (tool schemas reuse them). */
export const SessionSelectionFields = {
  ids: z.array(wellFormedText(200)).min(1, "must list at least one session id").max(MAX_SELECTION_IDS).optional().describe("Exactly these sessions (no other field may be given with them)"),
  from: isoDate.optional().describe("Only sessions that started at or after this ISO date or time, e.g. 2026-11-20 or 2026-11-20T08:00:00Z"),
  to: isoDate.optional().describe("Only sessions that started before this ISO date or time"),
  first_url_contains: wellFormedText(500).optional().describe("Only sessions whose FIRST page's URL contains this text (where they landed), e.g. utm_source or /product/"),
  visited_url_contains: wellFormedText(500).optional().describe("Only sessions that visited, at any point, a page whose URL contains this text, e.g. checkout"),
  event: wellFormedText(200).optional().describe("Only sessions with an event of this name, e.g. $exception, $rageclick, $dead_click"),
  person: wellFormedText(200).optional().describe("Only sessions of this person (distinct id, or part of it)"),
  has_exception: z.boolean().optional().describe("true: only sessions with at least one error ($exception); false: only sessions without"),
  min_duration_ms: z.number().int().nonnegative().optional().describe("Only sessions lasting at least this many milliseconds, e.g. 30000 for 30 s"),
  limit: z.number().int().min(1).max(MAX_SELECTION_LIMIT).optional().describe("At most this many sessions, newest first"),
};

/** `url_contains` meant the first URL in the CLI and any visited page elsewhere: it is refused, naming both replacements. */
export const URL_CONTAINS_REMOVED =
  "was removed because it meant different things in different places: use visited_url_contains (any page the session visited) or first_url_contains (the session's first page)";

const FILTER_FIELDS = ["from", "to", "first_url_contains", "visited_url_contains", "event", "person", "has_exception", "min_duration_ms", "limit"] as const;

export const SessionSelectionSchema = z
  .strictObject({ ...SessionSelectionFields, url_contains: z.unknown().optional() })
  .superRefine((selection, context) => {
    if (selection.url_contains !== undefined) context.addIssue({ code: "custom", path: ["url_contains"], message: URL_CONTAINS_REMOVED });
    if (selection.from && selection.to && Date.parse(selection.from) >= Date.parse(selection.to)) {
      context.addIssue({ code: "custom", path: ["to"], message: `must be after from (${selection.from})` });
    }
    const filters = FILTER_FIELDS.filter((name) => selection[name] !== undefined);
    if (selection.ids && filters.length > 0) {
      context.addIssue({ code: "custom", path: ["ids"], message: `choose sessions either by ids or by filters, not both (also given: ${filters.join(", ")})` });
    }
  })
  .transform(({ url_contains: _removed, ...selection }) => normalized(selection));

export type SessionSelection = z.output<typeof SessionSelectionSchema>;

/** A selection that is not valid; the message names the field, e.g. `to: must be after from (…)`. */
export class SelectionError extends SessionSummariesError {
  constructor(message: string) {
    super("invalid_selection", message);
  }
}

/** The valid selection (dates as ISO instants, ids once each), or `SelectionError` naming the wrong fields. */
export function parseSelection(input: unknown): SessionSelection {
  const parsed = SessionSelectionSchema.safeParse(input ?? {});
  if (!parsed.success) throw new SelectionError(`invalid session selection: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** The selection, or the problem as one line (for tools, which answer the model instead of throwing). */
export function checkSelection(input: unknown): SessionSelection | string {
  try {
    return parseSelection(input);
  } catch (error) {
    if (error instanceof SelectionError) return error.message;
    throw error;
  }
}

function normalized<T extends { ids?: string[]; from?: string; to?: string }>(selection: T): T {
  return {
    ...selection,
    ...(selection.ids ? { ids: [...new Set(selection.ids.map((id) => id.trim()))] } : {}),
    ...(selection.from !== undefined ? { from: new Date(selection.from).toISOString() } : {}),
    ...(selection.to !== undefined ? { to: new Date(selection.to).toISOString() } : {}),
  };
}

/** Whether a selection needs the sessions' events (pages visited, event names, people), not only their metadata. */
export function needsEvents(selection: SessionSelection): boolean {
  return selection.visited_url_contains !== undefined || selection.event !== undefined || selection.person !== undefined;
}

/** In words, the same on every surface, e.g. `with errors, that visited a page containing "checkout", newest 10`. */
export function describeSelection(selection: SessionSelection): string {
  if (selection.ids) return `${selection.ids.length} chosen session${selection.ids.length === 1 ? "" : "s"}`;
  const parts: string[] = [];
  if (selection.has_exception === true) parts.push("with errors");
  if (selection.has_exception === false) parts.push("without errors");
  if (selection.first_url_contains) parts.push(`whose first page contains ${JSON.stringify(selection.first_url_contains)}`);
  if (selection.visited_url_contains) parts.push(`that visited a page containing ${JSON.stringify(selection.visited_url_contains)}`);
  if (selection.event) parts.push(`with a ${JSON.stringify(selection.event)} event`);
  if (selection.person) parts.push(`of person ${JSON.stringify(selection.person)}`);
  if (selection.from) parts.push(`from ${selection.from}`);
  if (selection.to) parts.push(`before ${selection.to}`);
  if (selection.min_duration_ms !== undefined) parts.push(`lasting at least ${Math.round(selection.min_duration_ms / 1000)} s`);
  if (selection.limit !== undefined) parts.push(`newest ${selection.limit}`);
  return parts.length ? parts.join(", ") : "all sessions";
}

/** Case-insensitive "contains": how every source and surface matches URL and person text. */
export function containsText(haystack: string | undefined, text: string): boolean {
  return (haystack ?? "").toLowerCase().includes(text.toLowerCase());
}
