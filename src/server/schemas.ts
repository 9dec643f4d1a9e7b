import { z } from "zod";
import { SessionSelectionFields, SessionSelectionSchema, wellFormedText, type SessionSelection } from "../domain/selection.ts";
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
