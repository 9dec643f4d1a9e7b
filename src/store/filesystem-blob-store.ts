import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { BaseBlobStore, toBuffer, type BlobStoreOptions, type PutOptions } from "./blob-store.ts";
import { StoreError, messageOf } from "./errors.ts";
import { EXPIRY_HEADER_BYTES, gunzipBytes, gzipWithExpiry, readExpiry } from "./gzip.ts";

export interface FilesystemBlobStoreOptions extends BlobStoreOptions {
  /** Clock in epoch ms; tests inject one to expire values without waiting. */
  now?: () => number;
}

/** Every blob file ends with this; escaped path parts never contain a literal `.`, so no directory can. */
const BLOB_SUFFIX = ".gz";
const TEMP_MARKER = ".tmp-";
/** Escaped parts longer than this are shortened with a hash to stay under file-name limits (255 bytes). */
const MAX_PATH_PART = 200;

/**
 * One gzip file per key under `dir`: key `acme/sessions/s1/events` → `dir/acme/sessions/s1/events.gz`.
 * Writes go to a temp file in the same directory and are renamed into place, so a reader sees the
 * old value or the new one, never half of one. A TTL is stored inside the file (gzip header "extra"
 * field, see `gzipWithExpiry`); expired files read as missing and are removed by `purgeExpired()`.
 * Keys are case-sensitive: use a case-sensitive file system.
 */
export class FilesystemBlobStore extends BaseBlobStore {
  readonly description: string;
  readonly dir: string;
  private readonly now: () => number;

  constructor(dir: string, options: FilesystemBlobStoreOptions = {}) {
    super(options);
    this.dir = path.resolve(dir);
    this.now = options.now ?? Date.now;
    this.description = `filesystem ${this.dir}`;
  }

  /** Creates the directory and proves it is writable; `createBlobStore` calls this at start-up. */
  async ensureWritable(): Promise<void> {
    const probe = path.join(this.dir, `${TEMP_MARKER}probe-${randomBytes(6).toString("hex")}`);
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(probe, "");
      await unlink(probe);
    } catch (error) {
      throw new StoreError("unwritable", `blob directory ${this.dir} is not writable: ${messageOf(error)}`, { cause: error });
    }
  }

  /** The file that holds a key. */
  pathOf(key: string): string {
    const parts = this.check(key).split("/").map(escapePathPart);
    parts[parts.length - 1] += BLOB_SUFFIX;
    return path.join(this.dir, ...parts);
  }

  async put(key: string, value: Buffer | string, options?: PutOptions): Promise<void> {
    const file = this.pathOf(key);
    const ttlSeconds = this.ttlFor(options);
    const bytes = await gzipWithExpiry(toBuffer(value), ttlSeconds === undefined ? undefined : this.now() + ttlSeconds * 1000);
    const temp = `${file}${TEMP_MARKER}${process.pid}-${randomBytes(6).toString("hex")}`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(temp, bytes);
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      throw new StoreError("unwritable", `cannot write blob ${key} under ${this.dir}: ${messageOf(error)}`, { cause: error });
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    const file = this.pathOf(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new StoreError("unavailable", `cannot read blob ${key}: ${messageOf(error)}`, { cause: error });
    }
    if (this.isExpired(readExpiry(bytes))) return undefined;
    return gunzipBytes(bytes, `blob ${key} (${file})`);
  }

  async has(key: string): Promise<boolean> {
    const file = this.pathOf(key);
    const head = await this.readHead(file);
    return head !== undefined && !this.isExpired(readExpiry(head));
  }

  async delete(key: string): Promise<boolean> {
    const file = this.pathOf(key);
    const live = await this.has(key);
    try {
      await unlink(file);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw new StoreError("unwritable", `cannot delete blob ${key}: ${messageOf(error)}`, { cause: error });
    }
    return live;
  }

  /**
   * Removes expired blob files and temp files left by crashed writers. A maintenance task (it walks
   * the whole directory), never called on the hot path. Returns how many files were removed.
   */
  async purgeExpired(): Promise<number> {
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
        if (isNotFound(error)) return [];
        throw error;
      });
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          await walk(full);
        } else if (entry.name.includes(TEMP_MARKER)) {
          await rm(full, { force: true });
          removed += 1;
        } else if (entry.name.endsWith(BLOB_SUFFIX)) {
          const head = await this.readHead(full);
          if (head && this.isExpired(readExpiry(head))) {
            await rm(full, { force: true });
            removed += 1;
          }
        }
      }
    };
    await walk(this.dir);
    return removed;
  }

  protected async closeResources(): Promise<void> {}

  private isExpired(expiresAtMs: number | undefined): boolean {
    return expiresAtMs !== undefined && expiresAtMs <= this.now();
  }

  private async readHead(file: string): Promise<Buffer | undefined> {
    let handle;
    try {
      handle = await open(file, "r");
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new StoreError("unavailable", `cannot read ${file}: ${messageOf(error)}`, { cause: error });
    }
    try {
      const head = Buffer.alloc(EXPIRY_HEADER_BYTES);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      return head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }
}

/**
 * Same alphabet as `keySegment` (so a `.` is always `%2E` on disk, and `%` is `%25` to keep the
 * mapping one-to-one: parts already escaped by `blobKeys` are escaped again).
 */
function escapePathPart(part: string): string {
  const escaped = part.replace(/[^A-Za-z0-9_-]/gu, (char) => [...Buffer.from(char, "utf8")].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join(""));
  if (escaped.length <= MAX_PATH_PART) return escaped;
  // `~` is never produced by escaping, so shortened names cannot equal escaped ones.
  return `${escaped.slice(0, 100)}~${createHash("sha256").update(part).digest("hex").slice(0, 32)}`;
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
