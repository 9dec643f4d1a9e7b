/**
 * Clip rendering benchmark: N clips of the recorded dataset, each 12 s around a labelled visible
 * issue, rendered twice on one warm browser pool (frames at 2 per second, page text, H.264 MP4).
 * Reports the median seconds per clip of the warm passes, whether the two passes gave
 * byte-identical frames and the same screens (what the validator compares), how many frames
 * changed, and how many URLs of the recorded pages the sandbox refused.
 *
 *   npm run bench:render -- [datasetDir=examples/dataset] [--clips 10] [--pages 1]
 *
 * Progress goes to stderr; the last stdout line is one JSON object with the figures.
 */
import { readFile } from "node:fs/promises";
import { cpus } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { eventWithTime } from "@rrweb/types";
import { DEFAULTS } from "../src/config/defaults.ts";
import { LabelsSchema } from "../src/domain/labels.ts";
import { extractClipWindow } from "../src/replay/clip.ts";
import { changedFrameCount } from "../src/render/clip-renderer.ts";
import { ClipRenderService } from "../src/render/clip-service.ts";
import { DatasetSource } from "../src/sources/dataset.ts";

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index === -1 ? fallback : Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const datasetDir = process.argv[2] && !process.argv[2].startsWith("--") ? process.argv[2] : "examples/dataset";
  const clipCount = option("clips", 10);
  const pages = option("pages", 1);
  const labels = LabelsSchema.parse(JSON.parse(await readFile(path.join(datasetDir, "labels.json"), "utf8")));
  const moments = Object.entries(labels.sessions)
    .flatMap(([sessionId, label]) => label.issues.filter((issue) => issue.visible).map((issue) => ({ sessionId, at: Date.parse(issue.timestamp) })))
    .slice(0, clipCount);
  const source = new DatasetSource(datasetDir);
  const clips: Array<{ sessionId: string; range: { startMs: number; endMs: number }; events: eventWithTime[] }> = [];
  for (const { sessionId, at } of moments) {
    const range = { startMs: at - DEFAULTS.clip.beforeEventMs, endMs: at - DEFAULTS.clip.beforeEventMs + DEFAULTS.clip.lengthMs };
    const window = await extractClipWindow(source.streamRecording(sessionId), range);
    clips.push({ sessionId, range, events: window.windows[0]!.events });
  }

  const renderer = new ClipRenderService({ maxPages: pages, framesPerSecond: DEFAULTS.clip.framesPerSecond, speed: DEFAULTS.clip.speed });
  try {
    // Warm the pool: the browser start is paid once per run, not per clip.
    await renderer.render(clips[0]!.events, { startMs: clips[0]!.range.startMs, endMs: clips[0]!.range.startMs });
    type Result = { hash: string; screens: string; frames: number; changed: number; blocked: number; blockedAttempts: number; seconds: number };
    const passes: Result[][] = [];
    let wall = 0;
    for (let pass = 0; pass < 2; pass++) {
      const started = performance.now();
      // `pages` workers, so a clip's time is its render, not its wait for a page.
      const results: Result[] = new Array(clips.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: pages }, async () => {
          while (next < clips.length) {
            const index = next++;
            const clip = clips[index]!;
            const t0 = performance.now();
            const rendered = await renderer.render(clip.events, clip.range, { video: true, text: true });
            const seconds = (performance.now() - t0) / 1000;
            process.stderr.write(`pass ${pass + 1}: ${clip.sessionId} ${rendered.frames.length} frames in ${seconds.toFixed(2)} s\n`);
            results[index] = {
              hash: rendered.framesHash,
              screens: (rendered.screens ?? []).join(","),
              frames: rendered.frames.length,
              changed: changedFrameCount(rendered.screens) ?? 0,
              blocked: rendered.blocked.length,
              blockedAttempts: rendered.blockedAttempts,
              seconds,
            };
          }
        }),
      );
      wall += (performance.now() - started) / 1000;
      passes.push(results);
    }
    const [first, second] = passes as [(typeof passes)[0], (typeof passes)[0]];
    const differing = first.filter((r, i) => r.hash !== second[i]!.hash).length;
    const screensDiffering = first.filter((r, i) => r.screens !== second[i]!.screens).length;
    const all = [...first, ...second];
    console.log(
      JSON.stringify({
        bench: "render",
        dataset: datasetDir,
        clips: clips.length,
        pages,
        frames: first.reduce((n, r) => n + r.frames, 0),
        frames_per_second: DEFAULTS.clip.framesPerSecond,
        clip_length_s: DEFAULTS.clip.lengthMs / 1000,
        seconds_per_clip_median: Math.round(median(all.map((r) => r.seconds)) * 100) / 100,
        // With several pages, clips overlap: wall time over clips is what a clip costs a run.
        seconds_per_clip_wall: Math.round((wall / all.length) * 100) / 100,
        identical_frames: differing === 0,
        clips_differing: differing,
        // What the validator compares: which frames look alike, the cursor and hover left out.
        identical_screens: screensDiffering === 0,
        frames_changed: first.reduce((n, r) => n + r.changed, 0),
        // Distinct refused URLs per clip, and how often the replay asked for them (every seek rebuilds the page).
        blocked_requests: first.reduce((n, r) => n + r.blocked, 0),
        blocked_attempts: first.reduce((n, r) => n + r.blockedAttempts, 0),
        machine: `${cpus().length} cores, node ${process.version}`,
      }),
    );
  } finally {
    await renderer.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:render failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
