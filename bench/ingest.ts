/**
 * Ingest benchmark: generates (once, cached in the temp dir) an rrweb-valid recording of the
 * requested size with many DOM mutations, then streams it and extracts a 12 s clip window near its
 * end, in a fresh child process per file so peak RSS measures reading alone.
 *
 *   npm run bench:ingest -- --mb 700 [--no-gzip]
 *
 * Prints progress to stderr and one JSON line per variant, the last line being the combined result.
 */
import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, statSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { finished } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { createGzip } from "node:zlib";
import { EventType, IncrementalSource, MouseInteractions, NodeType } from "@rrweb/types";
import { DEFAULTS } from "../src/config/defaults.ts";
import { extractClipFromFile } from "../src/replay/clip.ts";

const START_MS = Date.parse("2026-11-01T09:00:00Z");
const BATCH_MS = 2_000;
const FULL_SNAPSHOT_EVERY_MS = 5 * 60_000;
const MB = 1024 * 1024;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** A page of `rows` product rows: a FullSnapshot big enough to look like a real app. */
function fullSnapshot(timestamp: number, rows: number, idBase: number) {
  const rowNodes = Array.from({ length: rows }, (_, i) => ({
    type: NodeType.Element,
    id: idBase + 10 + i * 2,
    tagName: "li",
    attributes: { class: "product-row", "data-sku": `sku-${i}` },
    childNodes: [{ type: NodeType.Text, id: idBase + 11 + i * 2, textContent: `Product ${i} — a reasonably long name` }],
  }));
  return {
    type: EventType.FullSnapshot,
    timestamp,
    data: {
      node: {
        type: NodeType.Document,
        id: 1,
        childNodes: [
          {
            type: NodeType.Element,
            id: 2,
            tagName: "html",
            attributes: { lang: "en" },
            childNodes: [{ type: NodeType.Element, id: 3, tagName: "body", attributes: {}, childNodes: [{ type: NodeType.Element, id: 4, tagName: "ul", attributes: {}, childNodes: rowNodes }] }],
          },
        ],
      },
      initialOffset: { top: 0, left: 0 },
    },
  };
}

/** One 2-second batch: mutations that add and update list rows, pointer movement, a click. */
function batch(t: number, seq: number) {
  const events: unknown[] = [];
  for (let m = 0; m < 12; m++) {
    const id = 100_000 + seq * 40 + m * 3;
    events.push({
      type: EventType.IncrementalSnapshot,
      timestamp: t + m * 150,
      data: {
        source: IncrementalSource.Mutation,
        texts: [{ id: 11, value: `Updated price ${seq}.${m} EUR` }],
        attributes: [{ id: 10, attributes: { class: `product-row highlighted-${m}` } }],
        removes: m % 3 === 0 ? [{ parentId: 4, id: id - 120 }] : [],
        adds: [
          {
            parentId: 4,
            nextId: null,
            node: {
              type: NodeType.Element,
              id,
              tagName: "li",
              attributes: { class: "product-row new", "data-sku": `sku-${seq}-${m}` },
              childNodes: [],
            },
          },
          { parentId: id, nextId: null, node: { type: NodeType.Text, id: id + 1, textContent: `Live item ${seq}-${m}: stock changed` } },
        ],
      },
    });
  }
  events.push({
    type: EventType.IncrementalSnapshot,
    timestamp: t + 1_900,
    data: {
      source: IncrementalSource.MouseMove,
      positions: Array.from({ length: 10 }, (_, i) => ({ x: 100 + i, y: 200 + i, id: 4, timeOffset: -i * 50 })),
    },
  });
  if (seq % 5 === 0) {
    events.push({ type: EventType.IncrementalSnapshot, timestamp: t + 1_950, data: { source: IncrementalSource.MouseInteraction, type: MouseInteractions.Click, id: 10, x: 5, y: 5 } });
  }
  return events;
}

