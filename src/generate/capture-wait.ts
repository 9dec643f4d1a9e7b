import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { sleep } from "./visitor.ts";

export interface CaptureWaitOptions {
  /** Dataset directory the capture server writes. */
  out: string;
  sessionId: string;
  /** Browser time at which the tab was closed: the session's last `$pageleave` is stamped about then. */
  leftAt: number;
  timeoutMs?: number;
  /** The files must stop growing for this long. */
  quietMs?: number;
}

/**
 * Waits until the capture server has written what the closed tab sent last: the final `$pageleave`
 * (posthog-js sends it with the remaining queue and recording buffer by sendBeacon on unload), and
 * then until the session's files stop growing. Returns false on timeout.
 */
export async function waitForCapturedSession(options: CaptureWaitOptions): Promise<boolean> {
  const dir = path.join(options.out, "sessions", options.sessionId);
  const eventsFile = path.join(dir, "events.jsonl");
  const recordingFile = path.join(dir, "recording.jsonl");
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  const quietMs = options.quietMs ?? 1_200;

  while (!(await hasFinalPageleave(eventsFile, options.leftAt))) {
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
  let sizes = await sizesOf([eventsFile, recordingFile]);
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    if (Date.now() > deadline) return false;
    await sleep(200);
    const now = await sizesOf([eventsFile, recordingFile]);
    if (now !== sizes) {
      sizes = now;
      quietSince = Date.now();
    }
  }
  return true;
}

async function hasFinalPageleave(eventsFile: string, leftAt: number): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(eventsFile, "utf8");
  } catch {
    return false;
  }
  for (const line of text.split("\n")) {
    if (!line.includes('"$pageleave"')) continue;
    try {
      const event = JSON.parse(line) as { event?: string; timestamp?: string };
      if (event.event === "$pageleave" && Date.parse(event.timestamp ?? "") >= leftAt - 3_000) return true;
    } catch {
      // a line still being written
    }
  }
  return false;
}

async function sizesOf(files: string[]): Promise<string> {
  const sizes = await Promise.all(
    files.map((file) =>
      stat(file).then(
        (s) => s.size,
        () => -1,
      ),
    ),
  );
  return sizes.join(",");
}
