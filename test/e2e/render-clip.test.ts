import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { EventType, IncrementalSource, NodeType, type eventWithTime } from "@rrweb/types";
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractClipFromFile } from "../../src/replay/clip.ts";
import { launchChromium } from "../../src/render/browser.ts";
import { changedFrameCount, clipCheckFacts, renderClip } from "../../src/render/clip-renderer.ts";
import { readConfig } from "../../src/config/env.ts";
import { rr } from "../unit/rrweb-events.ts";
import { PlayerServer } from "../../src/render/player-server.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SAMPLE = path.join(ROOT, "examples/sample");
const ARTIFACTS = path.join(ROOT, ".artifacts");
const SEARCH_500 = "0192fc7c-18ee-7048-9276-ed1c2a297964";

let browser: Browser;
let player: PlayerServer;

beforeAll(async () => {
  browser = await launchChromium();
  player = await new PlayerServer().start();
});
afterAll(async () => {
  await browser?.close();
  await player?.close();
});

describe("renderClip", () => {
  it("renders a 12 s clip around a labelled issue into frames and a valid H.264 video", async () => {
    const labels = JSON.parse(await readFile(path.join(SAMPLE, "labels.json"), "utf8"));
    const at = Date.parse(labels.sessions[SEARCH_500].issues.find((i: { kind: string }) => i.kind === "visible_api_failure").timestamp);
    const files = await new DatasetSource(SAMPLE).sessionFiles(SEARCH_500);
    const range = { startMs: at - 7_000, endMs: at + 5_000 };
    const clip = await extractClipFromFile(files.recording!, range);
    const events = clip.windows[0]!.events;

    // Frames are byte-identical across renders when the machine is quiet (10 of 10), but not yet under
    // parallel load, so determinism is left to bench:render (issue 5) rather than asserted here.
    const first = await renderClip(browser, player, events, range, { framesPerSecond: 2, speed: 8, video: true });
    expect(first.frames).toHaveLength(25);
    expect(first.frameTimes[0]).toBe(range.startMs);
    expect(first.framesHash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.frameTimes[0]).toBe(range.startMs);
    expect(first.framesHash).toMatch(/^[0-9a-f]{64}$/);
    // the page changes during the clip: the banner appears
    expect(new Set(first.frames.map((f) => f.toString("base64"))).size).toBeGreaterThan(1);

    await mkdir(ARTIFACTS, { recursive: true });
    const videoFile = path.join(ARTIFACTS, "clip-sample-search-500.mp4");
    await writeFile(videoFile, first.video!);
    const { stdout } = await run("ffprobe", [
      "-v",
      "error",
      "-select_streams",
      "v:0",
      "-count_frames",
      "-show_entries",
      "stream=codec_name,nb_read_frames,width,height:format=duration",
      "-of",
      "json",
      videoFile,
    ]);
    const probe = JSON.parse(stdout) as { streams: Array<{ codec_name: string; nb_read_frames: string; width: number; height: number }>; format: { duration: string } };
    expect(probe.streams[0]).toMatchObject({ codec_name: "h264", nb_read_frames: "25" });
    expect(probe.streams[0]!.width % 2).toBe(0);
    // 25 frames at 2 per recorded second, played 8x faster: 16 frames per second of video
    expect(Number(probe.format.duration)).toBeCloseTo(25 / 16, 1);
  }, 60_000);

  it("tells a moving cursor and hover from a changed page, and plays the video at 2x by default", async () => {
    const t = Date.parse("2026-11-01T10:00:00Z");
    const pointer = (at: number, x: number, y: number, id = 3) =>
      ({ type: EventType.IncrementalSnapshot, timestamp: at, data: { source: IncrementalSource.MouseMove, positions: [{ x, y, id, timeOffset: 0 }] } }) as eventWithTime;
    // A button that darkens under the pointer: hover is the pointer's doing, not the page answering.
    const element = (id: number, tagName: string, childNodes: unknown[] = [], attributes: Record<string, string> = {}) => ({ type: NodeType.Element, id, tagName, attributes, childNodes });
    const snapshot = {
      type: EventType.FullSnapshot,
      timestamp: t + 1,
      data: {
        node: {
          type: NodeType.Document,
          id: 1,
          childNodes: [
            element(2, "html", [
              element(5, "head", [element(6, "style", [{ type: NodeType.Text, id: 7, textContent: "button{font-size:24px;background:#eee}button:hover{background:#111;color:#fff}", isStyle: true }])]),
              element(3, "body", [{ type: NodeType.Text, id: 4, textContent: "Add to cart" }, element(8, "button", [{ type: NodeType.Text, id: 9, textContent: "Buy" }])]),
            ]),
          ],
        },
        initialOffset: { top: 0, left: 0 },
      },
    } as unknown as eventWithTime;
    const events = [
      rr.meta(t, "https://shop.example/", 640, 400),
      snapshot,
      pointer(t + 400, 100, 100, 8),
      rr.mutation(t + 450, "Add to cart"),
      pointer(t + 900, 300, 200),
      pointer(t + 1_400, 500, 300, 8),
      rr.mutation(t + 1_600, "Added to cart"),
    ];
    const clip = await renderClip(browser, player, events, { startMs: t, endMs: t + 2_000 }, { framesPerSecond: 2, text: true, video: true });
    expect(clip.frames).toHaveLength(5);
    // The cursor moves between every frame, so the frames differ; the page itself changes once.
    expect(new Set(clip.frames.map((f) => f.toString("base64"))).size).toBe(5);
    expect(changedFrameCount(clip.screens)).toBe(1);
    // Frame 1 was captured (a mutation that changes nothing visible) with the button under the pointer.
    expect(clip.screens![1]).toBe(clip.screens![0]);
    expect(clip.screens![3]).toBe(clip.screens![0]);
    expect(clip.screens![4]).not.toBe(clip.screens![3]);
    expect(clipCheckFacts(clip)).toMatchObject({ frames: 5, frames_changed: 1 });
    expect(clip.unreplayable).toEqual([]);

    const videoFile = path.join(ARTIFACTS, "clip-cursor-2x.mp4");
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(videoFile, clip.video!);
    const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "json", videoFile]);
    // 5 frames at 2 per recorded second, played 2x faster: 4 frames per second of video
    expect(Number((JSON.parse(stdout) as { format: { duration: string } }).format.duration)).toBeCloseTo(5 / 4, 1);
    expect(readConfig({}).clip.speed).toBe(2);
    expect(readConfig({ SESSION_SUMMARIES_CLIP_SPEED: "8" }).clip.speed).toBe(8);
  }, 60_000);
});
