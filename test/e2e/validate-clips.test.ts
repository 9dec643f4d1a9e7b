import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import { MemorySaver } from "@langchain/langgraph";
import { EventType } from "@rrweb/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline, createValidationRuntime, type Pipeline } from "../../graph/pipeline.ts";
import { makeValidateNode } from "../../graph/session/nodes/validate.ts";
import { createPipelineAnalyst } from "../../src/llm/model-analyst.ts";
import { executeRun } from "../../src/cli/summarize.ts";
import { readConfig } from "../../src/config/env.ts";
import { SessionSummarySchema, type SessionSummary } from "../../src/domain/summary.ts";
import { extractClipWindow } from "../../src/replay/clip.ts";
import { ClipRenderService } from "../../src/render/clip-service.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { SummaryCache, summaryBlobKey } from "../../src/store/summary-cache.ts";
import { DEFAULTS } from "../../src/config/defaults.ts";
import { enrichSummary } from "../../src/summaries/enrich.ts";
import type { EventRef } from "../../src/encode/types.ts";
import { summaryCacheLabels } from "../../src/store/cache-labels.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATASET = path.join(ROOT, "examples/dataset");
const ARTIFACTS = path.join(ROOT, ".artifacts");
/** Labelled: search for "storage jar" answers 500 and a red banner replaces the results. */
const SEARCH_500 = "01a20170-bf59-7213-9510-ebb6db15b947";
/** Labelled: "Place order" throws and the button does nothing. */
const PLACE_ORDER = "01a2016f-c6fe-781f-b4a1-13fc729afc48";
const OTHER_SEARCH_500 = "01a20177-65a3-7633-ab40-b65a3f5f9357";

let renderer: ClipRenderService;
let work: string;
beforeAll(async () => {
  renderer = new ClipRenderService({ maxPages: 2 });
  work = await mkdtemp(path.join(tmpdir(), "ss-validate-"));
});
afterAll(async () => {
  await renderer?.close();
  await rm(work, { recursive: true, force: true });
});

describe("clip rendering of a recorded session", () => {
  it("renders the labelled moment: the error text is on screen, and the MP4 is valid", async () => {
    const labels = JSON.parse(await readFile(path.join(DATASET, "labels.json"), "utf8"));
    const at = Date.parse(labels.sessions[SEARCH_500].issues[0].timestamp);
    const source = new DatasetSource(DATASET);
    const range = { startMs: at - DEFAULTS.clip.beforeEventMs, endMs: at - DEFAULTS.clip.beforeEventMs + DEFAULTS.clip.lengthMs };
    const clip = await extractClipWindow(source.streamRecording(SEARCH_500), range);
    const rendered = await renderer.render(clip.windows[0]!.events, range, { video: true, text: true });

    expect(rendered.frames).toHaveLength(25);
    const after = rendered.frameTimes.findIndex((t) => t >= at + 1_000);
    expect(rendered.texts![after]).toContain("Something went wrong");
    expect(rendered.texts![0]).not.toContain("Something went wrong");

    await mkdir(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, "clip-dataset-search-500.mp4");
    await writeFile(file, rendered.video!);
    const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames:format=duration", "-of", "json", file]);
    const probe = JSON.parse(stdout) as { streams: Array<{ codec_name: string; nb_read_frames: string }>; format: { duration: string } };
    expect(probe.streams[0]).toEqual({ codec_name: "h264", nb_read_frames: "25" });
    // 25 frames at 2 per recorded second, played at the default 2x: 6.25 s for a 12 s clip.
    expect(Number(probe.format.duration)).toBeCloseTo(25 / (2 * DEFAULTS.clip.speed), 1);
    expect(DEFAULTS.clip.speed).toBe(2);
  }, 90_000);

  it("replaces a browser that died, and the next clip still renders", async () => {
    const source = new DatasetSource(DATASET);
    const labels = JSON.parse(await readFile(path.join(DATASET, "labels.json"), "utf8"));
    const at = Date.parse(labels.sessions[PLACE_ORDER].issues[0].timestamp);
    const range = { startMs: at - 2_000, endMs: at + 2_000 };
    const events = (await extractClipWindow(source.streamRecording(PLACE_ORDER), range)).windows[0]!.events;
    await renderer.render(events, range);
    const before = renderer.pool.launches;
    await renderer.pool.use(async (browser) => {
      browser.process()!.kill("SIGKILL");
      await new Promise<void>((resolve) => (browser.connected ? browser.once("disconnected", () => resolve()) : resolve()));
    });
    const again = await renderer.render(events, range);
    expect(again.frames).toHaveLength(9);
    expect(renderer.pool.launches).toBe(before + 1);
  }, 90_000);
});

