import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { EventType } from "@rrweb/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/domain/errors.ts";
import { ReadWarnings } from "../../src/domain/warnings.ts";
import { extractClipFromFile } from "../../src/replay/clip.ts";
import { RecordingError } from "../../src/replay/errors.ts";
import { computeRecordingMetadata } from "../../src/replay/metadata.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { SourceError } from "../../src/sources/errors.ts";
import { truncatedGzip } from "../fixtures/session-builder.ts";

const SAMPLE = fileURLToPath(new URL("../../examples/sample", import.meta.url));
const HAPPY = "0192fb9a-50b4-7a40-9ac8-1e0e239d6431";
const PLACE_ORDER = "0192fbc6-ed7a-75d1-8728-6727dca6639a";
const NOISY = "0192fc1d-6939-7b76-a012-078658b66ed1";
const SEARCH_500 = "0192fc7c-18ee-7048-9276-ed1c2a297964";
const COUPON = "0192fd03-113c-72da-bd11-267637f3f3fa";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<Error & { code: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error("expected a rejection");
  return error as Error & { code: string };
}

describe("DatasetSource on the sample dataset", () => {
  const source = new DatasetSource(SAMPLE);

  it("lists every session, newest first", async () => {
    const sessions = await source.listSessions();
    expect(sessions.map((s) => s.session_id)).toEqual([COUPON, SEARCH_500, NOISY, PLACE_ORDER, HAPPY]);
  });

  it("filters by ids (in the given order), exceptions, URL, duration, time and limit", async () => {
    expect((await source.listSessions({ ids: [HAPPY, COUPON] })).map((s) => s.session_id)).toEqual([HAPPY, COUPON]);
    expect((await source.listSessions({ has_exception: true })).map((s) => s.session_id)).toEqual([SEARCH_500, NOISY, PLACE_ORDER]);
    expect((await source.listSessions({ has_exception: false })).map((s) => s.session_id)).toEqual([COUPON, HAPPY]);
    expect((await source.listSessions({ first_url_contains: "utm_source" })).map((s) => s.session_id)).toEqual([COUPON]);
    expect((await source.listSessions({ min_duration_ms: 90_000 })).map((s) => s.session_id)).toEqual([HAPPY]);
    const from = "2024-11-05T11:00:00Z";
    const to = "2024-11-05T14:00:00Z";
    expect((await source.listSessions({ from, to })).map((s) => s.session_id)).toEqual([SEARCH_500, NOISY]);
    expect(await source.listSessions({ limit: 2 })).toHaveLength(2);
  });

  it("streams events and a two-window recording", async () => {
    const events = await collect(source.streamEvents(COUPON));
    expect(events.length).toBe((await source.getMeta(COUPON)).event_count);
    const recording = await collect(source.streamRecording(COUPON));
    expect(new Set(recording.map((e) => e.windowId)).size).toBe(2);
  });

  it("cuts a clip at a labelled visible failure that shows the error banner", async () => {
    const labels = JSON.parse(await readFile(path.join(SAMPLE, "labels.json"), "utf8"));
    const issue = labels.sessions[SEARCH_500].issues.find((i: { kind: string }) => i.kind === "visible_api_failure");
    const at = Date.parse(issue.timestamp);
    const files = await source.sessionFiles(SEARCH_500);
    const clip = await extractClipFromFile(files.recording!, { startMs: at - 7_000, endMs: at + 5_000 });
    const [window] = clip.windows;
    expect(window!.events[0]!.type).toBe(EventType.Meta);
    expect(window!.events[1]!.type).toBe(EventType.FullSnapshot);
    const inClip = JSON.stringify(window!.events.filter((e) => e.timestamp >= at));
    expect(inClip).toContain("Something went wrong");
  });

  it("refuses unknown and path-like session ids", async () => {
    const unknown = await failure(source.getMeta("0192ffff-0000-7000-8000-000000000000"));
    expect(unknown).toBeInstanceOf(SourceError);
    expect(unknown.code).toBe("session_not_found");
    expect(unknown.message).toContain("0192ffff-0000-7000-8000-000000000000");
    const listed = await failure(source.listSessions({ ids: [HAPPY, "nope-1", "nope-2"] }));
    expect(listed.message).toMatch(/unknown session id\(s\): nope-1, nope-2/);
    expect((await failure(source.getMeta("../../etc"))).code).toBe("invalid_session_id");
    expect((await failure(source.getMeta(".."))).code).toBe("invalid_session_id");
  });
});

