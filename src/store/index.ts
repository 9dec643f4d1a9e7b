export { BaseBlobStore, type BlobStore, type BlobStoreOptions, type PutOptions } from "./blob-store.ts";
export { createCheckpointer, type Checkpointer } from "./checkpointer.ts";
export { describeBlobStore, describeCheckpointer } from "./config.ts";
export type { BlobStoreConfig, CheckpointerConfig } from "../config/stores.ts";
export { createBlobStore } from "./create-blob-store.ts";
export { StoreError, maskUrlPassword } from "./errors.ts";
export { FilesystemBlobStore, type FilesystemBlobStoreOptions } from "./filesystem-blob-store.ts";
export { MAX_BLOB_KEY_LENGTH, blobKeys, keySegment, validateBlobKey } from "./keys.ts";
export { MemoryBlobStore, type MemoryBlobStoreOptions } from "./memory-blob-store.ts";
export { RedisBlobStore, type RedisBlobStoreOptions } from "./redis-blob-store.ts";
export {
  SummaryCache,
  normalizeFocusArea,
  summaryBlobKey,
  summaryCacheKey,
  type SummaryCacheKey,
  type SummaryCacheOptions,
} from "./summary-cache.ts";