async function generate(file: string, targetBytes: number, gzip: boolean): Promise<void> {
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  const sink = gzip ? createGzip({ level: 6 }) : undefined;
  if (sink) sink.pipe(out);
  const target = sink ?? out;
  let written = 0;
  let t = START_MS;
  let seq = 0;
  let lastSnapshot = -Infinity;
  while (written < targetBytes) {
    const events: unknown[] = [];
    if (t - lastSnapshot >= FULL_SNAPSHOT_EVERY_MS) {
      events.push({ type: EventType.Meta, timestamp: t, data: { href: "https://shop.example.com/live", width: 1280, height: 800 } });
      events.push(fullSnapshot(t + 1, 400, 0));
      lastSnapshot = t;
    }
    events.push(...batch(t + 2, seq));
    const line = `${JSON.stringify({ window_id: "0192f3a1-0000-7000-8000-00000000w001", data: events })}\n`;
    written += Buffer.byteLength(line);
    if (!target.write(line)) await new Promise<void>((resolve) => target.once("drain", () => resolve()));
    t += BATCH_MS;
    seq += 1;
    if (seq % 2000 === 0) process.stderr.write(`  generated ${(written / MB).toFixed(0)} MB\r`);
  }
  target.end();
  await finished(out);
  await writeFile(`${file}.end-ms`, String(t));
  await rename(partial, file);
  process.stderr.write(`  generated ${(written / MB).toFixed(0)} MB uncompressed, ${seq} batches, ${((t - START_MS) / 3_600_000).toFixed(1)} h of recording\n`);
}

/** Child mode: stream one file and extract a clip near its end; print figures as JSON. */
async function measure(file: string): Promise<void> {
  const endMs = Number(arg("end-ms"));
  const clipStart = endMs - 60_000;
  const started = performance.now();
  const clip = await extractClipFromFile(file, {
    startMs: clipStart,
    endMs: clipStart + DEFAULTS.clip.lengthMs,
  });
  const seconds = (performance.now() - started) / 1000;
  const events = clip.windows.reduce((n, w) => n + w.events.length, 0);
  process.stdout.write(`${JSON.stringify({ seconds, clip_events: events, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
}

async function main(): Promise<void> {
  const measureFile = arg("measure");
  if (measureFile) return measure(measureFile);

  const mb = Number(arg("mb") ?? "700");
  if (!Number.isFinite(mb) || mb <= 0) throw new Error(`--mb must be a positive number, got ${arg("mb")}`);
  const cacheDir = path.join(tmpdir(), "session-summaries-bench");
  await mkdir(cacheDir, { recursive: true });
  const variants = process.argv.includes("--no-gzip") ? [false] : [false, true];
  const results: Record<string, unknown> = {};
  for (const gzip of variants) {
    const file = path.join(cacheDir, `ingest-${mb}mb.jsonl${gzip ? ".gz" : ""}`);
    if (!existsSync(file)) {
      process.stderr.write(`generating ${file}\n`);
      await generate(file, mb * MB, gzip);
    }
    const endMs = Number(await readFile(`${file}.end-ms`, "utf8"));
    const self = fileURLToPath(import.meta.url);
    const child = spawnSync(process.execPath, ["--import", "tsx", self, "--measure", file, "--end-ms", String(endMs)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (child.status !== 0) throw new Error(`measuring ${file} failed with exit code ${child.status}`);
    const figures = JSON.parse(child.stdout.trim().split("\n").pop()!) as { seconds: number; clip_events: number; peak_rss_mb: number };
    const fileMb = statSync(file).size / MB;
    const line = {
      bench: "ingest",
      variant: gzip ? "gzip" : "jsonl",
      mb,
      file_mb: Number(fileMb.toFixed(1)),
      seconds: Number(figures.seconds.toFixed(2)),
      mb_per_s: Number((mb / figures.seconds).toFixed(1)),
      clip_events: figures.clip_events,
      peak_rss_mb: figures.peak_rss_mb,
    };
    process.stderr.write(`${JSON.stringify(line)}\n`);
    results[gzip ? "gzip" : "jsonl"] = line;
  }
  const plain = results.jsonl as { seconds: number; mb_per_s: number; peak_rss_mb: number; clip_events: number };
  const gz = results.gzip as { seconds: number; mb_per_s: number; peak_rss_mb: number } | undefined;
  console.log(
    JSON.stringify({
      bench: "ingest",
      mb,
      seconds: plain.seconds,
      mb_per_s: plain.mb_per_s,
      peak_rss_mb: plain.peak_rss_mb,
      clip_events: plain.clip_events,
      gzip_seconds: gz?.seconds ?? null,
      gzip_mb_per_s: gz?.mb_per_s ?? null,
      gzip_peak_rss_mb: gz?.peak_rss_mb ?? null,
      machine: `${cpus().length} cores, node ${process.version}`,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
