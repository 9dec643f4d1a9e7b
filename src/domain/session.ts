import { z } from "zod";

const isoTimestamp = z.string().refine((value) => !Number.isNaN(Date.parse(value)), {
  message: "not an ISO-8601 date",
});

/**
 * What a session id may look like. Ids become folder names, so the first character is a letter or
 * digit (no `.`/`..`) and there are no slashes.
 */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** `sessions/<id>/meta.json` of a dataset, and what every source returns when listing sessions. */
export const SessionMetaSchema = z.object({
  session_id: z.string().min(1),
  distinct_id: z.string().optional(),
  start: isoTimestamp,
  end: isoTimestamp,
  /** URL of the first pageview. */
  first_url: z.string().optional(),
  event_count: z.number().int().nonnegative().optional(),
  exception_count: z.number().int().nonnegative().optional(),
  /** Bytes of the recording file as stored (compressed size for .gz). */
  recording_bytes: z.number().int().nonnegative().optional(),
});
export type SessionMeta = z.infer<typeof SessionMetaSchema>;

export function sessionDurationMs(meta: SessionMeta): number {
  return Date.parse(meta.end) - Date.parse(meta.start);
}
