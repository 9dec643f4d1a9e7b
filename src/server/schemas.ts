import { z } from "zod";
import { SessionSelectionFields, SessionSelectionSchema, wellFormedText, type SessionSelection } from "../domain/selection.ts";
import { ISSUE_STATES, MonitorDefinitionSchema, type IssueState } from "../domain/monitor.ts";
import { ISSUE_ACTIONS } from "../watch/actions.ts";
import { ServerError } from "./errors.ts";

/** Request bodies of the API. Unknown fields are refused, so a misspelt field is an error, not silently ignored. */

export const MAX_MESSAGE_CHARS = 8_000;

/** `report_id`: start the thread on a finished report of the project (the report page's chat), so follow-ups need no new run. */
export const CreateThreadBodySchema = z.strictObject({ report_id: wellFormedText(200).optional() }).optional();

export const PostMessageBodySchema = z.strictObject({
  content: wellFormedText(MAX_MESSAGE_CHARS),
});
export type PostMessageBody = z.infer<typeof PostMessageBodySchema>;

/**
 * `POST /api/reports`: `session_ids`, or `filter` — the one session selection of every surface
 * (`src/domain/selection.ts`), so a bad field is named as in the CLI and the chat, e.g. `filter.to`.
 */
export const StartReportBodySchema = z
  .strictObject({
    session_ids: SessionSelectionFields.ids,
    filter: SessionSelectionSchema.optional(),
    title: wellFormedText(200).optional(),
    focus_area: wellFormedText(500).optional(),
    /** Only the estimate: the sessions it would take, model calls, tokens and cost; nothing runs. */
    dry_run: z.boolean().optional(),
  })
  .refine((body) => (body.session_ids === undefined) !== (body.filter === undefined), {
    message: "give either session_ids or filter (exactly one)",
    path: ["session_ids"],
  });
export type StartReportBody = z.infer<typeof StartReportBodySchema>;

/** The pipeline's selection for a report body (ids once each, dates as ISO instants). */
export function selectionOf(body: StartReportBody): SessionSelection {
  return body.session_ids ? { ids: [...new Set(body.session_ids)] } : (body.filter ?? {});
}

/**
 * Parses a body or throws a 400 naming the first fields that are wrong, e.g.
 * `content: must not be empty` or `filter.limit: expected number, received string`.
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues
    .slice(0, 3)
    .map((issue) => {
      const where = issue.path.map(String).join(".");
      const unknownKeys = issue.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
      return `${where || "body"}: ${issue.message}${unknownKeys}`;
    })
    .join("; ");
  const missing = parsed.error.issues.some((issue) => issue.code === "invalid_type" && /received undefined$/.test(issue.message));
  throw new ServerError(missing ? "missing_field" : "invalid_field", `invalid request body: ${details}`, 400);
}

// ---- watching: monitors, issues, alerts

const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), { message: "expected an ISO date or time, e.g. 2026-11-01 or 2026-11-01T10:00:00Z" });

/** `POST /api/monitors`: a monitor's definition (`src/domain/monitor.ts`); omitted fields take their defaults. */
export const CreateMonitorBodySchema = MonitorDefinitionSchema;

/** `PATCH /api/monitors/:id`: pausing and resuming; a monitor's definition is fixed once it has sweeps behind it. */
export const PatchMonitorBodySchema = z.strictObject({ paused: z.boolean() });

/** `POST /api/monitors/:id/sweeps` takes no fields: an empty object, or no body at all. */
export const EmptyBodySchema = z.strictObject({}).optional();

/** `POST /api/issues/:id/actions`: snooze (until a future time), mute, resolve or reopen. */
export const IssueActionBodySchema = z.strictObject({
  action: z.enum(ISSUE_ACTIONS),
  until: wellFormedText(64).optional(),
});

/** `POST /api/monitors/:id/backfill`: sessions finished since `since`; only the estimate unless `dry_run` is `false`. */
export const BackfillBodySchema = z.strictObject({
  since: isoTime,
  dry_run: z.boolean().default(true),
});

/** Answers listed at once at most (`GET /api/monitors/:id/answers?limit=`). */
export const MAX_ANSWERS_LIMIT = 1_000;
export const DEFAULT_ANSWERS_LIMIT = 100;
/** Sweeps listed at once at most (`GET /api/monitors/:id/sweeps?limit=`). */
export const MAX_SWEEPS_LIMIT = 500;
export const DEFAULT_SWEEPS_LIMIT = 50;

/**
 * Like `parseBody`, and fields no schema level knows are refused too: the domain schemas strip
 * unknown keys at every depth, so a misspelt `budget.daily_usdd` would otherwise be dropped silently.
 */
export function parseStrictBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = parseBody(schema, body);
  const unknown = unknownFields(body, parsed);
  if (unknown.length > 0) throw new ServerError("invalid_field", `invalid request body: unknown field${unknown.length > 1 ? "s" : ""} ${unknown.slice(0, 5).join(", ")}`, 400);
  return parsed;
}

/** Paths of the input's object keys that the parsed value does not have (what the schema stripped). */
function unknownFields(input: unknown, parsed: unknown, where = ""): string[] {
  if (Array.isArray(input) && Array.isArray(parsed)) return input.flatMap((item, index) => unknownFields(item, parsed[index], `${where}[${index}]`));
  if (!isPlainObject(input) || !isPlainObject(parsed)) return [];
  return Object.keys(input).flatMap((key) => {
    const path = where ? `${where}.${key}` : key;
    return Object.hasOwn(parsed, key) ? unknownFields(input[key], parsed[key], path) : [path];
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One query parameter as text: absent → undefined; given twice (`?a=1&a=2`) or as an object (`?a[b]=1`) → 400. */
export function queryText(query: unknown, name: string): string | undefined {
  const value = (query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new ServerError("invalid_query", `query parameter ${name}: give it once, as text`, 400);
  return value;
}

/** A positive whole number of at most `max` from the query, or `fallback` when absent. */
export function queryLimit(query: unknown, name: string, fallback: number, max: number): number {
  const text = queryText(query, name);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw new ServerError("invalid_query", `query parameter ${name}: expected a whole number from 1 to ${max}, got ${JSON.stringify(text)}`, 400);
  return Number(text);
}

/** An ISO time from the query, normalised, or undefined when absent. */
export function queryTime(query: unknown, name: string): string | undefined {
  const text = queryText(query, name);
  if (text === undefined) return undefined;
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new ServerError("invalid_query", `query parameter ${name}: expected an ISO date or time, e.g. 2026-11-01 or 2026-11-01T10:00:00Z; got ${JSON.stringify(text)}`, 400);
  return new Date(time).toISOString();
}

/** `?state=new,regressed` (or the parameter repeated): issue states, each one of `ISSUE_STATES`. */
export function queryStates(query: unknown): IssueState[] | undefined {
  const value = (query as Record<string, unknown>).state;
  if (value === undefined) return undefined;
  const parts = (Array.isArray(value) ? value : [value]).flatMap((part) => (typeof part === "string" ? part.split(",") : [null]));
  const states: IssueState[] = [];
  for (const part of parts) {
    const state = part?.trim();
    if (!state || !(ISSUE_STATES as readonly string[]).includes(state)) {
      throw new ServerError("invalid_query", `query parameter state: ${JSON.stringify(part)} is not an issue state; one of ${ISSUE_STATES.join(", ")}`, 400);
    }
    states.push(state as IssueState);
  }
  return [...new Set(states)];
}
