import { gunzipSync } from "node:zlib";
import { EventType, IncrementalSource } from "@rrweb/types";

/**
 * posthog-js (compression version "2024-10") gzips the heavy parts of some rrweb events and stores
 * them as latin1 "binary strings": a FullSnapshot's whole `data`; a Mutation's `texts`,
 * `attributes`, `removes` and `adds`; a StyleSheetRule's `adds` and `removes`. This restores the
 * plain rrweb event. Events without `cv` are returned as they are.
 */
export const POSTHOG_COMPRESSION_VERSION = "2024-10";

export class UnsupportedCompressionError extends Error {}

type MaybeCompressed = { type: unknown; cv?: unknown; data?: unknown; [key: string]: unknown };

function gunzipJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  return JSON.parse(gunzipSync(Buffer.from(value, "latin1")).toString("utf8"));
}

export function decompressPosthogEvent<T extends MaybeCompressed>(event: T): T {
  if (event.cv === undefined) return event;
  if (event.cv !== POSTHOG_COMPRESSION_VERSION) {
    throw new UnsupportedCompressionError(`unsupported posthog compression version ${JSON.stringify(event.cv)}`);
  }
  const { cv: _cv, ...rest } = event;
  if (event.type === EventType.FullSnapshot) {
    return { ...rest, data: gunzipJson(event.data) } as T;
  }
  if (event.type === EventType.IncrementalSnapshot && typeof event.data === "object" && event.data !== null) {
    const data = event.data as Record<string, unknown>;
    if (data.source === IncrementalSource.Mutation) {
      return {
        ...rest,
        data: {
          ...data,
          texts: gunzipJson(data.texts),
          attributes: gunzipJson(data.attributes),
          removes: gunzipJson(data.removes),
          adds: gunzipJson(data.adds),
        },
      } as T;
    }
    if (data.source === IncrementalSource.StyleSheetRule) {
      return { ...rest, data: { ...data, adds: gunzipJson(data.adds), removes: gunzipJson(data.removes) } } as T;
    }
  }
  return rest as T;
}
