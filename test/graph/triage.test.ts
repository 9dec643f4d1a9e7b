import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MemorySaver } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import type { RunEvent } from "../../src/domain/progress.ts";
import { ReportSchema, type Report } from "../../src/domain/report.ts";
import { SessionSummarySchema } from "../../src/domain/summary.ts";
import { renderMarkdown } from "../../src/report/markdown.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { cloneDataset } from "../fixtures/clone-dataset.ts";
import { ScriptedChatModel, type ScriptedCall } from "../fakes/scripted-model.ts";
import {
  assignmentsFromPrompt,
  assignmentsYaml,
  extractAssignYamlFromPrompt,
  patternsYaml,
  purposeOf,
  scriptByPurpose,
  summariesYamlFromBatchPrompt,
  summaryYamlFromPrompt,
} from "../fakes/responses.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SESSIONS = 24;
let dataset: string;

beforeAll(async () => {
  dataset = await mkdtemp(path.join(tmpdir(), "ss-triage-"));
  // The shop dataset: happy visits (no issue at all) among sessions with every kind of issue.
  await cloneDataset(path.join(ROOT, "examples/dataset"), dataset, SESSIONS);
});
afterAll(async () => {
  await rm(dataset, { recursive: true, force: true });
});

const PATTERNS = [
  { pattern_id: 1, pattern_name: "Errors on the way to paying", severity: "high" as const },
  { pattern_id: 2, pattern_name: "Clicks nothing answered", severity: "medium" as const },
];
/** Each event goes to the pattern its id hashes to: the same event, the same pattern, whatever else the prompt holds. */
const choose = (eventId: string) => (createHash("sha256").update(eventId).digest()[0]! % 2) + 1;

/** A model that answers each session the same way whether it is asked alone or in a batch. */
function scriptedModel() {
  const calls: ScriptedCall[] = [];
  const script = scriptByPurpose({
    summarize: (call) => summaryYamlFromPrompt(call.human),
    summarize_batch: (call) => summariesYamlFromBatchPrompt(call.human),
    extract: () => patternsYaml(PATTERNS),
    combine: () => patternsYaml(PATTERNS),
    assign: (call) => assignmentsYaml(assignmentsFromPrompt(call.human, choose)),
    extract_assign: (call) => extractAssignYamlFromPrompt(call.human, PATTERNS, choose),
  });
  return { calls, factory: ({ role }: { role: string }) => new ScriptedChatModel({ script, role, log: calls }) };
}

async function run(env: Record<string, string>) {
  const model = scriptedModel();
  const pipeline = await createPipeline({
    config: readConfig({ OPENAI_API_KEY: "unused", SESSION_SUMMARIES_VALIDATE: "off", ...env }),
    source: new DatasetSource(dataset),
    blobs: new MemoryBlobStore(),
    checkpointer: new MemorySaver(),
    models: { factory: model.factory },
  });
  const events: RunEvent[] = [];
  try {
    const stream = await pipeline.graph.stream(
      { report_id: "r", title: "Triage", selection: {} },
      { configurable: { thread_id: "t" }, maxConcurrency: SESSIONS, streamMode: ["custom"], subgraphs: true },
    );
    for await (const [, , event] of stream as AsyncIterable<[string[], string, RunEvent]>) events.push(event);
    const state = (await pipeline.graph.getState({ configurable: { thread_id: "t" } })).values;
    const report = ReportSchema.parse(await pipeline.runtime.blobs.getJson(state.report_key));
    const summaries = new Map<string, ReturnType<typeof SessionSummarySchema.parse>>();
    for (const result of state.session_results) if (result.summary_key) summaries.set(result.session_id, SessionSummarySchema.parse(await pipeline.runtime.blobs.getJson(result.summary_key)));
    const summarizerCalls = model.calls.filter((c) => purposeOf(c.messages) === "summarize" || purposeOf(c.messages) === "summarize_batch");
    return { report, events, summaries, summarizerCalls };
  } finally {
    await pipeline.close();
  }
}

/** What a reader compares: each pattern's name, severity, figures and example sessions. */
function patternsOf(report: Report) {
  return report.patterns.map((p) => ({ name: p.name, severity: p.severity, stats: p.stats, sessions: [...new Set(p.examples.map((e) => e.session_id))].sort() }));
}

describe("triage with a model", () => {
  let off: Awaited<ReturnType<typeof run>>;
  let on: Awaited<ReturnType<typeof run>>;
  let batched: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    off = await run({ SESSION_SUMMARIES_TRIAGE: "off" });
    on = await run({ SESSION_SUMMARIES_TRIAGE: "signals" });
    batched = await run({ SESSION_SUMMARIES_TRIAGE: "signals", SESSION_SUMMARIES_BATCH: "on" });
  }, 180_000);

  it("summarizes offline the sessions without any issue signal, sends the rest, and says so on the report", () => {
    const offline = on.report.sessions.triaged_offline ?? [];
    expect(offline.length).toBeGreaterThan(0);
    expect(off.report.sessions.triaged_offline).toBeUndefined();
    expect(renderMarkdown(on.report)).toContain(`${offline.length} of ${SESSIONS} sessions summarized offline by triage`);
    expect(renderMarkdown(off.report)).not.toContain("by triage");
    expect(off.summarizerCalls).toHaveLength(SESSIONS);
    expect(on.summarizerCalls).toHaveLength(SESSIONS - offline.length);
    expect(on.report.sessions.summarized).toHaveLength(SESSIONS);
    for (const id of offline) {
      expect(on.summaries.get(id)!.analyst.kind).toBe("heuristic");
      // What the model said of the same session when it was asked: nothing to flag either.
      expect(
        off.summaries
          .get(id)!
          .segments.flatMap((s) => s.key_actions)
          .filter((a) => a.exception || a.confusion || a.abandonment),
      ).toEqual([]);
    }
    expect(on.report.usage.model_calls).toBeLessThan(off.report.usage.model_calls);
    expect(on.report.usage.input_tokens).toBeLessThan(off.report.usage.input_tokens);
  });

  it("streams each sent session's issue signals as preliminary issues before the session is done", () => {
    const offline = new Set(on.report.sessions.triaged_offline);
    const sent = on.report.sessions.summarized.filter((id) => !offline.has(id));
    for (const id of sent) {
      const first = on.events.findIndex((e) => e.kind === "preliminary_issues" && e.session_id === id);
      const done = on.events.findIndex((e) => e.kind === "session_done" && e.session_id === id);
      expect(first, id).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThan(done);
    }
    expect(on.events.some((e) => e.kind === "preliminary_issues" && offline.has(e.session_id))).toBe(false);
    expect(off.events.some((e) => e.kind === "preliminary_issues")).toBe(false);
  });

  it("gives the same patterns as a run without triage, and with triage and batching both on", () => {
    expect(patternsOf(on.report).length).toBeGreaterThan(0);
    expect(patternsOf(on.report)).toEqual(patternsOf(off.report));
    expect(patternsOf(batched.report)).toEqual(patternsOf(off.report));
    // Batching asked about the same sessions in fewer calls.
    expect(batched.report.sessions.triaged_offline).toEqual(on.report.sessions.triaged_offline);
    expect(batched.summarizerCalls.length).toBeLessThan(on.summarizerCalls.length);
    expect(batched.report.usage.input_tokens).toBeLessThan(on.report.usage.input_tokens);
  });
});
