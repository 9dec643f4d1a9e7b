import { BaseBlobStore, toBuffer, type BlobStoreOptions, type PutOptions } from "./blob-store.ts";
import { StoreError } from "./errors.ts";

export interface MemoryBlobStoreOptions extends BlobStoreOptions {
  /** Upper bound on the bytes held; the least recently used values are evicted to stay under it. */
  maxBytes?: number;
  /** Clock in epoch ms; tests inject one to expire values without waiting. */
  now?: () => number;
}

interface Entry {
  value: Buffer;
  expiresAtMs: number | undefined;
}

/** In-process store for tests and one-off runs. Values are copied in and out, never shared. */
export class MemoryBlobStore extends BaseBlobStore {
  readonly description: string;
  /** Map order is recency order: a read moves the entry to the end, eviction takes from the front. */
  private readonly entries = new Map<string, Entry>();
  private readonly maxBytes: number | undefined;
  private readonly now: () => number;
  private heldBytes = 0;

  constructor(options: MemoryBlobStoreOptions = {}) {
    super(options);
    if (options.maxBytes !== undefined && !(Number.isInteger(options.maxBytes) && options.maxBytes > 0)) {
      throw new StoreError("invalid_config", `maxBytes must be a positive integer, got ${options.maxBytes}`);
    }
    this.maxBytes = options.maxBytes;
    this.now = options.now ?? Date.now;
    this.description = options.maxBytes === undefined ? "memory" : `memory (max ${options.maxBytes} bytes)`;
  }

  /** Bytes currently held (values only). */
  get bytes(): number {
    return this.heldBytes;
  }

  async put(key: string, value: Buffer | string, options?: PutOptions): Promise<void> {
    this.check(key);
    const bytes = Buffer.from(toBuffer(value));
    if (this.maxBytes !== undefined && bytes.length > this.maxBytes) {
      throw new StoreError("too_large", `${key}: ${bytes.length} bytes exceed the memory store bound of ${this.maxBytes}`);
    }
    const ttlSeconds = this.ttlFor(options);
    this.remove(key);
    this.entries.set(key, { value: bytes, expiresAtMs: ttlSeconds === undefined ? undefined : this.now() + ttlSeconds * 1000 });
    this.heldBytes += bytes.length;
    this.evictOverBound();
  }

  async get(key: string): Promise<Buffer | undefined> {
    const entry = this.live(this.check(key));
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return Buffer.from(entry.value);
  }

  async has(key: string): Promise<boolean> {
    return this.live(this.check(key)) !== undefined;
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.live(this.check(key)) !== undefined;
    this.remove(key);
    return existed;
  }

  protected async closeResources(): Promise<void> {
    this.entries.clear();
    this.heldBytes = 0;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry?.expiresAtMs !== undefined && entry.expiresAtMs <= this.now()) {
      this.remove(key);
      return undefined;
    }
    return entry;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.heldBytes -= entry.value.length;
  }

  private evictOverBound(): void {
    if (this.maxBytes === undefined) return;
    for (const key of this.entries.keys()) {
      if (this.heldBytes <= this.maxBytes) return;
      this.remove(key);
    }
  }
}
