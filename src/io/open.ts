import { createReadStream } from "node:fs";
import { access, open, stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { InputError } from "../domain/errors.ts";

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const READ_CHUNK_BYTES = 1 << 20;

export interface OpenedInput {
  file: string;
  /** Size on disk (compressed size for gzip). */
  bytesOnDisk: number;
  gzip: boolean;
  /** Decompressed bytes, in order. Errors are `InputError`s naming the file. */
  chunks: AsyncIterable<Buffer>;
}

/**
 * Opens a file for streaming, gunzipping it when it starts with the gzip magic bytes (whatever its
 * name says). A missing file, a 0-byte file and a corrupt or truncated gzip stream are `InputError`s.
 */
export async function openInput(file: string): Promise<OpenedInput> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new InputError("not_a_file", { file }, "is not a regular file");
    size = info.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError("file_not_found", { file }, "file does not exist or cannot be read", { cause: error });
  }
  if (size === 0) throw new InputError("empty_file", { file }, "file is empty (0 bytes)");

  const gzip = await startsWithGzipMagic(file);
  return { file, bytesOnDisk: size, gzip, chunks: withoutByteOrderMark(readChunks(file, gzip)) };
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Drops a leading UTF-8 byte order mark, which editors on some systems write and JSON does not allow. */
async function* withoutByteOrderMark(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head: Buffer = Buffer.alloc(0);
  let checked = false;
  for await (const chunk of chunks) {
    if (checked) {
      yield chunk;
      continue;
    }
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (head.length < UTF8_BOM.length && UTF8_BOM.subarray(0, head.length).equals(head)) continue;
    checked = true;
    yield head.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) ? head.subarray(UTF8_BOM.length) : head;
  }
  if (!checked && head.length > 0) yield head;
}

async function startsWithGzipMagic(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

async function* readChunks(file: string, gzip: boolean): AsyncGenerator<Buffer> {
  const raw = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  if (!gzip) {
    yield* raw as AsyncIterable<Buffer>;
    return;
  }
  const gunzip = createGunzip({ chunkSize: READ_CHUNK_BYTES });
  raw.on("error", (error) => gunzip.destroy(error));
  raw.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError("corrupt_gzip", { file }, `gzip data is corrupt or truncated (${reason})`, { cause: error });
  } finally {
    raw.destroy();
    gunzip.destroy();
  }
}

/** Whether a path exists (and is reachable): for "write it unless it is there". */
export async function fileExists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
