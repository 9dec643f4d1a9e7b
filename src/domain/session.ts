import { z } from "zod";

const isoTimestamp = z.string().refine((value) => !Number.isNaN(Date.parse(value)), {
  message: "not an ISO-8601 date",
});

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
