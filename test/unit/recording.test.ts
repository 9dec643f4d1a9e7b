import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { EventType, IncrementalSource } from "@rrweb/types";
import { beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/domain/errors.ts";
import type { WindowedEvent } from "../../src/domain/recording.ts";
import { ReadWarnings } from "../../src/domain/warnings.ts";
import { Rng } from "../../src/generate/random.ts";
import { extractClipFromFile, extractClipWindow } from "../../src/replay/clip.ts";
import { RecordingError } from "../../src/replay/errors.ts";
import { computeRecordingMetadata } from "../../src/replay/metadata.ts";
import { readRecording } from "../../src/replay/reader.ts";
import { rr, snapshotLine } from "./rrweb-events.ts";

const T0 = Date.parse("2026-11-01T10:00:00Z");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ss-rec-"));
});

async function write(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* stream(events: WindowedEvent[]): AsyncGenerator<WindowedEvent> {
  yield* events;
}

/** Gzip JSON as a latin1 string, as posthog-js stores compressed event parts. */
function posthogGzip(value: unknown): string {
  return gzipSync(JSON.stringify(value)).toString("latin1");
}

describe("readRecording", () => {
  const windowA = [rr.meta(T0), rr.fullSnapshot(T0 + 10), rr.mouseMove(T0 + 500), rr.click(T0 + 600)];
  const windowB = [rr.meta(T0 + 1000, "https://shop.test/b"), rr.fullSnapshot(T0 + 1010)];

  it("reads snapshot JSONL with both line shapes, gzip or not", async () => {
    const text = [snapshotLine("win-a", windowA), JSON.stringify(["win-b", windowB[0]]), JSON.stringify(["win-b", windowB[1]])].join("\n");
    for (const file of [await write("rec.jsonl", text), await write("rec.jsonl.gz", gzipSync(text))]) {
      const events = await collect(readRecording(file));
      expect(events.map((e) => [e.windowId, e.event.timestamp])).toEqual([...windowA.map((e) => ["win-a", e.timestamp]), ...windowB.map((e) => ["win-b", e.timestamp])]);
    }
  });

  it("reads a BOM-prefixed rrweb array, and JSONL after a long run of blank lines", async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const array = await write("bom.json", Buffer.concat([bom, Buffer.from(JSON.stringify(windowA))]));
    expect((await collect(readRecording(array))).map((e) => e.event)).toEqual(windowA);
    const padded = await write("padded.jsonl", "\n".repeat(10_000) + snapshotLine("w", windowA));
    const events = await collect(readRecording(padded, {}));
    expect(events).toHaveLength(windowA.length);
  });

  it("reads a plain rrweb array as one window", async () => {
    const file = await write("plain.json", JSON.stringify(windowA, null, 2));
    const events = await collect(readRecording(file));
    expect(events.map((e) => e.event)).toEqual(windowA);
    expect(new Set(events.map((e) => e.windowId)).size).toBe(1);
  });

  it("decompresses posthog-js compressed full snapshots and mutations", async () => {
    const snapshot = rr.fullSnapshot(T0 + 10, "compressed body");
    const mutation = rr.mutation(T0 + 20, "new text");
    const mutationData = mutation.data as unknown as Record<string, unknown>;
    const compressed = [
      rr.meta(T0),
      { ...snapshot, cv: "2024-10", data: posthogGzip(snapshot.data) },
      {
        ...mutation,
        cv: "2024-10",
        data: {
          source: IncrementalSource.Mutation,
          texts: posthogGzip(mutationData.texts),
          attributes: posthogGzip(mutationData.attributes),
          removes: posthogGzip(mutationData.removes),
          adds: posthogGzip(mutationData.adds),
        },
      },
    ];
    const file = await write("compressed.jsonl", snapshotLine("w", compressed));
    const events = (await collect(readRecording(file))).map((e) => e.event);
    expect(events[1]).toEqual(snapshot);
    expect(events[2]).toEqual(mutation);
  });

  it("skips a bad line and unknown event types with counted warnings, and reads the rest", async () => {
    const text = [
      snapshotLine("w", [rr.meta(T0), rr.fullSnapshot(T0 + 1)]),
      "{not json",
      JSON.stringify({ window: "w", events: [] }),
      snapshotLine("w", [{ type: 42, timestamp: T0 + 2, data: {} }, rr.click(T0 + 3), { type: EventType.Custom, data: {} }]),
    ].join("\n");
    const file = await write("bad-lines.jsonl", text);
    const warnings = new ReadWarnings();
    const events = await collect(readRecording(file, { warnings }));
    expect(events.map((e) => e.event.timestamp)).toEqual([T0, T0 + 1, T0 + 3]);
    expect(Object.fromEntries(warnings.countByCode)).toEqual({
      invalid_json: 1,
      invalid_recording_line: 1,
      unknown_rrweb_event_type: 1,
      invalid_rrweb_event: 1,
    });
    expect(warnings.kept.find((w) => w.code === "invalid_json")).toMatchObject({ file, line: 2 });
    expect(warnings.kept.find((w) => w.code === "unknown_rrweb_event_type")!.problem).toContain("42");
  });

  it("fails with the skipped reasons when nothing is readable", async () => {
    const file = await write("nothing.jsonl", "nope\n" + snapshotLine("w", [{ type: 99, timestamp: 1 }]));
    const error = await collect(readRecording(file)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe("no_recording_events");
    expect((error as InputError).message).toMatch(/nothing.jsonl.*invalid_json x1.*unknown_rrweb_event_type x1/);
  });

  it("names a truncated gzip recording", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => snapshotLine("w", [rr.mouseMove(T0 + i, 5)])).join("\n");
    const gz = gzipSync(lines);
    const file = await write("cut.jsonl.gz", gz.subarray(0, gz.length - 200));
    const error = await collect(readRecording(file)).catch((e: unknown) => e);
    expect((error as InputError).code).toBe("corrupt_gzip");
    expect((error as InputError).location.file).toBe(file);
    expect((error as InputError).location.line).toBeGreaterThan(1);
  });
});

