import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { eventWithTime } from "@rrweb/types";
import type { RecordedEvent } from "../fixtures/dataset-files.ts";

/**
 * Request bodies exactly as posthog-js 1.449 builds them (lib/src/request.js, posthog-core.js),
 * checked against what the real client sent to the capture server in headless Chromium:
 *
 * - events go to `/e/` (before the remote config) or `/i/v0/e/` (after it) as
 *   `{ api_key, batch: [{ uuid, event, properties, timestamp }], sent_at }`;
 * - recordings go to `/s/` as an array of `$snapshot` events, each with its own `sent_at`, whose
 *   `properties` hold `$snapshot_data` (rrweb events, full snapshots gzip-compressed with `cv`),
 *   `$snapshot_bytes`, `$session_id`, `$window_id`;
 * - encodings: gzip (`text/plain`, no query flag: posthog-js removes `compression=gzip-js`),
 *   base64 (`?compression=base64`, form body `data=<encodeURIComponent(base64(UTF-8 JSON))>`, also
 *   what sendBeacon falls back to), plain JSON (`application/json`) when no compression is negotiated.
 *   sendBeacon posts the same bodies as a Blob of the same content type.
 */

export const TOKEN = "phc_capture_test_token";

export interface ClientEvent {
  uuid: string;
  event: string;
  properties: Record<string, unknown>;
  timestamp: string;
  [key: string]: unknown;
}

export function clientEvent(name: string, at: number, session: { sessionId?: string; windowId?: string; distinctId?: string; url?: string }, properties: Record<string, unknown> = {}): ClientEvent {
  return {
    uuid: randomUUID(),
    event: name,
    properties: {
      $os: "Linux",
      $browser: "Chrome",
      $lib: "web",
      $lib_version: "1.449.2",
      ...(session.url ? { $current_url: session.url, $pathname: new URL(session.url).pathname } : {}),
      distinct_id: session.distinctId ?? "anon-1",
      token: TOKEN,
      ...(session.sessionId ? { $session_id: session.sessionId } : {}),
      ...(session.windowId ? { $window_id: session.windowId } : {}),
      ...properties,
    },
    timestamp: new Date(at).toISOString(),
  };
}

/** `/e/` body (`timestampMode: "capture-body"`). */
export function captureBody(events: ClientEvent[], sentAt = Date.now()): Record<string, unknown> {
  return { api_key: TOKEN, batch: events, sent_at: new Date(sentAt).toISOString() };
}

/** `/s/` body (`timestampMode: "body"`): an array of `$snapshot` events, each with `sent_at`. */
export function snapshotBody(session: { sessionId: string; windowId: string; distinctId?: string }, rrwebEvents: Array<eventWithTime | RecordedEvent>, sentAt = Date.now()): ClientEvent[] {
  const at = Math.max(...rrwebEvents.map((e) => e.timestamp));
  const event = clientEvent("$snapshot", at, session, {
    $snapshot_bytes: JSON.stringify(rrwebEvents).length,
    $snapshot_data: rrwebEvents,
    $snapshot_host: "shop.test",
  });
  delete event.properties.$os;
  delete event.properties.$browser;
  return [{ ...event, sent_at: new Date(sentAt).toISOString() }];
}

export type Encoding = "gzip" | "base64" | "json";

export interface EncodedRequest {
  /** Query string to append to the path, with its `?`, or empty. */
  query: string;
  contentType: string;
  body: Buffer | string;
}

/** posthog-js's `encodePostData` for each compression. */
export function encodeLikePosthog(data: unknown, encoding: Encoding): EncodedRequest {
  const json = JSON.stringify(data);
  switch (encoding) {
    case "gzip":
      return { query: "", contentType: "text/plain", body: gzipSync(Buffer.from(json, "utf8")) };
    case "base64": {
      const base64 = Buffer.from(json, "utf8").toString("base64");
      return { query: "?compression=base64", contentType: "application/x-www-form-urlencoded", body: `data=${encodeURIComponent(base64)}` };
    }
    case "json":
      return { query: "", contentType: "application/json", body: json };
  }
}

export async function post(baseUrl: string, path: string, request: EncodedRequest, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const separator = request.query && path.includes("?") ? "&" + request.query.slice(1) : request.query;
  const response = await fetch(`${baseUrl}${path}${separator}`, {
    method: "POST",
    headers: { "content-type": request.contentType, ...headers },
    body: asBody(request.body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json, headers: response.headers };
}

/** fetch wants a plain `Uint8Array<ArrayBuffer>`, not a Buffer over a shared pool. */
export function asBody(body: Buffer | string): Uint8Array<ArrayBuffer> | string {
  return typeof body === "string" ? body : new Uint8Array(body);
}