/** Copies sessions of the committed dataset, then breaks some recordings. */
async function datasetWith(ids: string[], name: string): Promise<string> {
  const dir = path.join(work, name);
  for (const id of ids) await cp(path.join(DATASET, "sessions", id), path.join(dir, "sessions", id), { recursive: true });
  return dir;
}

async function rewriteRecording(dir: string, id: string, change: (lines: string[]) => string[] | Buffer): Promise<void> {
  const file = path.join(dir, "sessions", id, "recording.jsonl.gz");
  const lines = gunzipSync(await readFile(file))
    .toString("utf8")
    .split("\n")
    .filter(Boolean);
  const out = change(lines);
  await writeFile(file, Buffer.isBuffer(out) ? out : gzipSync(`${out.join("\n")}\n`));
}

describe("validation when the replay cannot be had", () => {
  let pipeline: Pipeline;
  afterAll(async () => pipeline?.close());

  it("a corrupt recording and one without a full snapshot leave the flags unvalidated, marked with the reason; the report completes", async () => {
    const dir = await datasetWith([SEARCH_500, PLACE_ORDER, OTHER_SEARCH_500], "broken");
    // Truncated gzip: the recording cannot be read past its first bytes.
    const whole = await readFile(path.join(dir, "sessions", PLACE_ORDER, "recording.jsonl.gz"));
    await writeFile(path.join(dir, "sessions", PLACE_ORDER, "recording.jsonl.gz"), whole.subarray(0, Math.floor(whole.length / 3)));
    // No full snapshot anywhere: nothing to replay from.
    await rewriteRecording(dir, OTHER_SEARCH_500, (lines) =>
      lines.map((line) => {
        const parsed = JSON.parse(line) as { window_id: string; data: Array<{ type: number }> };
        return JSON.stringify({ ...parsed, data: parsed.data.filter((e) => e.type !== EventType.FullSnapshot) });
      }),
    );

    const config = readConfig({});
    pipeline = await createPipeline({ config, source: new DatasetSource(dir), blobs: new MemoryBlobStore(), checkpointer: new MemorySaver(), validation: "blocking" });
    const report = await executeRun(pipeline, "broken-recordings", { title: "broken", selection: { ids: [SEARCH_500, PLACE_ORDER, OTHER_SEARCH_500] } });

    expect(report.sessions.summarized).toHaveLength(3);
    expect(report.validation).toMatchObject({ method: "dom", mode: "blocking", failed: 2 });
    expect(report.validation!.confirmed).toBeGreaterThanOrEqual(1);
    const summaryOf = async (id: string) => (await pipeline.runtime.summaries.get({ project: "local", sessionId: id, analyst: summaryCacheLabels(pipeline.runtime, report.learned_site)[0]! }))!;
    const corrupt = await summaryOf(PLACE_ORDER);
    const noSnapshot = await summaryOf(OTHER_SEARCH_500);
    for (const [summary, reason] of [
      [corrupt, /gzip|unexpected end|truncated|corrupt/i],
      [noSnapshot, /no full snapshot/],
    ] as const) {
      const checks = summary.visual_checks!;
      expect(checks.length).toBeGreaterThan(0);
      for (const check of checks) {
        expect(check).toMatchObject({ verdict: "inconclusive", changes: [] });
        expect(check.error).toMatch(reason);
      }
      // The flags stay as the analyst set them: still blocking, marked unvalidated.
      const flagged = summary.segments.flatMap((s) => s.key_actions).filter((a) => a.visual_confirmation);
      expect(flagged.every((a) => a.exception === "blocking" && a.visual_confirmation!.error)).toBe(true);
    }
    expect((await summaryOf(SEARCH_500)).visual_checks!.every((c) => c.verdict === "confirmed" && !c.error)).toBe(true);
  }, 120_000);

  it("a clip past the end of the recording is a clear error on that check", async () => {
    const source = new DatasetSource(DATASET);
    const meta = await source.getMeta(SEARCH_500);
    const start = Date.parse(meta.start);
    // A summary claiming a blocking failure long after the recording ended.
    const idMap = new Map<string, EventRef>([["0000000a", { sessionId: SEARCH_500, uuid: "u", index: 0, timestampMs: start + 600_000, event: "$exception" }]]);
    const summary: SessionSummary = enrichSummary(
      {
        segments: [
          {
            name: "Late",
            start_event_id: "0000000a",
            end_event_id: "0000000a",
            key_actions: [{ event_id: "0000000a", description: "late failure", exception: "blocking", confusion: false, abandonment: false }],
            outcome: { success: false, summary: "x" },
          },
        ],
        session_outcome: { success: false, summary: "x" },
      },
      { sessionId: SEARCH_500, startMs: start, endMs: start + 700_000, idMap },
      { kind: "heuristic", label: "offline analyst" },
    );
    const blobs = new MemoryBlobStore();
    const config = readConfig({});
    const runtime = {
      project: "p",
      source,
      blobs,
      summaries: new SummaryCache<SessionSummary>({ store: blobs, schema: SessionSummarySchema }),
      analyst: createPipelineAnalyst(config),
      settings: { ...DEFAULTS.pipeline },
      validation: createValidationRuntime({ config, validation: "blocking" })!,
    };
    try {
      const key = { project: "p", sessionId: SEARCH_500, analyst: runtime.analyst.cacheLabel };
      await runtime.summaries.put(key, summary);
      const update = await makeValidateNode(runtime)({
        session_id: SEARCH_500,
        summary_key: summaryBlobKey(key),
        result: { session_id: SEARCH_500, status: "summarized", blocking: true },
      } as never);
      expect(update.result).toMatchObject({ status: "summarized", blocking: true, summary_key: summaryBlobKey({ ...key, analyst: `${runtime.analyst.cacheLabel}+checked-blocking-dom` }) });
      const [check] = (await runtime.summaries.get({ ...key, analyst: `${runtime.analyst.cacheLabel}+checked-blocking-dom` }))!.visual_checks!;
      expect(check).toMatchObject({ verdict: "inconclusive" });
      expect(check!.error).toMatch(/after the recording ends|no recorded events between/);
    } finally {
      await runtime.validation.renderer.close();
    }
  }, 60_000);
});

