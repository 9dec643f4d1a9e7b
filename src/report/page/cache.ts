import type { Report } from "../../domain/report.ts";
import type { ReportPageData } from "./types.ts";

export interface ReportPageCacheOptions {
  /** Pages kept at most. */
  maxEntries?: number;
  /** Embedded replay and clip bytes kept at most, all pages together (the most recently used page is always kept). */
  maxBytes?: number;
}

const DEFAULT_MAX_ENTRIES = 8;
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

interface Entry {
  stamp: string;
  data: Promise<ReportPageData>;
  bytes: number;
}

/**
 * The data of the report pages served last, so opening a page again does not re-read every
 * recording and clip. Least recently used pages go first once there are more than `maxEntries` or
 * their media together pass `maxBytes`. Concurrent requests for the same page share one load.
 */
export class ReportPageCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;

  constructor(options: ReportPageCacheOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /** The page data of `report` in `project`, loaded with `load` unless kept from an earlier call for the same report. */
  get(project: string, report: Report, load: () => Promise<ReportPageData>): Promise<ReportPageData> {
    const key = JSON.stringify([project, report.id]);
    const stamp = reportStamp(report);
    const found = this.entries.get(key);
    if (found && found.stamp === stamp) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, found);
      return found.data;
    }
    const entry: Entry = { stamp, data: load(), bytes: 0 };
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.data.then(
      (data) => {
        entry.bytes = embeddedBytes(data);
        this.evict();
      },
      () => {
        // A failed load is not kept: the next request tries again.
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    this.evict();
    return entry.data;
  }

  /** Keys of the pages kept, least recently used first. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  private evict(): void {
    let total = [...this.entries.values()].reduce((sum, entry) => sum + entry.bytes, 0);
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= 1 || (this.entries.size <= this.maxEntries && total <= this.maxBytes)) break;
      this.entries.delete(key);
      total -= entry.bytes;
    }
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
