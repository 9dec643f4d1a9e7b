import { randomUUID } from "node:crypto";
import { EventType } from "@rrweb/types";
import { AnalyticsEventSchema } from "../domain/events.ts";
import { SINGLE_WINDOW_ID } from "../domain/recording.ts";
import { CaptureError } from "./errors.ts";
import { isSafeSessionId } from "./session-id.ts";

/**
 * From a decoded capture payload to dataset lines, before anything touches the disk.
 *
 * Payload shapes (as PostHog's capture service accepts them): an array of events (posthog-js's
 * `/s/` and older `/e/`), `{ api_key, batch: [...], sent_at }` (posthog-js's `/e/` today, `/batch/`),
 * or a single event. A body of any other shape is a 400. Inside a readable body, an event that cannot
 * be used is skipped and counted by reason, so one bad event does not lose the rest of the batch.
 */

/** What one session gets from one request. Lines are serialized JSON without the newline. */
export interface SessionPart {
  sessionId: string;
  eventLines: string[];
  recordingLines: string[];
  update: SessionUpdate;
}

/** How a request changes a session's meta.json. */
export interface SessionUpdate {
  minMs: number;
  maxMs: number;
  events: number;
  exceptions: number;
  /** distinct_id of the latest event that had one: after `$identify` that is the known user. */
  distinctId?: { value: string; ms: number };
  firstPageview?: { url: string; ms: number };
}

export interface PreparedBatch {
  sessions: Map<string, SessionPart>;
  /** Events and `$snapshot`s written. */
  accepted: number;
  events: number;
  snapshots: number;
  rrwebEvents: number;
  /** Events not written, including those without a `$session_id`. */
  skipped: number;
  skippedByReason: Record<string, number>;
  /** rrweb events inside accepted `$snapshot`s that were dropped (not an rrweb event envelope). */
  droppedRrwebEvents: number;
  /** Accepted events by name (`$pageview`, `$snapshot`, ...). */
  acceptedByName: Record<string, number>;
}

export interface ConvertOptions {
  /** Server time the request arrived: the timestamp of events that carry none. */
  receivedAt: Date;
  /** When set, every request must carry this project token. */
  expectedToken?: string;
}

type RawEvent = Record<string, unknown>;

export const SKIP_REASONS = {
  noSessionId: "no_session_id",
  invalidSessionId: "invalid_session_id",
  missingEventName: "missing_event_name",
  invalidProperties: "invalid_properties",
  invalidTimestamp: "invalid_timestamp",
  invalidEvent: "invalid_event",
  invalidSnapshotData: "invalid_snapshot_data",
} as const;

const KNOWN_RRWEB_TYPES = new Set<unknown>(Object.values(EventType).filter((v) => typeof v === "number"));

export function prepareBatch(payload: unknown, options: ConvertOptions): PreparedBatch {
  const { events: rawEvents, batchToken } = extractRawEvents(payload);
  if (options.expectedToken !== undefined) checkToken(rawEvents, batchToken, options.expectedToken);

  const batch: PreparedBatch = {
    sessions: new Map(),
    accepted: 0,
    events: 0,
    snapshots: 0,
    rrwebEvents: 0,
    skipped: 0,
    skippedByReason: {},
    droppedRrwebEvents: 0,
    acceptedByName: {},
  };
  const accept = (name: string) => {
    batch.accepted += 1;
    batch.acceptedByName[name] = (batch.acceptedByName[name] ?? 0) + 1;
  };
  const skip = (reason: string) => {
    batch.skipped += 1;
    batch.skippedByReason[reason] = (batch.skippedByReason[reason] ?? 0) + 1;
  };

  for (const raw of rawEvents) {
    const name = raw.event;
    if (typeof name !== "string" || name.length === 0) {
      skip(SKIP_REASONS.missingEventName);
      continue;
    }
    if (raw.properties !== undefined && raw.properties !== null && !isPlainObject(raw.properties)) {
      skip(SKIP_REASONS.invalidProperties);
      continue;
    }
    const properties: Record<string, unknown> = isPlainObject(raw.properties) ? { ...raw.properties } : {};
    const sessionId = properties.$session_id;
    if (sessionId === undefined || sessionId === null || sessionId === "") {
      skip(SKIP_REASONS.noSessionId);
      continue;
    }
    if (!isSafeSessionId(sessionId)) {
      skip(SKIP_REASONS.invalidSessionId);
      continue;
    }
    const distinctId = distinctIdOf(raw, properties);

    if (name === "$snapshot") {
      const snapshot = toRecordingLine(properties);
      if (!snapshot) {
        skip(SKIP_REASONS.invalidSnapshotData);
        continue;
      }
      batch.droppedRrwebEvents += snapshot.dropped;
      const part = partFor(batch, sessionId, snapshot.minMs, snapshot.maxMs);
      part.recordingLines.push(snapshot.line);
      // Weakest claim: any event's distinct_id wins; this only names recording-only sessions.
      if (distinctId !== undefined && !part.update.distinctId) part.update.distinctId = { value: distinctId, ms: Number.NEGATIVE_INFINITY };
      batch.snapshots += 1;
      batch.rrwebEvents += snapshot.count;
      accept(name);
      continue;
    }

    const timestampMs = timestampOf(raw, properties, options.receivedAt);
    if (timestampMs === undefined) {
      skip(SKIP_REASONS.invalidTimestamp);
      continue;
    }
    const event = toStoredEvent(raw, name, new Date(timestampMs).toISOString(), distinctId, properties);
    if (!AnalyticsEventSchema.safeParse(event).success) {
      skip(SKIP_REASONS.invalidEvent);
      continue;
    }
    const part = partFor(batch, sessionId, timestampMs, timestampMs);
    part.eventLines.push(JSON.stringify(event));
    part.update.events += 1;
    if (name === "$exception") part.update.exceptions += 1;
    if (distinctId !== undefined) noteDistinctId(part.update, distinctId, timestampMs);
    const url = properties.$current_url;
    if (name === "$pageview" && typeof url === "string" && url.length > 0) {
      const first = part.update.firstPageview;
      if (!first || timestampMs < first.ms) part.update.firstPageview = { url, ms: timestampMs };
    }
    batch.events += 1;
    accept(name);
  }
  return batch;
}

