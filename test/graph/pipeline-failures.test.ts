import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MemorySaver } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import { ReportSchema } from "../../src/domain/report.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { cloneDataset } from "../fixtures/clone-dataset.ts";
import { ScriptedChatModel, type ScriptedCall, type ScriptedReply } from "../fakes/scripted-model.ts";
import { assignmentsFromPrompt, assignmentsYaml, extractAssignYamlFromPrompt, MALFORMED, patternsYaml, purposeOf, summaryYamlFromPrompt } from "../fakes/responses.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SESSIONS = 20;
let dataset: string;

beforeAll(async () => {
  dataset = await mkdtemp(path.join(tmpdir(), "ss-failures-"));
  await cloneDataset(path.join(ROOT, "examples/sample"), dataset, SESSIONS);
});
afterAll(async () => {
  await rm(dataset, { recursive: true, force: true });
});

/** Deterministic under fan-out: whether a prompt fails depends on the prompt only. */
function bucketOf(text: string): number {
  return createHash("sha256").update(text).digest()[0]! % 100;
}

const FAILURE_KINDS: Array<(call: ScriptedCall) => ScriptedReply> = [() => ({ error: Object.assign(new Error("Service Unavailable"), { status: 503 }) }), () => ({ hang: true }), () => MALFORMED.yaml];

async function runWith(summarize: (call: ScriptedCall) => ScriptedReply) {
  const log: ScriptedCall[] = [];
  const script = (call: ScriptedCall): ScriptedReply => {
    switch (purposeOf(call.messages)) {
      case "summarize":
        return summarize(call);
      case "extract":
      case "combine":
        return patternsYaml([{ pattern_name: "Frustrated clicks", severity: "high" }]);
      case "assign":
        return assignmentsYaml(assignmentsFromPrompt(call.human));
      case "extract_assign":
        return extractAssignYamlFromPrompt(call.human, [{ pattern_name: "Frustrated clicks", severity: "high" }]);
      default:
        return { error: new Error("unexpected prompt") };
    }
  };
  // Every session goes to the model: these tests are about its failures, not about triage.
  const config = readConfig({ OPENAI_API_KEY: "unused", SESSION_SUMMARIES_MODEL_TIMEOUT_MS: "300", SESSION_SUMMARIES_TRIAGE: "off" });
  const pipeline = await createPipeline({
    config,
    source: new DatasetSource(dataset),
    blobs: new MemoryBlobStore(),
    checkpointer: new MemorySaver(),
    models: { factory: ({ role }) => new ScriptedChatModel({ script, role, log }) },
  });
  const thread = { configurable: { thread_id: "t" }, maxConcurrency: 8 };
  try {
    const state = await pipeline.graph.invoke({ report_id: "r", title: "Failures", selection: {} }, thread);
    return { report: ReportSchema.parse(await pipeline.runtime.blobs.getJson(state.report_key!)), log };
  } finally {
    await pipeline.close();
  }
}

describe("the pipeline under failing model calls", () => {
  it("completes from the survivors when about 30% of sessions fail (errors, time-outs, broken YAML), and lists them", async () => {
    // Each failing prompt gets the next kind of failure at first sight, so all kinds occur.
    const kindOf = new Map<string, number>();
    const failing = new Set<string>();
    const { report, log } = await runWith((call) => {
      if (bucketOf(call.human) < 30) {
        failing.add(call.human);
        if (!kindOf.has(call.human)) kindOf.set(call.human, kindOf.size % FAILURE_KINDS.length);
        return FAILURE_KINDS[kindOf.get(call.human)!]!(call);
      }
      return summaryYamlFromPrompt(call.human);
    });
    expect(failing.size).toBeGreaterThanOrEqual(FAILURE_KINDS.length);
    expect(failing.size).toBeGreaterThan(0);
    expect(failing.size).toBeLessThan(SESSIONS / 2);
    expect(report.sessions.failed).toHaveLength(failing.size);
    expect(report.sessions.summarized).toHaveLength(SESSIONS - failing.size);
    const reasons = report.sessions.failed.map((f) => f.error).join("\n");
    expect(reasons).toMatch(/503|Service Unavailable/);
    expect(reasons).toMatch(/no answer within 300 ms/);
    expect(reasons).toMatch(/YAML|invalid/i);
    // broken YAML got exactly one repair attempt
    const broken = [...failing].filter((human) => kindOf.get(human) === 2);
    expect(broken.length).toBeGreaterThan(0);
    for (const human of broken) expect(log.filter((c) => c.human === human)).toHaveLength(2);
  });

  it("fails, naming the failed sessions, when about 60% of sessions fail", async () => {
    const attempt = runWith((call) => (bucketOf(call.human) < 60 ? { error: new Error("provider down") } : summaryYamlFromPrompt(call.human)));
    await expect(attempt).rejects.toThrow(/session summaries: only \d+ of 20 succeeded, at least 10 \(50%\) are needed\. Failed sessions: [0-9a-f-]{36}: .*provider down/);
    // Model errors are the run's, not the data's: resuming retries them.
    await expect(attempt).rejects.toMatchObject({ stoppedBy: "run" });
  });

  it("rejects a summary citing made-up event ids and asks again", async () => {
    const { report, log } = await runWith((call) =>
      call.attempt === 1 && bucketOf(call.human) < 50
        ? summaryYamlFromPrompt(call.human, { extraIds: ["deadbeef", "cafebabe", "0badf00d", "feedface", "abad1dea", "baddcafe"] })
        : summaryYamlFromPrompt(call.human),
    );
    expect(report.sessions.failed).toEqual([]);
    const summarizeCalls = log.filter((c) => purposeOf(c.messages) === "summarize");
    const hallucinated = new Set(summarizeCalls.filter((c) => c.attempt === 1 && bucketOf(c.human) < 50).map((c) => c.human));
    expect(hallucinated.size).toBeGreaterThan(0);
    expect(summarizeCalls).toHaveLength(SESSIONS + hallucinated.size);
  });
});
