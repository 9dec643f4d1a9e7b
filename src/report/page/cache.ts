import { LRUCache } from "lru-cache";
import { SessionSummariesError } from "../../domain/errors.ts";
import type { Report } from "../../domain/report.ts";
import type { ReportPageData } from "./types.ts";

export interface ReportPageCacheOptions {
  /** Pages kept at most. */
  maxEntries?: number;
  /** Embedded replay and clip bytes kept at most, all pages together (the most recently used page is always kept). */
  maxBytes?: number;
}

const CACHE_DEFAULTS = { maxEntries: 8, maxBytes: 256 * 1024 * 1024 } as const;

/** A kept page: its data and the stamp of the report it was made from. */
type Entry = { stamp: string; data: ReportPageData };
/** What a load needs: the report's stamp and how to load its page. */
type LoadContext = Pick<Entry, "stamp"> & { load: () => Promise<ReportPageData> };

/**
 * The data of the report pages served last, so opening a page again does not re-read every
 * recording and clip. Least recently used pages go first once there are more than `maxEntries` or
 * their media together pass `maxBytes`; a page bigger than `maxBytes` alone is still kept (it counts
 * as `maxBytes`). Concurrent requests for the same page share one load; a failed load is not kept.
 */
export class ReportPageCache {
  private readonly cache: LRUCache<string, Entry, LoadContext>;

  constructor(options: ReportPageCacheOptions = {}) {
    const maxBytes = Math.max(1, options.maxBytes ?? CACHE_DEFAULTS.maxBytes);
    this.cache = new LRUCache<string, Entry, LoadContext>({
      max: Math.max(1, options.maxEntries ?? CACHE_DEFAULTS.maxEntries),
      maxSize: maxBytes,
      // lru-cache wants a positive size no larger than maxSize: a page without media counts as 1.
      sizeCalculation: (entry) => Math.min(maxBytes, Math.max(1, embeddedBytes(entry.data))),
      fetchMethod: async (_key, _stale, { context }) => ({ stamp: context.stamp, data: await context.load() }),
      // A load pushed out while under way still answers its callers (it is just not kept).
      ignoreFetchAbort: true,
    });
  }

  /** The page data of `report` in `project`, loaded with `load` unless kept from an earlier call for the same report. */
  async get(project: string, report: Report, load: () => Promise<ReportPageData>): Promise<ReportPageData> {
    const key = JSON.stringify([project, report.id]);
    const context: LoadContext = { stamp: reportStamp(report), load };
    const kept = this.cache.peek(key);
    const entry = await this.cache.fetch(key, { context, forceRefresh: kept !== undefined && kept.stamp !== context.stamp });
    if (entry?.stamp === context.stamp) return entry.data;
    // The load under way was of an earlier version of the report: load this one.
    const fresh = await this.cache.fetch(key, { context, forceRefresh: true });
    if (!fresh) throw new SessionSummariesError("page_not_loaded", `report page ${key} was not loaded`);
    return fresh.data;
  }

  /** Keys of the pages kept, least recently used first. */
  keys(): string[] {
    return [...this.cache.rkeys()];
  }
}

/** What changes when a report under the same id is made again. */
function reportStamp(report: Report): string {
  return JSON.stringify([report.created_at, report.sessions.summarized.length, report.patterns.length, report.usage]);
}

/** The replay and clip bytes a page embeds (its bulk): a window shared by examples once, a clip per example inlining it. */
export function embeddedBytes(data: ReportPageData): number {
  const windows = new Set<unknown>();
  let bytes = 0;
  for (const media of Object.values(data.examples)) {
    if (media.replay.status === "ready" && !windows.has(media.replay)) {
      windows.add(media.replay);
      bytes += media.replay.events_json.length;
    }
    if (media.clip?.status === "ready") bytes += media.clip.data_url.length;
  }
  return bytes;
}
