import type { z } from "zod";
import { describeIssues } from "../domain/errors.ts";
import { StoreError } from "./errors.ts";
import { validateBlobKey } from "./keys.ts";

export interface PutOptions {
  /** Seconds until the value disappears (a whole number ≥ 1). Overrides the store's default TTL. */
  ttlSeconds?: number;
}

/**
 * Where large payloads live (events, summaries, frames, reports), so graph state and checkpoints
 * carry keys only. Keys are validated by `validateBlobKey`; build them with `blobKeys`.
 */
export interface BlobStore {
  /** e.g. `redis redis://:***@127.0.0.1:6379 (prefix session-summaries:)`; never a password. */
  readonly description: string;
  put(key: string, value: Buffer | string, options?: PutOptions): Promise<void>;
  /** The stored bytes, or undefined when the key is missing or expired. */
  get(key: string): Promise<Buffer | undefined>;
  has(key: string): Promise<boolean>;
  /** True when something was deleted. */
  delete(key: string): Promise<boolean>;
  putJson(key: string, value: unknown, options?: PutOptions): Promise<void>;
  /**
   * The parsed value, or undefined when missing. With a schema, a stored value that does not match
   * throws `StoreError("invalid_value")`; without one the result is unchecked.
   */
  getJson<T>(key: string, schema?: z.ZodType<T>): Promise<T | undefined>;
  close(): Promise<void>;
}

export interface BlobStoreOptions {
  /** Applied when `put` passes no `ttlSeconds`. Undefined: values never expire. */
  defaultTtlSeconds?: number;
}

/** Key validation, TTL resolution, the closed state and the JSON helpers, shared by every store. */
export abstract class BaseBlobStore implements BlobStore {
  abstract readonly description: string;
  protected readonly defaultTtlSeconds: number | undefined;
  private closed = false;

  constructor(options: BlobStoreOptions = {}) {
    this.defaultTtlSeconds = options.defaultTtlSeconds === undefined ? undefined : checkTtl(options.defaultTtlSeconds);
  }

  abstract put(key: string, value: Buffer | string, options?: PutOptions): Promise<void>;
  abstract get(key: string): Promise<Buffer | undefined>;
  abstract has(key: string): Promise<boolean>;
  abstract delete(key: string): Promise<boolean>;
  protected abstract closeResources(): Promise<void>;

  async putJson(key: string, value: unknown, options?: PutOptions): Promise<void> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new StoreError("invalid_value", `${key}: value is not JSON-serializable`);
    await this.put(key, text, options);
  }

  async getJson<T>(key: string, schema?: z.ZodType<T>): Promise<T | undefined> {
    const bytes = await this.get(key);
    if (bytes === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString("utf8"));
    } catch (error) {
      throw new StoreError("invalid_value", `${key}: stored value is not JSON (${(error as Error).message})`, { cause: error });
    }
    if (!schema) return parsed as T;
    const result = schema.safeParse(parsed);
    if (!result.success) {
      throw new StoreError("invalid_value", `${key}: stored value does not match the schema: ${describeIssues(result.error.issues)}`, {
        cause: result.error,
      });
    }
    return result.data;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.closeResources();
  }

  /** Validates the key and that the store is open; call first in every operation. */
  protected check(key: string): string {
    if (this.closed) throw new StoreError("closed", `${this.description}: store is closed`);
    return validateBlobKey(key);
  }

  /** The TTL in seconds that applies to a put, or undefined for "never expires". */
  protected ttlFor(options?: PutOptions): number | undefined {
    return options?.ttlSeconds === undefined ? this.defaultTtlSeconds : checkTtl(options.ttlSeconds);
  }
}

export function toBuffer(value: Buffer | string): Buffer {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (Buffer.isBuffer(value)) return value;
  throw new StoreError("invalid_value", "a blob value must be a Buffer or a string");
}

function checkTtl(ttlSeconds: number): number {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new StoreError("invalid_value", `ttlSeconds must be a whole number ≥ 1, got ${ttlSeconds}`);
  }
  return ttlSeconds;
}
