import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { finalizeDataset } from "../../src/capture/finalize.ts";
import { startCaptureServer, type CaptureServer } from "../../src/capture/server.ts";
import { isSafeSessionId } from "../../src/capture/session-id.ts";
import { DatasetWriter } from "../../src/capture/writer.ts";
import { KeyedQueue } from "../../src/io/keyed-queue.ts";
import { runCapture } from "../../src/cli/capture.ts";
import { ReadWarnings } from "../../src/domain/warnings.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { compressLikePosthog } from "../fixtures/dataset-files.ts";
import { captureBody, clientEvent, encodeLikePosthog, post, snapshotBody, type Encoding } from "./capture-posthog-bodies.ts";
import { rr } from "./rrweb-events.ts";

const T0 = Date.parse("2025-03-01T10:00:00.000Z");
const SESSION = "0195a1b2-0c0c-7000-8000-000000000001";
const OTHER = "0195a1b2-0c0c-7000-8000-000000000002";
const WINDOW = "0195a1b2-0c0c-7000-8000-0000000000w1";

let out: string;

beforeEach(() => {
  out = mkdtempSync(path.join(tmpdir(), "capture-writer-"));
});

afterEach(() => {
  rmSync(out, { recursive: true, force: true });
});

function linesOf(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.length > 0);
}

describe("capture writer: concurrent requests", () => {
  it("keeps every line whole when many requests write the same sessions at once", async () => {
    const server = await startCaptureServer({ out, port: 0 });
    try {
      const encodings: Encoding[] = ["gzip", "base64", "json"];
      const sentUuids = new Set<string>();
      const requests: Array<Promise<{ status: number }>> = [];
      for (let i = 0; i < 48; i += 1) {
        const session = i % 3 === 0 ? OTHER : SESSION;
        // Big, uneven lines: a torn or interleaved write would show up as a line that does not parse.
        const padding = "x".repeat(1_000 + ((i * 7_919) % 120_000));
        const events = Array.from({ length: 1 + (i % 4) }, (_, k) => clientEvent("$autocapture", T0 + i * 100 + k, { sessionId: session, windowId: WINDOW }, { $el_text: padding, index: i }));
        for (const event of events) sentUuids.add(event.uuid);
        requests.push(post(server.url, "/i/v0/e/", encodeLikePosthog(captureBody(events), encodings[i % 3]!)));
        const snapshot = [rr.meta(T0 + i * 100), compressLikePosthog(rr.fullSnapshot(T0 + i * 100 + 1, padding.slice(0, 5_000)))];
        requests.push(post(server.url, "/s/", encodeLikePosthog(snapshotBody({ sessionId: session, windowId: WINDOW }, snapshot), encodings[(i + 1) % 3]!)));
      }
      const responses = await Promise.all(requests);
      expect(responses.every((r) => r.status === 200)).toBe(true);
      await server.close();

      const seen = new Set<string>();
      let recordingLines = 0;
      for (const session of [SESSION, OTHER]) {
        const dir = path.join(out, "sessions", session);
        for (const line of linesOf(path.join(dir, "events.jsonl"))) seen.add(JSON.parse(line).uuid);
        for (const line of linesOf(path.join(dir, "recording.jsonl"))) {
          expect(JSON.parse(line).data).toHaveLength(2);
          recordingLines += 1;
        }
        const meta = JSON.parse(readFileSync(path.join(dir, "meta.json"), "utf8"));
        expect(meta.event_count).toBe(linesOf(path.join(dir, "events.jsonl")).length);
        expect(meta.recording_bytes).toBe(statSync(path.join(dir, "recording.jsonl")).size);
      }
      expect(seen).toEqual(sentUuids);
      expect(recordingLines).toBe(48);
    } finally {
      await server.close();
    }
  });

  it("runs tasks of one key in order and tasks of different keys side by side", async () => {
    const queue = new KeyedQueue();
    const order: string[] = [];
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await Promise.all([
      queue.run("a", async () => {
        await wait(30);
        order.push("a1");
      }),
      queue.run("a", async () => {
        order.push("a2");
      }),
      queue.run("b", async () => {
        order.push("b1");
      }),
      queue
        .run("a", async () => {
          throw new Error("a3 fails");
        })
        .catch(() => order.push("a3 failed")),
      queue.run("a", async () => {
        order.push("a4");
      }),
    ]);
    expect(order).toEqual(["b1", "a1", "a2", "a3 failed", "a4"]);
  });
});

