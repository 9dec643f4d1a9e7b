import { DEFAULTS } from "../config/defaults.ts";
import type { BlobStore } from "./blob-store.ts";
import type { BlobStoreConfig } from "../config/stores.ts";
import { FilesystemBlobStore } from "./filesystem-blob-store.ts";
import { MemoryBlobStore } from "./memory-blob-store.ts";
import { RedisBlobStore } from "./redis-blob-store.ts";

/**
 * The blob store a config names, checked at start-up: a filesystem directory is created and proven
 * writable, Redis is connected and pinged, so a bad setting fails now with a `StoreError` rather than
 * at the first session.
 */
export async function createBlobStore(config: BlobStoreConfig): Promise<BlobStore> {
  switch (config.kind) {
    case "memory":
      return new MemoryBlobStore({ maxBytes: config.maxBytes, defaultTtlSeconds: config.ttlSeconds });
    case "filesystem": {
      const store = new FilesystemBlobStore(config.dir, { defaultTtlSeconds: config.ttlSeconds });
      await store.ensureWritable();
      return store;
    }
    case "redis": {
      const store = new RedisBlobStore({ url: config.url, prefix: config.prefix ?? DEFAULTS.store.redisPrefix, defaultTtlSeconds: config.ttlSeconds });
      try {
        await store.connect();
      } catch (error) {
        await store.close();
        throw error;
      }
      return store;
    }
  }
}
