import { createHash } from "node:crypto";
import type { z } from "zod";
import { describeIssues } from "../domain/errors.ts";
import type { BlobStore } from "./blob-store.ts";
import { StoreError } from "./errors.ts";
import { blobKeys } from "./keys.ts";

/** What makes two summaries interchangeable: same session, same question asked, same analyst. */
export interface SummaryCacheKey {
  project: string;
  sessionId: string;
  /** Free text; normalized by `normalizeFocusArea`, so "  Checkout " and "checkout" share an entry. */
  focusArea?: string | null;
  /** Which analyst wrote it, e.g. `heuristic` or `openai:gpt-4.1`. */
  analyst: string;
}

export interface SummaryCacheOptions<T> {
  store: BlobStore;
  /** Every value read is checked with it; a stored value that does not match is a miss. */
  schema: z.ZodType<T>;
  /** Time to live of cached summaries; the store's default when absent. */
  ttlSeconds?: number;
}

/** Trimmed, lowercased, inner whitespace collapsed; empty means "no focus area" (undefined). */
export function normalizeFocusArea(focusArea: string | null | undefined): string | undefined {
  const normalized = (focusArea ?? "").trim().replace(/\s+/g, " ").toLowerCase();
  return normalized === "" ? undefined : normalized;
}

/** The per-session part of a summary's blob key: a hash, since focus areas are long free text. */
export function summaryCacheKey(focusArea: string | null | undefined, analyst: string): string {
  const trimmedAnalyst = analyst.trim();
  if (trimmedAnalyst === "") throw new StoreError("invalid_key", "a summary cache key needs an analyst label");
  const identity = JSON.stringify({ focus: normalizeFocusArea(focusArea) ?? null, analyst: trimmedAnalyst });
  return createHash("sha256").update(identity).digest("hex").slice(0, 32);
}

export function summaryBlobKey(key: SummaryCacheKey): string {
  return blobKeys.summary(key.project, key.sessionId, summaryCacheKey(key.focusArea, key.analyst));
}

/**
 * Session summaries by (project, session, focus area, analyst) over a blob store. `getOrCompute`
 * runs at most one computation per key at a time in this process: concurrent callers share it.
 */
export class SummaryCache<T> {
  private readonly store: BlobStore;
  private readonly schema: z.ZodType<T>;
  private readonly ttlSeconds: number | undefined;
  private readonly inFlight = new Map<string, Promise<T>>();

  constructor(options: SummaryCacheOptions<T>) {
    this.store = options.store;
    this.schema = options.schema;
    this.ttlSeconds = options.ttlSeconds;
  }

  /** The cached value, or undefined on a miss, including a stored value that is corrupt or fails the schema. */
  async get(key: SummaryCacheKey): Promise<T | undefined> {
    try {
      return await this.store.getJson(summaryBlobKey(key), this.schema);
    } catch (error) {
      if (error instanceof StoreError && (error.code === "invalid_value" || error.code === "corrupt")) return undefined;
      throw error;
    }
  }

  /** Validates with the schema and stores the parsed value; returns it. */
  async put(key: SummaryCacheKey, value: T): Promise<T> {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      throw new StoreError("invalid_value", `summary for session ${key.sessionId} does not match the schema: ${describeIssues(result.error.issues)}`, { cause: result.error });
    }
    await this.store.putJson(summaryBlobKey(key), result.data, this.ttlSeconds === undefined ? undefined : { ttlSeconds: this.ttlSeconds });
    return result.data;
  }

  async delete(key: SummaryCacheKey): Promise<boolean> {
    return this.store.delete(summaryBlobKey(key));
  }

  /** The cached value, or `compute()`'s result stored for next time. A failed computation is not cached. */
  async getOrCompute(key: SummaryCacheKey, compute: () => Promise<T>): Promise<T> {
    const blobKey = summaryBlobKey(key);
    const running = this.inFlight.get(blobKey);
    if (running) return running;
    const task = (async () => {
      const cached = await this.get(key);
      if (cached !== undefined) return cached;
      return this.put(key, await compute());
    })().finally(() => {
      this.inFlight.delete(blobKey);
    });
    this.inFlight.set(blobKey, task);
    return task;
  }
}
