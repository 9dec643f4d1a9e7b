import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { PipelineAnalyst } from "../../src/llm/analyst.ts";
import { createPipelineAnalyst } from "../../src/llm/model-analyst.ts";
import { createPipeline, type Pipeline } from "../../graph/pipeline.ts";
import { loadSummaries, summaryRefs } from "../../graph/summarize/nodes/summaries.ts";
import { executeRun } from "../../src/cli/summarize.ts";
import { readLabels } from "../../src/cli/eval.ts";
import { readConfig } from "../../src/config/env.ts";
import type { Labels } from "../../src/domain/labels.ts";
import { ReportSchema } from "../../src/domain/report.ts";
import { evaluate } from "../../src/eval/score.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { MemorySaver } from "@langchain/langgraph";
import type { ValidationMode } from "../../src/domain/validation-mode.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATASET = path.join(ROOT, "examples/dataset");

/**
 * An analyst that cries wolf: the offline analyst's summaries with every exception flagged
 * blocking, as an over-eager model would. Invisible failures and benign noise then look blocking
 * until the replay shows the user carried on.
 */
function cryingWolf(inner: PipelineAnalyst): PipelineAnalyst {
  return Object.assign(Object.create(inner) as PipelineAnalyst, {
    cacheLabel: `${inner.cacheLabel}+wolf`,
    async summarize(...args: Parameters<PipelineAnalyst["summarize"]>) {
      const raw = await inner.summarize(...args);
      return {
        ...raw,
        segments: raw.segments.map((segment) => ({
          ...segment,
          key_actions: segment.key_actions.map((action) => (action.exception ? { ...action, exception: "blocking" as const } : action)),
        })),
      };
    },
  });
}

/** Sessions whose only problems are invisible failures or noise, plus sessions with real blocking failures. */
function pickSessions(labels: Labels): string[] {
  const entries = Object.entries(labels.sessions);
  const kinds = (id: string) => new Set(labels.sessions[id]!.issues.map((i) => i.kind));
  const noise = entries.filter(
    ([id]) => [...kinds(id)].some((k) => k === "invisible_api_failure" || k === "benign_exception") && ![...kinds(id)].some((k) => k === "blocking_exception" || k === "visible_api_failure"),
  );
  const blocking = entries.filter(([id]) => kinds(id).has("blocking_exception") || kinds(id).has("visible_api_failure"));
  return [...noise.slice(0, 6), ...blocking.filter(([id]) => kinds(id).has("visible_api_failure")).slice(0, 2), ...blocking.filter(([id]) => kinds(id).has("blocking_exception")).slice(0, 2)].map(
    ([id]) => id,
  );
}

const pipelines: Pipeline[] = [];
afterAll(async () => {
  for (const pipeline of pipelines) await pipeline.close();
});

async function scoreRun(labels: Labels, ids: string[], validation: ValidationMode, wolf = true) {
  const config = readConfig({});
  const pipeline = await createPipeline({
    config,
    source: new DatasetSource(DATASET),
    blobs: new MemoryBlobStore(),
    checkpointer: new MemorySaver(),
    analyst: wolf ? cryingWolf(createPipelineAnalyst(config)) : createPipelineAnalyst(config),
    validation,
  });
  pipelines.push(pipeline);
  const runId = `${wolf ? "wolf" : "offline"}-${validation}`;
  const report = await executeRun(pipeline, runId, { title: runId, selection: { ids } });
  const state = (await pipeline.graph.getState({ configurable: { thread_id: runId } })).values;
  const summaries = await loadSummaries(pipeline.runtime, summaryRefs(state.session_results, report.sessions.summarized));
  const subset: Labels = { ...labels, sessions: Object.fromEntries(ids.map((id) => [id, labels.sessions[id]!])) };
  return { report: ReportSchema.parse(report), summaries, evaluation: evaluate(subset, report, summaries) };
}

describe("validation on the recorded dataset, with an analyst that flags every exception blocking", () => {
  it("downgrades invisible failures and noise, keeps the real blocking ones: false blocking falls, precision rises, recall holds", async () => {
    const labels = await readLabels(DATASET);
    const ids = pickSessions(labels);
    expect(ids).toHaveLength(10);

    const off = await scoreRun(labels, ids, "off");
    const on = await scoreRun(labels, ids, "blocking");

    expect(off.report.validation).toBeUndefined();
    expect(off.evaluation.false_blocking_rate).toBeGreaterThan(0.5);
    expect(on.report.validation).toMatchObject({ method: "dom", mode: "blocking" });
    expect(on.report.validation!.failed).toBe(0);
    expect(on.report.validation!.not_confirmed).toBeGreaterThan(0);

    expect(on.evaluation.false_blocking_rate!).toBeLessThan(off.evaluation.false_blocking_rate!);
    expect(on.evaluation.kinds.blocking.precision!).toBeGreaterThan(off.evaluation.kinds.blocking.precision!);
    expect(on.evaluation.kinds.blocking.recall).toBe(off.evaluation.kinds.blocking.recall);

    // A downgraded check says what changed and carries its clip; the clip is in the blob store.
    const downgraded = [...on.summaries.values()].flatMap((s) => s.visual_checks ?? []).filter((c) => c.verdict === "not_confirmed");
    expect(downgraded[0]!.changes).toContain("exception: blocking → non-blocking");
    expect(downgraded[0]!.clip_key).toBeDefined();
    const blobs = pipelines.at(-1)!.runtime.blobs;
    expect((await blobs.get(downgraded[0]!.clip_key!))!.subarray(4, 8).toString()).toBe("ftyp");
    console.log(
      JSON.stringify({
        off: { false_blocking: off.evaluation.false_blocking_rate, precision: off.evaluation.kinds.blocking.precision, recall: off.evaluation.kinds.blocking.recall },
        on: { false_blocking: on.evaluation.false_blocking_rate, precision: on.evaluation.kinds.blocking.precision, recall: on.evaluation.kinds.blocking.recall, ...on.report.validation },
      }),
    );
  }, 240_000);

  it("the offline analyst's false-blocking rate and precision do not get worse with checks on", async () => {
    const labels = await readLabels(DATASET);
    const ids = pickSessions(labels);
    const off = await scoreRun(labels, ids, "off", false);
    const on = await scoreRun(labels, ids, "blocking", false);
    expect(on.report.validation!.checked).toBeGreaterThan(0);
    expect(on.evaluation.false_blocking_rate!).toBeLessThanOrEqual(off.evaluation.false_blocking_rate!);
    expect(on.evaluation.kinds.blocking.precision!).toBeGreaterThanOrEqual(off.evaluation.kinds.blocking.precision!);
    expect(on.evaluation.kinds.blocking.recall!).toBeGreaterThanOrEqual(off.evaluation.kinds.blocking.recall!);
  }, 240_000);
});
