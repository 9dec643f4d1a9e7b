import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MemorySaver } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import { ReportSchema } from "../../src/domain/report.ts";
import type { SessionSummary } from "../../src/domain/summary.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { cloneDataset } from "../fixtures/clone-dataset.ts";
import { ScriptedChatModel, type ScriptedCall, type ScriptedReply } from "../fakes/scripted-model.ts";
import {
  assignmentsFromPrompt,
  assignmentsYaml,
  batchSessionsIn,
  eventIdsIn,
  extractAssignYamlFromPrompt,
  patternsYaml,
  purposeOf,
  summariesYamlFromBatchPrompt,
  summaryFromPrompt,
  summaryYamlFromPrompt,
  toYaml,
} from "../fakes/responses.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SESSIONS = 12;
const PATTERNS = [{ pattern_name: "Frustrated clicks", severity: "high" as const }];
let dataset: string;

beforeAll(async () => {
  dataset = await mkdtemp(path.join(tmpdir(), "ss-batching-"));
  await cloneDataset(path.join(ROOT, "examples/sample"), dataset, SESSIONS);
});
afterAll(async () => {
  await rm(dataset, { recursive: true, force: true });
});

type BatchScript = (call: ScriptedCall) => ScriptedReply;

async function runReport(batch: boolean, summarizeBatch: BatchScript = (call) => summariesYamlFromBatchPrompt(call.human)) {
  const log: ScriptedCall[] = [];
  const script = (call: ScriptedCall): ScriptedReply => {
    switch (purposeOf(call.messages)) {
      case "summarize":
        return summaryYamlFromPrompt(call.human);
      case "summarize_batch":
        return summarizeBatch(call);
      case "extract":
      case "combine":
        return patternsYaml(PATTERNS);
      case "assign":
        return assignmentsYaml(assignmentsFromPrompt(call.human));
      case "extract_assign":
        return extractAssignYamlFromPrompt(call.human, PATTERNS);
      default:
        return { error: new Error("unexpected prompt") };
    }
  };
  const config = readConfig({ OPENAI_API_KEY: "unused", SESSION_SUMMARIES_TRIAGE: "off", SESSION_SUMMARIES_BATCH: batch ? "on" : "off" });
  const pipeline = await createPipeline({
    config,
    source: new DatasetSource(dataset),
    blobs: new MemoryBlobStore(),
    checkpointer: new MemorySaver(),
    models: { factory: ({ role }) => new ScriptedChatModel({ script, role, log }) },
  });
  // Batches form only from sessions waiting together: every session in flight at once.
  const thread = { configurable: { thread_id: "t" }, maxConcurrency: SESSIONS * 2 };
  try {
    const state = await pipeline.graph.invoke({ report_id: "r", title: "Batching", selection: {} }, thread);
    const report = ReportSchema.parse(await pipeline.runtime.blobs.getJson(state.report_key!));
    const summaries = new Map<string, Pick<SessionSummary, "segments" | "session_outcome">>();
    for (const result of state.session_results) {
      if (result.status !== "summarized") continue;
      const summary = (await pipeline.runtime.blobs.getJson<SessionSummary>(result.summary_key!))!;
      summaries.set(result.session_id, { segments: summary.segments, session_outcome: summary.session_outcome });
    }
    const summarizerCalls = log.filter((call) => call.role === "summarizer");
    return { report, summaries, log, summarizerCalls };
  } finally {
    await pipeline.close();
  }
}

/** The sessions a summarizer call asked about, by the first event id of each table. */
function sessionsOf(call: ScriptedCall): string[] {
  const parts = purposeOf(call.messages) === "summarize_batch" ? batchSessionsIn(call.human).map((part) => part.text) : [call.human];
  return parts.map((text) => eventIdsIn(text)[0]!);
}

describe("a report with summary batching", () => {
  it("gives the same summaries and patterns as without batching, with fewer summarizer calls", async () => {
    const off = await runReport(false);
    const on = await runReport(true);
    expect(on.summaries.size).toBe(SESSIONS);
    expect(on.summaries).toEqual(off.summaries);
    expect(on.report.patterns).toEqual(off.report.patterns);
    expect(on.report.sessions.summarized.sort()).toEqual(off.report.sessions.summarized.sort());

    const batchCalls = on.summarizerCalls.filter((call) => purposeOf(call.messages) === "summarize_batch");
    console.log(
      `${SESSIONS} sessions: ${off.summarizerCalls.length} summarizer calls without batching, ${on.summarizerCalls.length} with ` +
        `(batches of ${batchCalls.map((call) => sessionsOf(call).length).join(", ")}; ${on.summarizerCalls.length - batchCalls.length} single)`,
    );
    expect(off.summarizerCalls).toHaveLength(SESSIONS);
    expect(on.summarizerCalls.length).toBeLessThan(off.summarizerCalls.length);
    // every session asked about exactly once
    expect(on.summarizerCalls.flatMap(sessionsOf).sort()).toEqual(off.summarizerCalls.flatMap(sessionsOf).sort());
    expect(on.report.usage.model_calls).toBe(on.log.length);
  });

  it("retries a session whose summary cites a neighbour's ids, and only that session", async () => {
    let victim: string | undefined;
    const on = await runReport(true, (call) => {
      const parts = batchSessionsIn(call.human);
      // The first time, the model answers the first session of a batch with its neighbour's events.
      const mixUp = victim === undefined && parts.length > 1;
      if (mixUp) victim = eventIdsIn(parts[0]!.text)[0];
      return toYaml({ sessions: parts.map((part, i) => ({ session: part.label, summary: summaryFromPrompt(mixUp && i === 0 ? parts[1]!.text : part.text) })) });
    });
    expect(victim).toBeDefined();
    expect(on.report.sessions.failed).toEqual([]);
    const asked = on.summarizerCalls.flatMap(sessionsOf);
    const times = (id: string) => asked.filter((candidate) => candidate === id).length;
    expect(times(victim!)).toBe(2);
    expect(asked.filter((id) => id !== victim).every((id) => times(id) === 1)).toBe(true);
    expect(asked).toHaveLength(SESSIONS + 1);
  });
});