describe("DatasetSource on broken datasets", () => {
  let root: string;
  let dataset: string;
  const sessionDir = (id: string) => path.join(dataset, "sessions", id);

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "ss-dataset-"));
    dataset = path.join(root, "broken");
    await cp(SAMPLE, dataset, { recursive: true });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("names a directory that does not exist, or is not a dataset", async () => {
    const missing = await failure(new DatasetSource(path.join(root, "nope")).listSessions());
    expect(missing).toMatchObject({ code: "dataset_not_found" });
    expect(missing.message).toContain(path.join(root, "nope"));
    await mkdir(path.join(root, "not-a-dataset"));
    expect(await failure(new DatasetSource(path.join(root, "not-a-dataset")).listSessions())).toMatchObject({ code: "invalid_dataset" });
  });

  it("skips a session whose meta.json has no session id when listing, and names the file when asked", async () => {
    const metaFile = path.join(sessionDir(HAPPY), "meta.json");
    const meta = JSON.parse(await readFile(metaFile, "utf8"));
    delete meta.session_id;
    await writeFile(metaFile, JSON.stringify(meta));
    const warnings = new ReadWarnings();
    const listed = await new DatasetSource(dataset).listSessions({}, { warnings });
    expect(listed.map((s) => s.session_id)).not.toContain(HAPPY);
    expect(listed).toHaveLength(4);
    expect(warnings.kept[0]).toMatchObject({ file: metaFile, code: "invalid_meta" });
    const error = await failure(new DatasetSource(dataset).getMeta(HAPPY));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(metaFile);
    expect(error.message).toContain("session_id");
  });

  it("names an empty session folder when asked for it, and skips it when listing", async () => {
    await mkdir(sessionDir("0192eeee-0000-7000-8000-000000000000"), { recursive: true });
    const source = new DatasetSource(dataset);
    const error = await failure(source.getMeta("0192eeee-0000-7000-8000-000000000000"));
    expect(error).toMatchObject({ code: "missing_meta" });
    expect(error.message).toContain(path.join(sessionDir("0192eeee-0000-7000-8000-000000000000"), "meta.json"));
    const warnings = new ReadWarnings();
    const listed = await source.listSessions({}, { warnings });
    expect(listed.map((s) => s.session_id)).not.toContain("0192eeee-0000-7000-8000-000000000000");
    expect(warnings.kept.some((w) => w.code === "missing_meta")).toBe(true);
  });

  it("names an empty (0-byte) events file", async () => {
    const source = new DatasetSource(dataset);
    const eventsFile = (await source.sessionFiles(PLACE_ORDER)).events!;
    await writeFile(eventsFile, "");
    const error = await failure(collect(source.streamEvents(PLACE_ORDER)));
    expect(error).toMatchObject({ code: "empty_file" });
    expect(error.message).toContain(eventsFile);
  });

  it("skips a bad event line with a warning naming file and line, and reads the rest", async () => {
    const source = new DatasetSource(dataset);
    const eventsFile = (await source.sessionFiles(SEARCH_500)).events!;
    const lines = (await readFile(eventsFile, "utf8")).trimEnd().split("\n");
    const broken = [lines[0], "{oops", JSON.stringify({ event: "$pageview" }), ...lines.slice(1)];
    await writeFile(eventsFile, broken.join("\n"));
    const warnings = new ReadWarnings();
    const events = await collect(source.streamEvents(SEARCH_500, { warnings }));
    expect(events).toHaveLength(lines.length);
    expect(warnings.kept.map((w) => [w.file, w.line, w.code])).toEqual([
      [eventsFile, 2, "invalid_json"],
      [eventsFile, 3, "invalid_event"],
    ]);
  });

  it("skips, with a warning, a session whose events cannot be read when filtering by exceptions", async () => {
    // PLACE_ORDER's events file was emptied above; without a stored count its events must be read.
    const metaFile = path.join(sessionDir(PLACE_ORDER), "meta.json");
    const meta = JSON.parse(await readFile(metaFile, "utf8"));
    delete meta.exception_count;
    await writeFile(metaFile, JSON.stringify(meta));
    const warnings = new ReadWarnings();
    const withExceptions = await new DatasetSource(dataset).listSessions({ has_exception: true }, { warnings });
    expect(withExceptions.map((s) => s.session_id)).toEqual([SEARCH_500, NOISY]);
    expect(warnings.kept.find((w) => w.code === "empty_file")?.file).toContain(PLACE_ORDER);
  });

  it("names a truncated gzip recording", async () => {
    const source = new DatasetSource(dataset);
    const recordingFile = (await source.sessionFiles(NOISY)).recording!;
    const text = gunzipSync(await readFile(recordingFile));
    await writeFile(recordingFile, truncatedGzip(text, 200));
    const error = await failure(collect(source.streamRecording(NOISY)));
    expect(error).toMatchObject({ code: "corrupt_gzip" });
    expect(error.message).toContain(recordingFile);
  });

  it("reports a recording without a full snapshot as unreplayable, and refuses to cut a clip from it", async () => {
    const source = new DatasetSource(dataset);
    const recordingFile = (await source.sessionFiles(COUPON)).recording!;
    const lines = gunzipSync(await readFile(recordingFile))
      .toString("utf8")
      .trimEnd()
      .split("\n");
    const withoutSnapshots = lines.map((line) => {
      const parsed = JSON.parse(line) as { window_id: string; data: Array<{ type: number }> };
      return JSON.stringify({ ...parsed, data: parsed.data.filter((e) => e.type !== EventType.FullSnapshot) });
    });
    await writeFile(recordingFile, withoutSnapshots.join("\n"));
    const metadata = await computeRecordingMetadata(source.streamRecording(COUPON));
    expect(metadata.replayable).toBe(false);
    expect(metadata.events).toBeGreaterThan(0);
    const meta = await source.getMeta(COUPON);
    const middle = (Date.parse(meta.start) + Date.parse(meta.end)) / 2;
    const error = await failure(extractClipFromFile(recordingFile, { startMs: middle - 6_000, endMs: middle + 6_000 }));
    expect(error).toBeInstanceOf(RecordingError);
    expect(error).toMatchObject({ code: "no_full_snapshot" });
  });
});
