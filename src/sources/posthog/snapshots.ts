import { z } from "zod";

/** The snapshots endpoint called without `source`: where the recording's data can be loaded from. */
export const SnapshotSourcesSchema = z.looseObject({
  sources: z.array(
    z.looseObject({
      source: z.string(),
      start_timestamp: z.string().nullish(),
      end_timestamp: z.string().nullish(),
      blob_key: z.string().nullish(),
    }),
  ),
});
export type SnapshotSource = z.infer<typeof SnapshotSourcesSchema>["sources"][number];

/** PostHog refuses more than 20 blob_v2 keys in one personal-API-key request. */
export const MAX_BLOB_KEYS_PER_REQUEST = 20;

/**
 * The query strings of the snapshot requests that load a whole recording, in playback order.
 * blob_v2 sources, when present, hold everything (blob and realtime would duplicate them), and
 * consecutive numeric keys are fetched as `start_blob_key..end_blob_key` ranges. Otherwise each blob
 * is fetched in turn, then the realtime source for data not yet flushed to a blob.
 */
export function planSnapshotRequests(sources: SnapshotSource[], keysPerRequest: number): Record<string, string>[] {
  const perRequest = Math.max(1, Math.min(MAX_BLOB_KEYS_PER_REQUEST, Math.floor(keysPerRequest)));
  const v2Keys = sources.filter((s) => s.source === "blob_v2" && s.blob_key).map((s) => s.blob_key as string);
  if (v2Keys.length > 0) {
    const numeric = [...new Set(v2Keys.filter((key) => /^\d+$/.test(key)).map(Number))].sort((a, b) => a - b);
    // Any other key is a long-term-storage path, fetched on its own.
    const paths = v2Keys.filter((key) => !/^\d+$/.test(key));
    const requests: Record<string, string>[] = [];
    let runStart: number | undefined;
    let previous = Number.NaN;
    for (const key of [...numeric, Number.NaN]) {
      const continues = runStart !== undefined && key === previous + 1 && key - runStart < perRequest;
      if (!continues && runStart !== undefined) {
        requests.push({ source: "blob_v2", start_blob_key: String(runStart), end_blob_key: String(previous) });
        runStart = undefined;
      }
      if (!Number.isNaN(key) && runStart === undefined) runStart = key;
      previous = key;
    }
    for (const path of paths) requests.push({ source: "blob_v2", blob_key: path });
    return requests;
  }

  const blobs = sources.filter((s) => s.source === "blob" && s.blob_key).sort((a, b) => timeOf(a.start_timestamp) - timeOf(b.start_timestamp));
  const requests: Record<string, string>[] = blobs.map((s) => ({ source: "blob", blob_key: s.blob_key as string }));
  if (sources.some((s) => s.source === "realtime")) requests.push({ source: "realtime", version: "2" });
  return requests;
}

function timeOf(timestamp: string | null | undefined): number {
  const ms = timestamp ? Date.parse(timestamp) : Number.NaN;
  return Number.isNaN(ms) ? 0 : ms;
}
