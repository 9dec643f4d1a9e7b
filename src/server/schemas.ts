import { z } from "zod";
import type { SessionSelection } from "../../graph/summarize/state.ts";
import { ServerError } from "./errors.ts";

/** Request bodies of the API. Unknown fields are refused, so a misspelt field is an error, not silently ignored. */

export const MAX_MESSAGE_CHARS = 8_000;
export const MAX_SESSION_IDS = 1_000;
export const MAX_FILTER_LIMIT = 1_000;

/** Text whose UTF-16 is well formed: a lone surrogate (`"\ud800"` in JSON) is refused here, not deep in a store. */
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = <T extends z.ZodType<string>>(schema: T) => schema.refine((text) => !LONE_SURROGATE.test(text), { message: "must be well-formed text (no lone surrogate)" });

const isoDate = z.string().refine((text) => !Number.isNaN(Date.parse(text)), { message: "expected an ISO date, e.g. 2026-11-01 or 2026-11-01T10:00:00Z" });

/** `report_id`: start the thread on a finished report of the project (the report page's chat), so follow-ups need no new run. */
export const CreateThreadBodySchema = z.strictObject({ report_id: wellFormed(z.string().trim().min(1).max(200)).optional() }).optional();

export const PostMessageBodySchema = z.strictObject({
  content: wellFormed(z.string().trim().min(1, "must not be empty").max(MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS} characters`)),
});
export type PostMessageBody = z.infer<typeof PostMessageBodySchema>;

export const ReportFilterSchema = z.strictObject({
  from: isoDate.optional(),
  to: isoDate.optional(),
  url_contains: wellFormed(z.string().min(1).max(500)).optional(),
  has_exception: z.boolean().optional(),
  min_duration_ms: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(MAX_FILTER_LIMIT).optional(),
});

export const StartReportBodySchema = z
  .strictObject({
    session_ids: z.array(wellFormed(z.string().trim().min(1).max(200))).min(1, "must list at least one session id").max(MAX_SESSION_IDS).optional(),
    filter: ReportFilterSchema.optional(),
    title: wellFormed(z.string().trim().min(1).max(200)).optional(),
    focus_area: wellFormed(z.string().trim().min(1).max(500)).optional(),
  })
  .refine((body) => (body.session_ids === undefined) !== (body.filter === undefined), {
    message: "give either session_ids or filter (exactly one)",
    path: ["session_ids"],
  });
export type StartReportBody = z.infer<typeof StartReportBodySchema>;

/** The pipeline's selection for a report body; dates normalized to ISO instants. */
export function selectionOf(body: StartReportBody): SessionSelection {
  if (body.session_ids) return { ids: [...new Set(body.session_ids)] };
  const filter = body.filter ?? {};
  return {
    ...(filter.from !== undefined ? { from: new Date(filter.from).toISOString() } : {}),
    ...(filter.to !== undefined ? { to: new Date(filter.to).toISOString() } : {}),
    ...(filter.url_contains !== undefined ? { url_contains: filter.url_contains } : {}),
    ...(filter.has_exception !== undefined ? { has_exception: filter.has_exception } : {}),
    ...(filter.min_duration_ms !== undefined ? { min_duration_ms: filter.min_duration_ms } : {}),
    ...(filter.limit !== undefined ? { limit: filter.limit } : {}),
  };
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
