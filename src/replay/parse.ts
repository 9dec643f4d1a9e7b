import { EventType } from "@rrweb/types";
import type { eventWithTime } from "@rrweb/types";
import type { InputLocation } from "../domain/errors.ts";
import type { WindowedEvent } from "../domain/recording.ts";
import type { ReadWarnings } from "../domain/warnings.ts";
import { decompressPosthogEvent } from "./decompress.ts";

const KNOWN_EVENT_TYPES = new Set<unknown>(Object.values(EventType).filter((v) => typeof v === "number"));

/**
 * Turns one raw rrweb event into a checked, decompressed event, or records a warning and returns
 * undefined. The check is the envelope only (known `EventType`, numeric timestamp, object): it runs
 * on millions of events, so it is hand-written rather than a zod parse.
 */
export function toRrwebEvent(raw: unknown, location: InputLocation, warnings?: ReadWarnings): eventWithTime | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    warnings?.add({ ...location, code: "invalid_rrweb_event", problem: "rrweb event is not an object" });
    return undefined;
  }
  const event = raw as { type?: unknown; timestamp?: unknown; cv?: unknown };
  if (!KNOWN_EVENT_TYPES.has(event.type)) {
    warnings?.add({ ...location, code: "unknown_rrweb_event_type", problem: `unknown rrweb event type ${JSON.stringify(event.type)}` });
    return undefined;
  }
  if (typeof event.timestamp !== "number" || !Number.isFinite(event.timestamp)) {
    warnings?.add({ ...location, code: "invalid_rrweb_event", problem: "rrweb event has no numeric timestamp" });
    return undefined;
  }
  if (event.cv === undefined) return raw as eventWithTime;
  try {
    return decompressPosthogEvent(raw as eventWithTime & { cv?: unknown });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    warnings?.add({ ...location, code: "invalid_compressed_event", problem: `cannot decompress event: ${reason}` });
    return undefined;
  }
}

/**
 * Parses one line of a recording in PostHog's snapshot JSONL form. Two line shapes exist:
 * `{"window_id": "...", "data": [rrweb events]}` (our dataset format and PostHog's older blob
 * format) and `["<window_id>", {rrweb event}]` (PostHog's newer blob format). A line of neither
 * shape, or invalid JSON, is a warning and yields nothing.
 */
export function parseRecordingLine(text: string, location: InputLocation, warnings?: ReadWarnings): WindowedEvent[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    warnings?.add({ ...location, code: "invalid_json", problem: `line is not valid JSON (${reason})` });
    return [];
  }
  if (Array.isArray(value)) {
    if (value.length === 2 && typeof value[0] === "string" && value[0].length > 0) {
      const event = toRrwebEvent(value[1], location, warnings);
      return event ? [{ windowId: value[0], event }] : [];
    }
    warnings?.add({ ...location, code: "invalid_recording_line", problem: 'array line is not ["<window_id>", {event}]' });
    return [];
  }
  if (typeof value === "object" && value !== null) {
    const line = value as { window_id?: unknown; data?: unknown };
    if (typeof line.window_id === "string" && line.window_id.length > 0 && Array.isArray(line.data)) {
      const events: WindowedEvent[] = [];
      for (const raw of line.data) {
        const event = toRrwebEvent(raw, location, warnings);
        if (event) events.push({ windowId: line.window_id, event });
      }
      return events;
    }
  }
  warnings?.add({
    ...location,
    code: "invalid_recording_line",
    problem: 'line is not {"window_id": string, "data": [events]}',
  });
  return [];
}

/**
 * Parses one element of the `snapshots` array of PostHog's older JSON recording shape
 * (`{"snapshots": [...]}`). Seen in the wild: plain rrweb events (one window; posthog-js adds a
 * `window_id` to some), and `{"window_id": "...", "data": [events]}` groups like a JSONL line.
 */
export function parseSnapshotsElement(raw: unknown, location: InputLocation, defaultWindowId: string, warnings?: ReadWarnings): WindowedEvent[] {
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    const element = raw as { window_id?: unknown; data?: unknown; type?: unknown };
    const windowId = typeof element.window_id === "string" && element.window_id.length > 0 ? element.window_id : undefined;
    // A group has a window and an array of events; an rrweb event's `data` is an object.
    if (windowId && Array.isArray(element.data) && element.type === undefined) {
      const events: WindowedEvent[] = [];
      for (const item of element.data) {
        const event = toRrwebEvent(item, location, warnings);
        if (event) events.push({ windowId, event });
      }
      return events;
    }
    const event = toRrwebEvent(raw, location, warnings);
    return event ? [{ windowId: windowId ?? defaultWindowId, event }] : [];
  }
  warnings?.add({ ...location, code: "invalid_recording_element", problem: "snapshots element is not an object" });
  return [];
}