const FIXTURES = path.join(import.meta.dirname, "../fixtures/recordings");

describe('readRecording: PostHog\'s older {"snapshots": [...]} JSON shape', () => {
  it("reads {window_id, data} groups and bare events with their windows, without a warning", async () => {
    const warnings = new ReadWarnings();
    const file = path.join(FIXTURES, "posthog-snapshots-object.json");
    const events = await collect(readRecording(file, { warnings }));
    expect(warnings.total).toBe(0);
    expect(events).toHaveLength(11);
    const windows = [...new Set(events.map((e) => e.windowId))];
    expect(windows).toHaveLength(2);
    expect(events.filter((e) => e.event.type === EventType.FullSnapshot).map((e) => e.windowId)).toEqual(windows);
    // The bare event at the end keeps the window it names.
    expect(events.at(-1)!.windowId).toBe(windows[1]);
    const metadata = await computeRecordingMetadata(readRecording(file));
    expect(metadata.durationMs).toBe(11_800);
    expect(metadata.windows).toHaveLength(2);
  });

  it("cuts a clip from it, with each window's own snapshot", async () => {
    const file = path.join(FIXTURES, "posthog-snapshots-object.json");
    const start = (await collect(readRecording(file)))[0]!.event.timestamp;
    const clip = await extractClipFromFile(file, { startMs: start + 2_000, endMs: start + 11_800 });
    expect(clip.windows.map((w) => w.events.some((e) => e.type === EventType.FullSnapshot))).toEqual([true, true]);
    expect(clip.windows.flatMap((w) => w.events.filter((e) => e.type === EventType.IncrementalSnapshot)).length).toBeGreaterThan(3);
  });

  it('reads PostHog\'s own mock recording (rrweb events under "snapshots") without a warning', async () => {
    const warnings = new ReadWarnings();
    const events = await collect(readRecording(path.join(FIXTURES, "posthog-frontend-mock-snapshots.json"), { warnings }));
    expect(warnings.total).toBe(0);
    expect(events).toHaveLength(11);
    expect(events[0]!.event.type).toBe(EventType.Meta);
    expect(new Set(events.map((e) => e.windowId)).size).toBe(1);
  });

  it("finds the array after other keys and skips nested values, gzipped or not, compact or indented", async () => {
    const body = {
      next: 'https://x.test/?cursor="}]{',
      meta: { nested: [{ deep: ["]", "}"] }], n: -1.5e3, ok: true, none: null },
      snapshots: [rr.meta(T0), rr.fullSnapshot(T0 + 10), rr.click(T0 + 600)],
      after: [1, 2, { x: "]" }],
    };
    const compact = await write("object.json.gz", gzipSync(JSON.stringify(body)));
    const spaced = await write("object-spaced.json", JSON.stringify(body, null, 3));
    for (const file of [compact, spaced]) {
      const events = await collect(readRecording(file));
      expect(events.map((e) => e.event)).toEqual(body.snapshots);
    }
  });

  it("says what is wrong with an object that has no snapshots array, or is cut short", async () => {
    const noKey = await write("no-key.json", JSON.stringify({ next: null, results: [] }));
    const noKeyError = (await collect(readRecording(noKey)).catch((e: unknown) => e)) as InputError;
    expect(noKeyError).toBeInstanceOf(InputError);
    expect(noKeyError.message).toMatch(/no "snapshots" array.*next, results/);
    const cut = await write("cut.json", JSON.stringify({ snapshots: [rr.meta(T0), rr.fullSnapshot(T0 + 10)] }).slice(0, -30));
    const cutError = (await collect(readRecording(cut)).catch((e: unknown) => e)) as InputError;
    expect(cutError).toBeInstanceOf(InputError);
    expect(cutError.message).toMatch(/truncated/);
  });

  it("still reads JSONL lines that are objects starting with window_id or data", async () => {
    const text = [JSON.stringify({ data: windowAEvents(), window_id: "w" }), snapshotLine("w", [rr.click(T0 + 700)])].join("\n");
    const events = await collect(readRecording(await write("data-first.jsonl", text)));
    expect(events).toHaveLength(windowAEvents().length + 1);
  });
});

