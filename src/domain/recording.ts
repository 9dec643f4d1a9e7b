import { EventType } from "@rrweb/types";
import type { eventWithTime } from "@rrweb/types";
import { z } from "zod";

/**
 * rrweb events as they are stored. Only the envelope (`type`, `timestamp`, `data`) is validated here;
 * the replayer owns the payload shapes. `type` must be a known `EventType` member.
 */
export const RrwebEventSchema = z.looseObject({
  type: z.enum(EventType),
  timestamp: z.number().finite(),
  data: z.unknown(),
  /** posthog-js compression version: present when `data` (or parts of it) is a gzip string. */
  cv: z.string().optional(),
});

/**
 * One line of a recording file in PostHog's snapshot JSONL form: the rrweb events of one
 * browser window (tab), in order.
 */
export const RecordingLineSchema = z.object({
  window_id: z.string().min(1, "window_id is empty"),
  data: z.array(z.unknown()),
});
export type RecordingLine = z.infer<typeof RecordingLineSchema>;

/** An rrweb event together with the window it was recorded in. */
export interface WindowedEvent {
  windowId: string;
  event: eventWithTime;
}

/** Window id given to events of a plain rrweb array, which has no windows. */
export const SINGLE_WINDOW_ID = "window-0";
