import { LRUCache } from "lru-cache";
import { BaseBlobStore, toBuffer, type BlobStoreOptions, type PutOptions } from "./blob-store.ts";
import { StoreError } from "./errors.ts";

export interface MemoryBlobStoreOptions extends BlobStoreOptions {
  /** Upper bound on the bytes held; the least recently used values are evicted to stay under it. */
  maxBytes?: number;
  /** Clock in epoch ms; tests inject one to expire values without waiting. */
  now?: () => number;
}

const MS_PER_SECOND = 1000;

/** In-process store for tests and one-off runs. Values are copied in and out, never shared. */
export class MemoryBlobStore extends BaseBlobStore {
  readonly description: string;
  private readonly cache: LRUCache<string, Buffer>;
  private readonly maxBytes: number | undefined;

  constructor(options: MemoryBlobStoreOptions = {}) {
    super(options);
    if (options.maxBytes !== undefined && !(Number.isInteger(options.maxBytes) && options.maxBytes > 0)) {
      throw new StoreError("invalid_config", `maxBytes must be a positive integer, got ${options.maxBytes}`);
    }
    this.maxBytes = options.maxBytes;
    const now = options.now ?? Date.now;
    // lru-cache reads a start time of 0 as "no TTL": its clock counts from 1 at the store's creation.
    const origin = now() - 1;
    this.cache = new LRUCache<string, Buffer>({
      // Unbounded still counts the bytes (for `bytes`): lru-cache tracks sizes only under a maxSize.
      maxSize: options.maxBytes ?? Number.MAX_SAFE_INTEGER,
      // lru-cache wants a positive size: an empty value counts as one byte.
      sizeCalculation: (value) => Math.max(1, value.length),
      perf: { now: () => now() - origin },
      // Read the clock at every check (lru-cache would otherwise reuse a reading for 1 ms of real time, past an injected clock's advance).
      ttlResolution: 0,
    });
    this.description = options.maxBytes === undefined ? "memory" : `memory (max ${options.maxBytes} bytes)`;
  }

  /** Bytes currently held (values only; an empty value counts as one). */
  get bytes(): number {
    return this.cache.calculatedSize;
  }

  async put(key: string, value: Buffer | string, options?: PutOptions): Promise<void> {
    this.check(key);
    const bytes = Buffer.from(toBuffer(value));
    if (this.maxBytes !== undefined && bytes.length > this.maxBytes) {
      throw new StoreError("too_large", `${key}: ${bytes.length} bytes exceed the memory store bound of ${this.maxBytes}`);
    }
    const ttlSeconds = this.ttlFor(options);
    // lru-cache keeps a value while no more than `ttl` ms have passed; the stores expire it once
    // `ttlSeconds` have (as FilesystemBlobStore does): one ms less, on a ms clock.
    this.cache.set(key, bytes, { ttl: ttlSeconds === undefined ? 0 : ttlSeconds * MS_PER_SECOND - 1 });
  }

  async get(key: string): Promise<Buffer | undefined> {
    // An expired value is dropped (its bytes freed) by the read.
    const value = this.cache.get(this.check(key));
    return value === undefined ? undefined : Buffer.from(value);
  }

  async has(key: string): Promise<boolean> {
    return this.live(this.check(key));
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.live(this.check(key));
    this.cache.delete(key);
    return existed;
  }

  protected async closeResources(): Promise<void> {
    this.cache.clear();
  }

  /** Whether `key` holds an unexpired value, without making it more recent; an expired one is dropped. */
  private live(key: string): boolean {
    if (this.cache.has(key)) return true;
    this.cache.delete(key);
    return false;
  }
}