function windowAEvents() {
  return [rr.meta(T0), rr.fullSnapshot(T0 + 10), rr.mouseMove(T0 + 500)];
}

describe("computeRecordingMetadata", () => {
  it("derives duration, windows, viewport and activity", async () => {
    const events: WindowedEvent[] = [
      { windowId: "a", event: rr.meta(T0, "https://shop.test/", 1440, 900) },
      { windowId: "a", event: rr.fullSnapshot(T0 + 5) },
      { windowId: "a", event: rr.mouseMove(T0 + 1000, 4) },
      { windowId: "a", event: rr.click(T0 + 2000) },
      { windowId: "a", event: rr.input(T0 + 3000, "a") },
      { windowId: "a", event: rr.input(T0 + 3500, "ab") },
      { windowId: "a", event: rr.mutation(T0 + 3600) },
      // 20 s idle, then one more click in another window
      { windowId: "b", event: rr.meta(T0 + 23_000, "https://shop.test/other", 800, 600) },
      { windowId: "b", event: rr.fullSnapshot(T0 + 23_001) },
      { windowId: "b", event: rr.click(T0 + 24_000) },
    ];
    const meta = await computeRecordingMetadata(stream(events), { inactivityGapMs: 5000 });
    expect(meta).toMatchObject({
      startMs: T0,
      endMs: T0 + 24_000,
      durationMs: 24_000,
      events: 10,
      fullSnapshots: 2,
      mutations: 1,
      clicks: 2,
      keypresses: 2,
      mouseActivity: 4 + 2,
      viewport: { width: 1440, height: 900 },
      replayable: true,
      // activity at 1.0, 2.0, 3.0, 3.5 s (2.5 s active), then 20.5 s idle, then 24.0 s alone
      activeMs: 2500,
      activeSeconds: 3,
    });
    expect(meta.windows.map((w) => [w.windowId, w.urls, w.viewport])).toEqual([
      ["a", ["https://shop.test/"], { width: 1440, height: 900 }],
      ["b", ["https://shop.test/other"], { width: 800, height: 600 }],
    ]);
  });

  it("marks a recording without a full snapshot as not replayable", async () => {
    const meta = await computeRecordingMetadata(stream([{ windowId: "a", event: rr.click(T0) }]));
    expect(meta.replayable).toBe(false);
  });
});