describe("capture writer: continuing a dataset", () => {
  it("closes a line torn by a crash before appending, and rebuilds the session's meta from its files", async () => {
    const first = await startCaptureServer({ out, port: 0 });
    await post(first.url, "/e/", encodeLikePosthog(captureBody([clientEvent("$pageview", T0, { sessionId: SESSION, url: "https://shop.test/" })]), "gzip"));
    await post(first.url, "/s/", encodeLikePosthog(snapshotBody({ sessionId: SESSION, windowId: WINDOW }, [rr.meta(T0 - 50), rr.fullSnapshot(T0 - 40)]), "gzip"));
    await first.close();
    const dir = path.join(out, "sessions", SESSION);
    // What a kill -9 in the middle of an append leaves behind.
    appendFileSync(path.join(dir, "events.jsonl"), '{"uuid":"torn","event":"$autoc');
    appendFileSync(path.join(dir, "recording.jsonl"), '{"window_id":"w","data":[{"ty');

    const second = await startCaptureServer({ out, port: 0 });
    await post(second.url, "/e/", encodeLikePosthog(captureBody([clientEvent("$exception", T0 + 5_000, { sessionId: SESSION })]), "json"));
    await post(second.url, "/s/", encodeLikePosthog(snapshotBody({ sessionId: SESSION, windowId: WINDOW }, [rr.click(T0 + 5_000)]), "json"));
    await second.close();

    const events = linesOf(path.join(dir, "events.jsonl"));
    expect(events).toHaveLength(3);
    expect(events[1]).toBe('{"uuid":"torn","event":"$autoc');
    expect(JSON.parse(events[2]!).event).toBe("$exception");
    const meta = JSON.parse(readFileSync(path.join(dir, "meta.json"), "utf8"));
    expect(meta).toMatchObject({
      event_count: 2,
      exception_count: 1,
      first_url: "https://shop.test/",
      start: new Date(T0 - 50).toISOString(),
      end: new Date(T0 + 5_000).toISOString(),
    });

    const warnings = new ReadWarnings();
    const read = [];
    for await (const event of new DatasetSource(out).streamEvents(SESSION, { warnings })) read.push(event);
    expect(read).toHaveLength(2);
    expect(warnings.total).toBe(1);

    const result = await finalizeDataset(out);
    expect(result.droppedLines).toBe(2);
    expect(linesOf(path.join(dir, "events.jsonl"))).toHaveLength(2);
    expect(linesOf(path.join(dir, "recording.jsonl"))).toHaveLength(2);
  });

  it("continues a gzip-finalized session: unpacks it, appends, and counts old and new", async () => {
    const first = await startCaptureServer({ out, port: 0 });
    await post(first.url, "/e/", encodeLikePosthog(captureBody([clientEvent("$pageview", T0, { sessionId: SESSION, url: "https://shop.test/a" })]), "gzip"));
    await post(first.url, "/s/", encodeLikePosthog(snapshotBody({ sessionId: SESSION, windowId: WINDOW }, [rr.meta(T0), rr.fullSnapshot(T0 + 1)]), "gzip"));
    await first.close();
    await finalizeDataset(out, { gzip: true });
    const dir = path.join(out, "sessions", SESSION);
    expect(readdirSync(dir).sort()).toEqual(["events.jsonl.gz", "meta.json", "recording.jsonl.gz"]);

    const second = await startCaptureServer({ out, port: 0 });
    await post(second.url, "/e/", encodeLikePosthog(captureBody([clientEvent("$pageview", T0 + 9_000, { sessionId: SESSION, url: "https://shop.test/b" })]), "gzip"));
    await second.close();
    expect(readdirSync(dir).sort()).toEqual(["events.jsonl", "meta.json", "recording.jsonl"]);
    const meta = JSON.parse(readFileSync(path.join(dir, "meta.json"), "utf8"));
    expect(meta).toMatchObject({ event_count: 2, first_url: "https://shop.test/a", recording_bytes: statSync(path.join(dir, "recording.jsonl")).size });
    const events = [];
    for await (const event of new DatasetSource(out).streamEvents(SESSION)) events.push(event.properties.$current_url);
    expect(events).toEqual(["https://shop.test/a", "https://shop.test/b"]);
  });

  it("refuses session ids that are not safe folder names, including dot-only ones the reader's pattern allows", () => {
    const writer = new DatasetWriter(out);
    for (const bad of ["..", ".", "...", "../x", "a/b", "a\\b", "", "x".repeat(201), "café"]) {
      expect(isSafeSessionId(bad), bad).toBe(false);
      expect(() => writer.sessionDir(bad)).toThrow(/not a safe folder name/);
    }
    expect(writer.sessionDir(SESSION)).toBe(path.join(path.resolve(out), "sessions", SESSION));
    expect(isSafeSessionId("a.b:c-d_e")).toBe(true);
  });
});

describe("session-summaries capture (runCapture)", () => {
  it("prints the URL and the posthog-js hint, logs batches, and finalizes when stopped", async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let printed = "";
    let logged = "";
    stdout.on("data", (chunk) => (printed += String(chunk)));
    stderr.on("data", (chunk) => (logged += String(chunk)));
    const stop = new AbortController();
    const exit = runCapture({ out, port: 0, gzip: true, signal: stop.signal, stdout, stderr });
    while (!printed.includes("Ctrl-C")) await new Promise((resolve) => setTimeout(resolve, 10));
    const url = /listening on (http:\/\/[^,]+),/.exec(printed)?.[1];
    expect(url).toBeDefined();
    expect(printed).toContain(`api_host: "${url}"`);
    await post(url!, "/e/", encodeLikePosthog(captureBody([clientEvent("$pageview", T0, { sessionId: SESSION, url: "https://shop.test/" })]), "gzip"));
    await post(url!, "/s/", encodeLikePosthog(snapshotBody({ sessionId: SESSION, windowId: WINDOW }, [rr.meta(T0), rr.fullSnapshot(T0 + 1)]), "gzip"));
    expect(logged).toMatch(/POST \/e\/ \[gzip\] 1 events/);
    stop.abort();
    expect(await exit).toBe(0);
    expect(printed).toMatch(/finalized .*: 1 sessions, 1 events, 1 recording lines \(gzip\)/);
    expect(readdirSync(path.join(out, "sessions", SESSION)).sort()).toEqual(["events.jsonl.gz", "meta.json", "recording.jsonl.gz"]);
  });

  it("exits with 2 and a message when the port is taken", async () => {
    const busy: CaptureServer = await startCaptureServer({ out, port: 0 });
    try {
      const stderr = new PassThrough();
      let logged = "";
      stderr.on("data", (chunk) => (logged += String(chunk)));
      expect(await runCapture({ out, port: busy.port, stdout: new PassThrough(), stderr })).toBe(2);
      expect(logged).toMatch(/already in use/);
    } finally {
      await busy.close();
    }
  });
});