/** The events of a payload, or a 400 naming what is wrong with its shape. */
export function extractRawEvents(payload: unknown): { events: RawEvent[]; batchToken?: string } {
  if (Array.isArray(payload)) return { events: checkEventObjects(payload, "the body") };
  if (isPlainObject(payload)) {
    if ("batch" in payload) {
      if (!Array.isArray(payload.batch)) {
        throw new CaptureError("invalid_batch", `"batch" is ${describe(payload.batch)}, not an array of events`, 400);
      }
      const token = firstString(payload.api_key, payload.token);
      return { events: checkEventObjects(payload.batch, '"batch"'), ...(token !== undefined ? { batchToken: token } : {}) };
    }
    if ("event" in payload) return { events: [payload] };
  }
  throw new CaptureError("invalid_batch", `payload is ${describe(payload)}; expected an event, an array of events, or {"batch": [events]}`, 400);
}

function checkEventObjects(items: unknown[], where: string): RawEvent[] {
  items.forEach((item, index) => {
    if (!isPlainObject(item)) {
      throw new CaptureError("invalid_batch", `element ${index} of ${where} is ${describe(item)}, not an event object`, 400);
    }
  });
  return items as RawEvent[];
}

function checkToken(events: RawEvent[], batchToken: string | undefined, expected: string): void {
  const tokens = new Set<string>();
  if (batchToken !== undefined) tokens.add(batchToken);
  for (const event of events) {
    const properties = isPlainObject(event.properties) ? event.properties : {};
    const token = firstString(event.api_key, event.token, event.$token, properties.token);
    if (token !== undefined) tokens.add(token);
  }
  if (tokens.size === 0) throw new CaptureError("missing_token", "request carries no project token (api_key / token)", 401);
  for (const token of tokens) {
    if (token !== expected) {
      throw new CaptureError("invalid_token", `project token ${JSON.stringify(token)} is not the one this capture server accepts`, 401);
    }
  }
}

/**
 * The stored event: PostHog's shape, `uuid, event, timestamp, distinct_id, properties`. posthog-js's
 * transport fields (`offset`, `sent_at`, `token` at top level) are dropped; `$set` / `$set_once` sent
 * next to `properties` are folded into them, as PostHog does. Properties otherwise stay as sent
 * (`$elements_chain`, `$elements`, `$exception_list`, ...).
 */
function toStoredEvent(raw: RawEvent, name: string, timestamp: string, distinctId: string | undefined, properties: Record<string, unknown>): Record<string, unknown> {
  for (const key of ["$set", "$set_once"] as const) {
    if (isPlainObject(raw[key])) {
      properties[key] = { ...(isPlainObject(properties[key]) ? properties[key] : {}), ...raw[key] };
    }
  }
  const uuid = typeof raw.uuid === "string" && raw.uuid.length > 0 ? raw.uuid : randomUUID();
  return {
    uuid,
    event: name,
    timestamp,
    ...(distinctId !== undefined ? { distinct_id: distinctId } : {}),
    properties,
  };
}