describe("extractClipWindow", () => {
  const recording: WindowedEvent[] = [
    { windowId: "a", event: rr.meta(T0) },
    { windowId: "a", event: rr.fullSnapshot(T0 + 1, "old page") },
    { windowId: "a", event: rr.mutation(T0 + 2000, "stale") },
    { windowId: "a", event: rr.meta(T0 + 10_000, "https://shop.test/checkout") },
    { windowId: "a", event: rr.fullSnapshot(T0 + 10_001, "checkout") },
    { windowId: "a", event: rr.mouseMove(T0 + 11_000) },
    { windowId: "a", event: rr.mutation(T0 + 12_000, "before clip") },
    { windowId: "a", event: rr.click(T0 + 13_000) },
    { windowId: "a", event: rr.click(T0 + 20_000) },
    { windowId: "a", event: rr.mutation(T0 + 21_000, "error shown") },
    { windowId: "b", event: rr.meta(T0 + 22_000) },
    { windowId: "b", event: rr.fullSnapshot(T0 + 22_001) },
    { windowId: "b", event: rr.click(T0 + 23_000) },
    { windowId: "a", event: rr.click(T0 + 40_000) },
  ];

  it("keeps the last snapshot before the clip, the DOM changes since, and the clip's events", async () => {
    const clip = await extractClipWindow(stream(recording), { startMs: T0 + 15_000, endMs: T0 + 27_000 });
    const [a, b] = clip.windows;
    expect(a!.windowId).toBe("a");
    expect(a!.baselineMs).toBe(T0 + 10_001);
    // meta + snapshot + the mutation at 12 s (DOM state); the mouse move and click before the clip are not needed
    expect(a!.events.map((e) => e.timestamp - T0)).toEqual([10_000, 10_001, 12_000, 20_000, 21_000]);
    expect(a!.eventsInClip).toBe(2);
    // a window opened during the clip replays from its own first snapshot
    expect(b!.windowId).toBe("b");
    expect(b!.events.map((e) => e.timestamp - T0)).toEqual([22_000, 22_001, 23_000]);
  });

  it("stops reading once the stream is well past the clip", async () => {
    let read = 0;
    async function* counting(): AsyncGenerator<WindowedEvent> {
      for (const event of recording) {
        read += 1;
        yield event;
      }
    }
    await extractClipWindow(counting(), { startMs: T0 + 1000, endMs: T0 + 3000, orderSlackMs: 5000 });
    expect(read).toBeLessThan(recording.length);
  });

  it("refuses a clip with no full snapshot before or inside it", async () => {
    const noSnapshot: WindowedEvent[] = [
      { windowId: "a", event: rr.click(T0 + 100) },
      { windowId: "a", event: rr.click(T0 + 200) },
    ];
    const error = await extractClipWindow(stream(noSnapshot), { startMs: T0, endMs: T0 + 1000 }, "rec.jsonl").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecordingError);
    expect((error as RecordingError).code).toBe("no_full_snapshot");
    expect((error as RecordingError).message).toContain("rec.jsonl");
  });

  it("refuses a clip past the end of the recording", async () => {
    const error = await extractClipWindow(stream(recording), { startMs: T0 + 100_000, endMs: T0 + 112_000 }, "rec.jsonl").catch((e: unknown) => e);
    expect((error as RecordingError).code).toBe("clip_out_of_range");
    expect((error as RecordingError).message).toContain("last event is at");
  });
});

describe("extractClipFromFile", () => {
  // Two windows in interleaved lines, snapshots every 20 s, mutations throughout, both line shapes.
  function recordingLines(): string[] {
    const lines: string[] = [];
    for (let second = 0; second < 120; second += 2) {
      const t = T0 + second * 1000;
      for (const windowId of ["win-a", "win-b"]) {
        const events = [];
        if (second % 20 === 0) events.push(rr.meta(t, `https://shop.test/${windowId}/${second}`), rr.fullSnapshot(t + 1, `page ${second}`));
        events.push(rr.mutation(t + 100, `${windowId} text at ${second}`), rr.mouseMove(t + 200), rr.click(t + 300));
        lines.push(snapshotLine(windowId, events));
      }
      lines.push(JSON.stringify(["win-b", rr.input(t + 400, `typed ${second}`)]));
    }
    return lines;
  }

  it("gives the same clip as parsing every event, while skipping superseded lines", async () => {
    const text = recordingLines().join("\n");
    const file = await write("clip-source.jsonl.gz", gzipSync(text));
    const request = { startMs: T0 + 65_000, endMs: T0 + 77_000 };
    const { reading, ...fast } = await extractClipFromFile(file, request);
    const reference = await extractClipWindow(readRecording(file), request, file);
    expect(fast).toEqual(reference);
    // lines of mutations and input between the 60 s snapshot and the clip were never parsed
    expect(reading!.linesDeferred).toBeGreaterThan(reading!.deferredLinesParsed);
    const a = fast.windows.find((w) => w.windowId === "win-a")!;
    expect(a.baselineMs).toBe(T0 + 60_001);
    // meta + snapshot at 60 s, mutation at 62 and 64 s, then the clip's events from 66 to 76 s
    expect(a.events[0]!.type).toBe(EventType.Meta);
    expect(a.events.filter((e) => e.timestamp < request.startMs)).toHaveLength(2 + 3);
  });

  it("refuses to hold more catch-up state than allowed", async () => {
    const file = await write("clip-cap.jsonl", recordingLines().join("\n"));
    const error = await extractClipFromFile(file, { startMs: T0 + 75_000, endMs: T0 + 87_000, maxCatchUpBytes: 500 }).catch((e: unknown) => e);
    expect((error as RecordingError).code).toBe("clip_state_too_large");
  });
});

