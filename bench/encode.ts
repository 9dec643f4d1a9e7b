/**
 * Token benchmark of the compact encoding: tokens of each session's raw events (one JSON object
 * per line, as stored) against tokens of the encoded prompt section, both in o200k_base. Uses the
 * same per-session inspection as `session-summaries inspect`, so the figures match it.
 *
 *   npm run bench:encode -- <datasetDir>
 *
 * Progress goes to stderr; the last stdout line is one JSON object with the figures.
 */
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { inspectSession } from "../src/cli/inspect.ts";
import { ReadWarnings } from "../src/domain/warnings.ts";
import { DatasetSource } from "../src/sources/dataset.ts";

/** The target (ratio ≤ 0.10) is stated for sessions of at least this many events. */
const LARGE_SESSION_MIN_EVENTS = 200;

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : Math.round((numerator / denominator) * 1000) / 1000;
}

async function main(): Promise<void> {
  const datasetDir = process.argv[2];
  if (!datasetDir) {
    process.stderr.write("usage: npm run bench:encode -- <datasetDir>\n");
    process.exit(2);
  }
  const source = new DatasetSource(datasetDir);
  const warnings = new ReadWarnings();
  const metas = await source.listSessions({}, { warnings });
  for (const skipped of warnings.summary()) process.stderr.write(`skipped: ${skipped}\n`);
  const totals = { sessions: 0, failed: 0, events: 0, raw: 0, compact: 0, largeRaw: 0, largeCompact: 0, largeSessions: 0 };
  const started = performance.now();
  for (const meta of metas) {
    const { inspection } = await inspectSession(source, meta);
    if (inspection.error) {
      totals.failed += 1;
      process.stderr.write(`${meta.session_id}: error: ${inspection.error}\n`);
      continue;
    }
    const { raw_json: raw, compact } = inspection.tokens;
    totals.sessions += 1;
    totals.events += inspection.events;
    totals.raw += raw;
    totals.compact += compact;
    if (inspection.events >= LARGE_SESSION_MIN_EVENTS) {
      totals.largeSessions += 1;
      totals.largeRaw += raw;
      totals.largeCompact += compact;
    }
    process.stderr.write(`${meta.session_id}: ${inspection.events} events -> ${inspection.encoding.rows} rows, ${raw} -> ${compact} tokens\n`);
  }
  const seconds = (performance.now() - started) / 1000;
  const result = {
    bench: "encode",
    sessions: totals.sessions,
    sessions_failed: totals.failed,
    events: totals.events,
    raw_json_tokens: totals.raw,
    compact_tokens: totals.compact,
    ratio: ratio(totals.compact, totals.raw),
    ratio_sessions_200plus: totals.largeSessions === 0 ? null : ratio(totals.largeCompact, totals.largeRaw),
    sessions_200plus: totals.largeSessions,
    // Reading events and recording, encoding and counting tokens, per session on average.
    seconds_per_session: totals.sessions === 0 ? null : Number((seconds / totals.sessions).toFixed(3)),
    machine: `${availableParallelism()} cores, node ${process.version}`,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main().catch((error: unknown) => {
  process.stderr.write(`bench/encode: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
