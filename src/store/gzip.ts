import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { StoreError } from "./errors.ts";

/** zlib on the thread pool: a 5 MB payload must not block the event loop. */
const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
const GZIP_HEADER_LENGTH = 10;
const FLAG_EXTRA = 0x04;
/** Our gzip "extra" subfield (RFC 1952 §2.3.1.1): `SE` = session-summaries expiry, 8 bytes of epoch ms. */
const EXPIRY_SUBFIELD_ID = [0x53, 0x45] as const;
const EXPIRY_SUBFIELD_LENGTH = 8;

/** Enough leading bytes of a file written by `gzipWithExpiry` to read its expiry. */
export const EXPIRY_HEADER_BYTES = GZIP_HEADER_LENGTH + 2 + 4 + EXPIRY_SUBFIELD_LENGTH;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

export async function gzipBytes(value: Buffer): Promise<Buffer> {
  return gzipAsync(value);
}

export async function gunzipBytes(value: Buffer, where: string): Promise<Buffer> {
  if (!isGzip(value)) throw new StoreError("corrupt", `${where}: stored value is not gzip`);
  try {
    return await gunzipAsync(value);
  } catch (error) {
    throw new StoreError("corrupt", `${where}: stored value does not gunzip (${(error as Error).message})`, { cause: error });
  }
}

/**
 * gzip with the expiry time in the header's "extra" field, so one file holds payload and TTL (one
 * atomic rename, no sidecar to keep in step) and stays readable by `zcat`, which ignores the field.
 */
export async function gzipWithExpiry(value: Buffer, expiresAtMs: number | undefined): Promise<Buffer> {
  const compressed = await gzipAsync(value);
  if (expiresAtMs === undefined) return compressed;
  const extra = Buffer.alloc(2 + 4 + EXPIRY_SUBFIELD_LENGTH);
  extra.writeUInt16LE(4 + EXPIRY_SUBFIELD_LENGTH, 0);
  extra[2] = EXPIRY_SUBFIELD_ID[0];
  extra[3] = EXPIRY_SUBFIELD_ID[1];
  extra.writeUInt16LE(EXPIRY_SUBFIELD_LENGTH, 4);
  extra.writeBigUInt64LE(BigInt(Math.round(expiresAtMs)), 6);
  const header = Buffer.from(compressed.subarray(0, GZIP_HEADER_LENGTH));
  header[3] = header[3]! | FLAG_EXTRA;
  return Buffer.concat([header, extra, compressed.subarray(GZIP_HEADER_LENGTH)]);
}

/** The expiry written by `gzipWithExpiry`, or undefined when the value never expires. */
export function readExpiry(head: Buffer): number | undefined {
  if (!isGzip(head) || head.length < GZIP_HEADER_LENGTH + 2 || (head[3]! & FLAG_EXTRA) === 0) return undefined;
  const extraLength = head.readUInt16LE(GZIP_HEADER_LENGTH);
  const end = Math.min(head.length, GZIP_HEADER_LENGTH + 2 + extraLength);
  for (let at = GZIP_HEADER_LENGTH + 2; at + 4 <= end;) {
    const length = head.readUInt16LE(at + 2);
    if (head[at] === EXPIRY_SUBFIELD_ID[0] && head[at + 1] === EXPIRY_SUBFIELD_ID[1] && length === EXPIRY_SUBFIELD_LENGTH) {
      return at + 4 + length <= end ? Number(head.readBigUInt64LE(at + 4)) : undefined;
    }
    at += 4 + length;
  }
  return undefined;
}