/**
 * Client time as posthog-js sent it: `timestamp` (ISO, or epoch ms), else `offset` ms before
 * arrival, else the old `properties.$time` (epoch seconds), else arrival time. No clock-skew
 * correction: the recording's rrweb timestamps use the same client clock, and events and recording
 * must line up more than they must match server time.
 */
function timestampOf(raw: RawEvent, properties: Record<string, unknown>, receivedAt: Date): number | undefined {
  const ms = clientTimeOf(raw, properties, receivedAt);
  // Beyond ±8.64e15 ms a Date is invalid (and toISOString throws).
  return ms !== undefined && Math.abs(ms) <= MAX_DATE_MS ? ms : undefined;
}

const MAX_DATE_MS = 8.64e15;

function clientTimeOf(raw: RawEvent, properties: Record<string, unknown>, receivedAt: Date): number | undefined {
  const value = raw.timestamp;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (value !== undefined && value !== null) return undefined;
  if (typeof raw.offset === "number" && Number.isFinite(raw.offset)) return receivedAt.getTime() - raw.offset;
  if (typeof properties.$time === "number" && Number.isFinite(properties.$time)) return Math.round(properties.$time * 1000);
  return receivedAt.getTime();
}

/** Top-level `distinct_id` / `$distinct_id` win over `properties.distinct_id`; numbers are stringified. */
function distinctIdOf(raw: RawEvent, properties: Record<string, unknown>): string | undefined {
  for (const candidate of [raw.distinct_id, raw.$distinct_id, properties.distinct_id]) {
    if (typeof candidate === "string" && candidate.length > 0) return candidate;
    if (typeof candidate === "number" && Number.isFinite(candidate)) return String(candidate);
  }
  return undefined;
}

interface RecordingLineOut {
  line: string;
  count: number;
  dropped: number;
  minMs: number;
  maxMs: number;
}

/**
 * A `$snapshot` event becomes one recording line `{"window_id", "data": [rrweb events]}`. rrweb
 * events are kept exactly as sent, posthog-js's gzip-compressed (`cv`) ones included: the reader
 * decompresses them. Only the envelope is checked (object, known type, numeric timestamp).
 */
function toRecordingLine(properties: Record<string, unknown>): RecordingLineOut | undefined {
  const raw = properties.$snapshot_data ?? properties.$snapshot_items;
  // Old posthog-js sent one rrweb event per $snapshot instead of an array.
  const items = Array.isArray(raw) ? raw : isPlainObject(raw) ? [raw] : undefined;
  if (!items) return undefined;
  const kept: unknown[] = [];
  let minMs = Number.POSITIVE_INFINITY;
  let maxMs = Number.NEGATIVE_INFINITY;
  for (const item of items) {
    if (!isPlainObject(item) || !KNOWN_RRWEB_TYPES.has(item.type)) continue;
    const ts = item.timestamp;
    if (typeof ts !== "number" || !Number.isFinite(ts)) continue;
    kept.push(item);
    if (ts < minMs) minMs = ts;
    if (ts > maxMs) maxMs = ts;
  }
  if (kept.length === 0) return undefined;
  const windowId = typeof properties.$window_id === "string" && properties.$window_id.length > 0 ? properties.$window_id : SINGLE_WINDOW_ID;
  return {
    line: JSON.stringify({ window_id: windowId, data: kept }),
    count: kept.length,
    dropped: items.length - kept.length,
    minMs,
    maxMs,
  };
}

function partFor(batch: PreparedBatch, sessionId: string, minMs: number, maxMs: number): SessionPart {
  let part = batch.sessions.get(sessionId);
  if (!part) {
    part = { sessionId, eventLines: [], recordingLines: [], update: { minMs, maxMs, events: 0, exceptions: 0 } };
    batch.sessions.set(sessionId, part);
  }
  if (minMs < part.update.minMs) part.update.minMs = minMs;
  if (maxMs > part.update.maxMs) part.update.maxMs = maxMs;
  return part;
}

function noteDistinctId(update: SessionUpdate, value: string, ms: number): void {
  if (!update.distinctId || ms >= update.distinctId.ms) update.distinctId = { value, ms };
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === "string" && value.length > 0) return value;
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return 'an object without "event" or "batch"';
  return `a ${typeof value}`;
}
