import { z } from "zod";

/**
 * Analytics events in PostHog's shape, as posthog-js sends them and PostHog's query API returns them.
 * Only the properties the analysis reads are typed; every other property passes through untouched.
 */

const isoTimestamp = z.string().refine((value) => !Number.isNaN(Date.parse(value)), {
  message: "timestamp is not an ISO-8601 date",
});

/** One frame of an exception's stack trace (posthog-js `$exception_list[].stacktrace.frames[]`). */
export const StackFrameSchema = z.looseObject({
  filename: z.string().optional(),
  function: z.string().optional(),
  lineno: z.number().optional(),
  colno: z.number().optional(),
  in_app: z.boolean().optional(),
});

/** One exception of `$exception_list` (posthog-js exception autocapture). */
export const ExceptionEntrySchema = z.looseObject({
  type: z.string().optional(),
  value: z.string().optional(),
  mechanism: z.looseObject({ handled: z.boolean().optional(), type: z.string().optional() }).optional(),
  stacktrace: z.looseObject({ frames: z.array(StackFrameSchema).optional() }).nullish(),
});
export type ExceptionEntry = z.infer<typeof ExceptionEntrySchema>;

/** One element of posthog-js's `$elements` list (autocapture), innermost first. */
export const CapturedElementSchema = z.looseObject({
  tag_name: z.string().optional(),
  $el_text: z.string().optional(),
  attr__href: z.string().optional(),
  attr__type: z.string().optional(),
  "attr__aria-label": z.string().optional(),
  attr__id: z.string().optional(),
  nth_child: z.number().optional(),
  nth_of_type: z.number().optional(),
  classes: z.array(z.string()).optional(),
});
export type CapturedElement = z.infer<typeof CapturedElementSchema>;

export const EventPropertiesSchema = z.looseObject({
  $session_id: z.string().optional(),
  $window_id: z.string().optional(),
  $current_url: z.string().optional(),
  $pathname: z.string().optional(),
  /** Autocapture's kind of DOM event: click, submit, change. */
  $event_type: z.string().optional(),
  /** Autocapture's element chain in PostHog's serialized form (`a.btn:text="Buy"attr__href="/x";...`). */
  $elements_chain: z.string().optional(),
  $elements: z.array(CapturedElementSchema).optional(),
  $exception_list: z.array(ExceptionEntrySchema).optional(),
  $exception_types: z.array(z.string()).optional(),
  $exception_values: z.array(z.string()).optional(),
  $exception_sources: z.array(z.string()).optional(),
  $exception_functions: z.array(z.string()).optional(),
  $exception_fingerprint: z.string().optional(),
});
export type EventProperties = z.infer<typeof EventPropertiesSchema>;

export const AnalyticsEventSchema = z.looseObject({
  uuid: z.string().min(1, "uuid is empty"),
  event: z.string().min(1, "event name is empty"),
  timestamp: isoTimestamp,
  distinct_id: z.string().optional(),
  properties: EventPropertiesSchema.default({}),
});
export type AnalyticsEvent = z.infer<typeof AnalyticsEventSchema>;

/** The session an event belongs to, or undefined when posthog-js did not attach one. */
export function sessionIdOf(event: AnalyticsEvent): string | undefined {
  return event.properties.$session_id;
}
