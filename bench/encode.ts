/**
 * Token benchmark of the compact encoding: tokens of each session's raw events (one JSON object
 * per line, as stored) against tokens of `encodeSession(...).text`, both in o200k_base.
 *
 *   npx tsx bench/encode.ts <datasetDir>
 *
 * Progress goes to stderr; the last stdout line is one JSON object with the figures.
 */
import { createReadStream } from "node:fs";
import { access, readdir, readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { createGunzip } from "node:zlib";
import { AnalyticsEventSchema, type AnalyticsEvent } from "../src/domain/events.ts";
import { SessionMetaSchema, type SessionMeta } from "../src/domain/session.ts";
import { countTokens, encodeSession } from "../src/encode/index.ts";

const LARGE_SESSION_MIN_EVENTS = 200;

// ---- TEMPORARY dataset reading: swap for the reader in src/sources/dataset.ts when it lands. ----

interface StoredSession {
  id: string;
  meta?: SessionMeta;
  /** The lines exactly as stored, for the raw-token count. */
  rawLines: string[];
  events: AnalyticsEvent[];
  invalidLines: number;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function readStoredSession(sessionDir: string, id: string): Promise<StoredSession | undefined> {
  const gzipped = path.join(sessionDir, "events.jsonl.gz");
  const plain = path.join(sessionDir, "events.jsonl");
  const file = (await exists(gzipped)) ? gzipped : (await exists(plain)) ? plain : undefined;
  if (!file) return undefined;
  const bytes = createReadStream(file);
  const lines = createInterface({ input: file.endsWith(".gz") ? bytes.pipe(createGunzip()) : bytes, crlfDelay: Infinity });
  const session: StoredSession = { id, rawLines: [], events: [], invalidLines: 0 };
  for await (const line of lines) {
    if (line.trim() === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      session.invalidLines += 1;
      continue;
    }
    const parsed = AnalyticsEventSchema.safeParse(json);
    if (!parsed.success) {
      session.invalidLines += 1;
      continue;
    }
    session.rawLines.push(JSON.stringify(json));
    session.events.push(parsed.data);
  }
  const metaFile = path.join(sessionDir, "meta.json");
  if (await exists(metaFile)) {
    const meta = SessionMetaSchema.safeParse(JSON.parse(await readFile(metaFile, "utf8")));
    if (meta.success) session.meta = meta.data;
  }
  return session;
}

async function* storedSessions(datasetDir: string): AsyncGenerator<StoredSession> {
  const sessionsDir = path.join(datasetDir, "sessions");
  const ids = (await readdir(sessionsDir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  for (const id of ids) {
    const session = await readStoredSession(path.join(sessionsDir, id), id);
    if (session) yield session;
  }
}

// ---- end of temporary reading ----

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : Math.round((numerator / denominator) * 1000) / 1000;
}

async function main(): Promise<void> {
  const datasetDir = process.argv[2];
  if (!datasetDir) {
    process.stderr.write("usage: npx tsx bench/encode.ts <datasetDir>\n");
    process.exit(2);
  }
  const totals = { sessions: 0, events: 0, raw: 0, compact: 0, largeRaw: 0, largeCompact: 0, largeSessions: 0, encodeMs: 0 };
  for await (const session of storedSessions(datasetDir)) {
    const rawTokens = countTokens(session.rawLines.join("\n"));
    const started = performance.now();
    const encoded = encodeSession({
      sessionId: session.id,
      events: session.events,
      replayStartMs: session.meta ? Date.parse(session.meta.start) : undefined,
      replayEndMs: session.meta ? Date.parse(session.meta.end) : undefined,
      metadata: session.meta?.first_url ? { startUrl: session.meta.first_url } : undefined,
    });
    totals.encodeMs += performance.now() - started;
    totals.sessions += 1;
    totals.events += session.events.length;
    totals.raw += rawTokens;
    totals.compact += encoded.stats.tokens;
    if (session.events.length >= LARGE_SESSION_MIN_EVENTS) {
      totals.largeSessions += 1;
      totals.largeRaw += rawTokens;
      totals.largeCompact += encoded.stats.tokens;
    }
    const skipped = session.invalidLines > 0 ? `, ${session.invalidLines} invalid lines skipped` : "";
    process.stderr.write(
      `${session.id}: ${session.events.length} events -> ${encoded.stats.rows} rows, ${rawTokens} -> ${encoded.stats.tokens} tokens${skipped}\n`,
    );
  }
  const result = {
    bench: "encode",
    sessions: totals.sessions,
    events: totals.events,
    raw_json_tokens: totals.raw,
    compact_tokens: totals.compact,
    ratio: ratio(totals.compact, totals.raw),
    ratio_sessions_200plus: totals.largeSessions === 0 ? null : ratio(totals.largeCompact, totals.largeRaw),
    // Encoding only (token counting of the result included); file reading is excluded.
    encode_events_per_s: totals.encodeMs === 0 ? null : Math.round(totals.events / (totals.encodeMs / 1000)),
    machine: `${availableParallelism()} cores, node ${process.version}`,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main().catch((error: unknown) => {
  process.stderr.write(`bench/encode: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
