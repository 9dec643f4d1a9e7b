/**
 * Report benchmark: N sessions cloned (new ids) from a dataset, summarized by a fake model whose
 * latency is drawn per call, through the real report graph on the SQLite checkpointer.
 *
 *   npm run bench:report -- --sessions 100 [--concurrency 16] [--scale 0.01] [--dataset examples/dataset]
 *
 * Latency model (documented, deterministic per prompt): a session summary takes 20–60 s, a
 * pattern extraction or combination 30–90 s, an assignment 10–30 s, uniformly, multiplied by
 * `--scale` (default 0.01, so 20–60 s becomes 0.2–0.6 s). The critical path is what the run could
 * not go below at this concurrency: the makespan of the summary latencies list-scheduled on
 * `concurrency` slots, plus the slowest extraction, the combination, and the slowest assignment.
 * Prints progress on stderr and one JSON line last.
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createPipeline } from "../graph/pipeline.ts";
import { readConfig } from "../src/config/env.ts";
import { ReportSchema } from "../src/domain/report.ts";
import { DatasetSource } from "../src/sources/dataset.ts";
import { createCheckpointer } from "../src/store/checkpointer.ts";
import { MemoryBlobStore } from "../src/store/memory-blob-store.ts";
import { cloneDataset } from "../test/fixtures/clone-dataset.ts";
import { assignmentsFromPrompt, assignmentsYaml, patternsYaml, purposeOf, summaryYamlFromPrompt } from "../test/fakes/responses.ts";
import { ScriptedChatModel, type ScriptedCall, type ScriptedReply } from "../test/fakes/scripted-model.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LATENCY_S = { summarize: [20, 60], extract: [30, 90], combine: [30, 90], assign: [10, 30] } as const;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1]!;
}

function latencyMs(purpose: keyof typeof LATENCY_S, prompt: string, scale: number): number {
  const [low, high] = LATENCY_S[purpose];
  const unit = createHash("sha256").update(prompt).digest().readUInt32BE(0) / 2 ** 32;
  return (low + unit * (high - low)) * 1000 * scale;
}

/** Makespan of jobs taken in order by the first free of `slots` workers. */
function listSchedule(durations: number[], slots: number): number {
  const free = new Array<number>(slots).fill(0);
  for (const d of durations) {
    const i = free.indexOf(Math.min(...free));
    free[i] = free[i]! + d;
  }
  return Math.max(0, ...free);
}

async function main(): Promise<void> {
  const sessions = Number(arg("sessions", "100"));
  const concurrency = Number(arg("concurrency", "16"));
  const scale = Number(arg("scale", "0.01"));
  const datasetArg = arg("dataset", existsSync(path.join(ROOT, "examples/dataset/labels.json")) ? "examples/dataset" : "examples/sample");
  const work = await mkdtemp(path.join(tmpdir(), "ss-bench-report-"));
  try {
    process.stderr.write(`cloning ${sessions} sessions from ${datasetArg}\n`);
    await cloneDataset(path.resolve(ROOT, datasetArg), path.join(work, "dataset"), sessions);

    const latencies: Array<{ purpose: string; ms: number }> = [];
    const script = (call: ScriptedCall): ScriptedReply => {
      const purpose = purposeOf(call.messages);
      if (purpose === "summarize" || purpose === "extract" || purpose === "combine" || purpose === "assign") {
        const ms = latencyMs(purpose, call.human, scale);
        latencies.push({ purpose, ms });
        const text =
          purpose === "summarize"
            ? summaryYamlFromPrompt(call.human)
            : purpose === "assign"
              ? assignmentsYaml(assignmentsFromPrompt(call.human))
              : patternsYaml([
                  { pattern_name: "Frustrated clicks on checkout", severity: "high" },
                  { pattern_name: "Errors while searching", severity: "critical" },
                ]);
        return { text, latencyMs: ms };
      }
      return { error: new Error(`unexpected prompt ${purpose}`) };
    };
    const checkpointFile = path.join(work, "checkpoints.sqlite");
    const checkpointer = await createCheckpointer({ kind: "sqlite", file: checkpointFile });
    const pipeline = await createPipeline({
      config: readConfig({ OPENAI_API_KEY: "unused" }),
      source: new DatasetSource(path.join(work, "dataset")),
      blobs: new MemoryBlobStore(),
      checkpointer: checkpointer.saver,
      models: { factory: ({ role }) => new ScriptedChatModel({ script, role }) },
    });
    const started = performance.now();
    let done = 0;
    const stream = await pipeline.graph.stream(
      { report_id: "bench", title: "bench", selection: {} },
      { configurable: { thread_id: "bench" }, maxConcurrency: concurrency, streamMode: ["custom"], subgraphs: true },
    );
    for await (const [, mode, event] of stream as AsyncIterable<[string[], string, { kind: string }]>) {
      if (mode === "custom" && event.kind === "session_done" && ++done % Math.max(1, Math.floor(sessions / 10)) === 0) {
        process.stderr.write(`  ${done}/${sessions} sessions, ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      }
    }
    const wallMs = performance.now() - started;
    const state = (await pipeline.graph.getState({ configurable: { thread_id: "bench" } })).values;
    const report = ReportSchema.parse(await pipeline.runtime.blobs.getJson(state.report_key!));
    await pipeline.close();
    await checkpointer.close();

    const of = (purpose: string) => latencies.filter((l) => l.purpose === purpose).map((l) => l.ms);
    const criticalMs = listSchedule(of("summarize"), concurrency) + Math.max(0, ...of("extract")) + Math.max(0, ...of("combine")) + Math.max(0, ...of("assign"));
    console.log(
      JSON.stringify({
        bench: "report",
        sessions,
        summarized: report.sessions.summarized.length,
        concurrency,
        latency_scale: scale,
        wall_s: Number((wallMs / 1000).toFixed(2)),
        critical_path_s: Number((criticalMs / 1000).toFixed(2)),
        overhead_ratio: Number((wallMs / criticalMs).toFixed(3)),
        peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
        checkpoint_bytes: statSync(checkpointFile).size,
        state_bytes: JSON.stringify(state).length,
        model_calls: report.usage.model_calls,
        patterns: report.patterns.length,
        machine: `${cpus().length} cores, node ${process.version}`,
      }),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