describe("replay checks and the summary cache", () => {
  it("turning checks on later checks the cached summaries without asking the analyst again", async () => {
    const config = readConfig({});
    const blobs = new MemoryBlobStore();
    const inner = createPipelineAnalyst(config);
    let summaries = 0;
    const analyst = Object.assign(Object.create(inner) as typeof inner, {
      summarize: (...args: Parameters<typeof inner.summarize>) => {
        summaries += 1;
        return inner.summarize(...args);
      },
    });
    const ids = [SEARCH_500, PLACE_ORDER];
    const runWith = async (validation: "off" | "blocking", runId: string) => {
      const pipeline = await createPipeline({ config, source: new DatasetSource(DATASET), blobs, checkpointer: new MemorySaver(), analyst, validation });
      try {
        return await executeRun(pipeline, runId, { title: runId, selection: { ids } });
      } finally {
        await pipeline.close();
      }
    };
    const unchecked = await runWith("off", "first");
    expect(summaries).toBe(2);
    expect(unchecked.validation).toBeUndefined();
    const checked = await runWith("blocking", "second");
    expect(summaries).toBe(2);
    expect(checked.validation!.checked).toBeGreaterThanOrEqual(2);
    expect(checked.validation!.confirmed).toBeGreaterThanOrEqual(2);
    // And the checked summaries are cached in their turn: a third run renders nothing.
    const again = await runWith("blocking", "third");
    expect(summaries).toBe(2);
    expect(again.validation).toEqual(checked.validation);
  }, 120_000);
});