describe("extractClipFromFile against extractClipWindow on random recordings", () => {
  /** Deterministic PRNG so a failure names a seed that reproduces it. */
  function random(seed: number): () => number {
    const rng = new Rng(seed);
    return () => rng.float();
  }

  function randomRecording(seed: number): string[] {
    const rand = random(seed);
    const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)]!;
    const windows = ["win-a", "win-b", "win-c"].slice(0, 1 + Math.floor(rand() * 3));
    const lines: string[] = [];
    let t = T0;
    for (let step = 0; step < 80; step++) {
      t += Math.floor(rand() * 1500);
      const windowId = pick(windows);
      const events: unknown[] = [];
      const kinds = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < kinds; k++) {
        const at = t + k * 10;
        const kind = rand();
        if (kind < 0.08) events.push(rr.meta(at, `https://shop.test/${step}`), rr.fullSnapshot(at + 1, `page ${step}`));
        else if (kind < 0.12) events.push(rr.meta(at, `https://shop.test/m${step}`));
        else if (kind < 0.5) events.push(rr.mutation(at, `text ${step}.${k}`));
        else if (kind < 0.7) events.push(rr.mouseMove(at));
        else if (kind < 0.8) events.push(rr.input(at, `typed ${step}`));
        else if (kind < 0.85) events.push({ type: 99, timestamp: at + 500_000, data: {} });
        else if (kind < 0.9) events.push({ type: EventType.Custom, timestamp: at, data: { tag: "x", payload: { timestamp: 1 } } });
        else if (kind < 0.93) events.push({ ...rr.click(at), timestamp: at + 0.5 });
        else events.push(rr.click(at));
      }
      if (rand() < 0.2 && events.length === 1) lines.push(JSON.stringify([windowId, events[0]]));
      else lines.push(snapshotLine(windowId, events));
    }
    return lines;
  }

  it.each(Array.from({ length: 25 }, (_, i) => i + 1))("gives the same result for seed %i", async (seed) => {
    const lines = randomRecording(seed);
    const file = await write(`random-${seed}.jsonl`, lines.join("\n"));
    const rand = random(seed * 7919);
    const startMs = T0 + Math.floor(rand() * 60_000);
    const request = { startMs, endMs: startMs + 12_000, orderSlackMs: 5_000 };
    const outcome = async (run: () => Promise<unknown>) => {
      try {
        const { reading: _reading, ...clip } = (await run()) as { reading?: unknown };
        return { clip };
      } catch (error) {
        return { error: (error as { code?: string }).code };
      }
    };
    const fast = await outcome(() => extractClipFromFile(file, request));
    const reference = await outcome(() => extractClipWindow(readRecording(file), request, file));
    expect(fast).toEqual(reference);
  });

  it("keeps the Meta of a page loaded right at the clip's start", async () => {
    const file = await write(
      "meta-at-start.jsonl",
      [snapshotLine("w", [rr.meta(T0 + 999, "https://shop.test/new", 1024, 700)]), snapshotLine("w", [rr.fullSnapshot(T0 + 1000), rr.click(T0 + 1500)])].join("\n"),
    );
    const clip = await extractClipFromFile(file, { startMs: T0 + 1000, endMs: T0 + 13_000 });
    expect(clip.windows[0]!.events.map((e) => e.type)).toEqual([EventType.Meta, EventType.FullSnapshot, EventType.IncrementalSnapshot]);
  });
});
