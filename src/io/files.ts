import { open, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

/** Appending and replacing files so a crash leaves at most one torn line, never a half-written JSON file. */

/** Appends a buffer with as few writes as the OS allows (one, for any sane size). */
export async function appendWhole(file: string, buffer: Buffer): Promise<void> {
  const handle = await open(file, "a");
  try {
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
  } finally {
    await handle.close();
  }
}

/** If a file does not end with a newline (an append cut short), ends it with one. */
export async function closeTornTail(file: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch {
    return; // no file yet
  }
  let torn = false;
  try {
    const { size } = await handle.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      torn = last[0] !== 0x0a;
    }
  } finally {
    await handle.close();
  }
  if (torn) await appendWhole(file, Buffer.from("\n"));
}

/** Writes JSON to a temp file in the same folder and renames it over the target. */
export async function writeJsonAtomic(file: string, value: unknown, nextId: () => number): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${nextId()}.tmp`);
  await writeFile(temp, JSON.stringify(value, null, 2) + "\n", "utf8");
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** A file's size in bytes; 0 when it does not exist (yet). */
export async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}
