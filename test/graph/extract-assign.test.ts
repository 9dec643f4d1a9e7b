import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { END, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline } from "../../graph/pipeline.ts";
import { fanOutAssignment, MERGED_ASSIGNMENT_INDEX } from "../../graph/summarize/fan-out.ts";
import { makeCombinePatternsNode } from "../../graph/summarize/nodes/combine-patterns.ts";
import { numberMergedAnswer } from "../../graph/summarize/nodes/extract-patterns.ts";
import { prepareResume } from "../../graph/summarize/resume.ts";
import { SummarizeState, type SummarizeStateType } from "../../graph/summarize/state.ts";
import { readConfig } from "../../src/config/env.ts";
import { isRunEvent, type RunEvent } from "../../src/domain/progress.ts";
import { ReportSchema, type RawPattern, type Report } from "../../src/domain/report.ts";
import type { PipelineAnalyst } from "../../src/llm/analyst.ts";
import { createPipelineAnalyst } from "../../src/llm/model-analyst.ts";
import type { PipelineSettings } from "../../src/runtime/runtime.ts";
import { RunProgressTracker } from "../../src/runtime/progress.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { cloneDataset } from "../fixtures/clone-dataset.ts";
import { ScriptedChatModel, type ScriptedCall, type ScriptedReply } from "../fakes/scripted-model.ts";
import { assignmentsFromPrompt, assignmentsYaml, defaultRowFlags, extractAssignYamlFromPrompt, MALFORMED, patternsYaml, purposeOf, summaryYamlFromPrompt, type Purpose } from "../fakes/responses.ts";

/**
 * Fewer pattern rounds: a run whose summaries fit one extraction chunk asks the reasoner for the
 * patterns and their events in one call; several chunks keep extraction, combination and assignment.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SESSIONS = 12;
/** Triage is on by default with a model: off here, so every session reaches the pattern stages. */
const CONFIG_ENV = { OPENAI_API_KEY: "unused", SESSION_SUMMARIES_TRIAGE: "off", SESSION_SUMMARIES_MODEL_TIMEOUT_MS: "2000" };
let dataset: string;

beforeAll(async () => {
  dataset = await mkdtemp(path.join(tmpdir(), "ss-extract-assign-"));
  await cloneDataset(path.join(ROOT, "examples/sample"), dataset, SESSIONS);
});
afterAll(async () => {
  await rm(dataset, { recursive: true, force: true });
});

/** The answer's own ids are not 1..n, so the run has to renumber them and the assignments with them. */
const ANSWER_PATTERNS: Array<Pick<RawPattern, "pattern_id" | "pattern_name" | "severity">> = [
  { pattern_id: 3, pattern_name: "Errors on the page", severity: "critical" },
  { pattern_id: 5, pattern_name: "Frustrated clicks", severity: "high" },
];

/** Which of the answer's patterns an event belongs to (its position), decided by the event id only: both paths agree. */
function patternOf(eventId: string): number {
  return createHash("sha256").update(eventId).digest()[0]! % ANSWER_PATTERNS.length;
}

/** Exceptions are blocking (pattern evidence), rage and dead clicks confusion. */
function summarize(call: ScriptedCall): string {
  return summaryYamlFromPrompt(call.human, { flag: (row) => (row.event === "$exception" ? { exception: "blocking", description: `Error: ${row.exception || "exception"}` } : defaultRowFlags(row)) });
}

interface Run {
  report: Report;
  calls: ReturnType<typeof patternCalls>;
  summarized: number;
  events: RunEvent[];
  state: SummarizeStateType;
  pipeline: Awaited<ReturnType<typeof createPipeline>>;
  /** With `resume`: the stage the stopped run replayed (`prepareResume`). */
  resumed?: string;
}

/** Model calls per prompt (a purpose never asked is absent). */
type Calls = Partial<Record<Purpose, number>>;

/** The pattern calls of a run, 0 for those it did not make. */
function patternCalls(calls: Calls) {
  return { extract: calls.extract ?? 0, combine: calls.combine ?? 0, assign: calls.assign ?? 0, extract_assign: calls.extract_assign ?? 0 };
}

async function run(
  options: {
    merged?: (call: ScriptedCall) => ScriptedReply;
    oldPath?: boolean;
    settings?: Partial<PipelineSettings>;
    calls?: Calls;
    resume?: boolean;
    failAssign?: (call: ScriptedCall) => boolean;
  } = {},
): Promise<Run> {
  const calls = options.calls ?? {};
  const script = (call: ScriptedCall): ScriptedReply => {
    const purpose = purposeOf(call.messages);
    calls[purpose] = (calls[purpose] ?? 0) + 1;
    switch (purpose) {
      case "summarize":
        return summarize(call);
      case "extract":
      case "combine":
        return patternsYaml(ANSWER_PATTERNS);
      case "assign":
        if (options.failAssign?.(call)) return { error: new Error("provider down") };
        // The assignment prompt lists the combined patterns, numbered 1..n.
        return assignmentsYaml(assignmentsFromPrompt(call.human, (id) => patternOf(id) + 1));
      case "extract_assign":
        return options.merged ? options.merged(call) : extractAssignYamlFromPrompt(call.human, ANSWER_PATTERNS, (id) => ANSWER_PATTERNS[patternOf(id)]!.pattern_id);
      default:
        return { error: new Error(`unexpected ${purpose} prompt`) };
    }
  };
  const config = readConfig(CONFIG_ENV);
  const models = { factory: ({ role }: { role: string }) => new ScriptedChatModel({ script, role }) };
  const analyst = createPipelineAnalyst(config, models);
  const pipeline = await createPipeline({
    config,
    source: new DatasetSource(dataset),
    blobs: new MemoryBlobStore(),
    checkpointer: new MemorySaver(),
    validation: "off",
    models,
    analyst: options.oldPath ? withoutMergedCall(analyst) : analyst,
    ...(options.settings ? { settings: options.settings } : {}),
  });
  const thread = { configurable: { thread_id: "t" }, maxConcurrency: 4 };
  const events: RunEvent[] = [];
  const stream = async (input: { report_id: string; title: string; selection: object } | null) => {
    for await (const [, mode, chunk] of await pipeline.graph.stream(input, { ...thread, streamMode: ["custom"], subgraphs: true })) {
      if (mode === "custom" && isRunEvent(chunk)) events.push(chunk);
    }
  };
  try {
    let resumed: string | undefined;
    try {
      await stream({ report_id: "r", title: "Merged", selection: {} });
    } catch (error) {
      if (!options.resume) throw error;
      resumed = await prepareResume(pipeline.graph, thread);
      await stream(null);
    }
    const state = (await pipeline.graph.getState(thread)).values as SummarizeStateType;
    const report = ReportSchema.parse(await pipeline.runtime.blobs.getJson(state.report_key!));
    return { report, calls: patternCalls(calls), summarized: calls.summarize ?? 0, events, state, pipeline, ...(resumed ? { resumed } : {}) };
  } finally {
    await pipeline.close();
  }
}

/** The same analyst as an older one that could only extract and assign apart. */
function withoutMergedCall(analyst: PipelineAnalyst): PipelineAnalyst {
  return new Proxy(analyst, { get: (target, key) => (key === "extractAndAssign" ? undefined : Reflect.get(target, key, target)) });
}

/** What a reader of the report sees of its patterns: names, severities, ids and the examples' events. */
function patternsSeen(report: Report) {
  return report.patterns.map((p) => ({
    id: p.id,
    name: p.name,
    severity: p.severity,
    sessions: p.stats.sessions_affected,
    examples: p.examples.map((e) => `${e.session_id}/${e.target.event_id}`).sort(),
  }));
}

describe("one pattern call when the summaries fit one extraction chunk", () => {
  it("extracts and assigns in one call, with the same patterns and examples as extraction then assignment", async () => {
    const merged = await run();
    const separate = await run({ oldPath: true });
    console.log(`pattern calls for ${SESSIONS} sessions in one chunk: separate ${separate.calls.extract + separate.calls.combine + separate.calls.assign}, merged ${merged.calls.extract_assign}`);

    expect([merged.summarized, separate.summarized]).toEqual([SESSIONS, SESSIONS]);
    expect(merged.calls).toEqual({ extract_assign: 1, extract: 0, combine: 0, assign: 0 });
    expect(separate.calls).toEqual({ extract_assign: 0, extract: 1, combine: 0, assign: 1 });
    expect(merged.report.usage.model_calls).toBe(SESSIONS + 1);
    expect(separate.report.usage.model_calls).toBe(SESSIONS + 2);

    expect(merged.state.patterns.map((p) => [p.pattern_id, p.pattern_name])).toEqual([
      [1, "Errors on the page"],
      [2, "Frustrated clicks"],
    ]);
    // The answer assigned to its own ids (3 and 5): had they not moved with the renumbering, no pattern would have examples.
    const seen = patternsSeen(merged.report);
    expect(seen).toHaveLength(2);
    expect(seen.every((p) => p.examples.length > 0)).toBe(true);
    expect(seen).toEqual(patternsSeen(separate.report));
    expect(merged.report.assignment_skips).toEqual(separate.report.assignment_skips);
    expect(merged.report.chunk_failures).toEqual([]);
    // The merged call's assignments sit in the first assignment chunk; nothing else was assigned.
    expect(merged.state.assignment_chunks).toHaveLength(1);
    expect(merged.state.assigned.map((c) => c.index)).toEqual([MERGED_ASSIGNMENT_INDEX]);
  });

  it("streams an extraction stage and no assignment stage; the progress reads sensibly", async () => {
    const { events } = await run();
    const stages = events.filter((e) => e.kind === "stage" || e.kind === "chunk_done" || e.kind === "report_ready");
    expect(stages).toEqual([
      { kind: "stage", stage: "extracting", total: 1 },
      { kind: "chunk_done", stage: "extracting", index: 0, ok: true },
      { kind: "stage", stage: "reporting" },
      expect.objectContaining({ kind: "report_ready", patterns: 2 }),
    ]);
    const tracker = new RunProgressTracker();
    const messages = events
      .map((e) => tracker.handle(e))
      .filter((u) => u.started || u.stage !== "sessions")
      .map((u) => u.message);
    expect(messages.filter((m) => !m.startsWith("Watching"))).toEqual(["Extracting patterns 0/1", "Extracting patterns 1/1", "Writing the report", "Report ready: 2 patterns"]);
  });

  it("fails the chunk like a failed extraction when the merged answer stays malformed, and assigns nothing", async () => {
    const calls: Calls = {};
    const attempt = run({ merged: () => MALFORMED.yaml, calls });
    await expect(attempt).rejects.toThrow(/pattern extraction chunks: only 0 of 1 succeeded/);
    // one answer and one repair, then the chunk failed; no other pattern call
    expect(patternCalls(calls)).toEqual({ extract_assign: 2, extract: 0, combine: 0, assign: 0 });
  });

  it("a run stopped by a failed merged call resumes with that call again, and assigns nothing apart", async () => {
    let answers = 0;
    const calls: Calls = {};
    const resumed = await run({
      calls,
      resume: true,
      // The first answer and its repair are broken; the provider is fine when the run is resumed.
      merged: (call) => (++answers <= 2 ? MALFORMED.yaml : extractAssignYamlFromPrompt(call.human, ANSWER_PATTERNS, (id) => ANSWER_PATTERNS[patternOf(id)]!.pattern_id)),
    });
    expect(resumed.resumed).toBe("combine_patterns");
    expect(patternCalls(calls)).toEqual({ extract_assign: 3, extract: 0, combine: 0, assign: 0 });
    expect(patternsSeen(resumed.report)).toEqual(patternsSeen((await run()).report));
  });

  it("fails the chunk when the answer has patterns but no assignments", async () => {
    const attempt = run({ merged: () => patternsYaml(ANSWER_PATTERNS) });
    await expect(attempt).rejects.toThrow(/pattern extraction chunks: only 0 of 1 succeeded.*assignments/);
  });

  it("sessions the merged call did not read get assignment chunks of their own, after the merged one", async () => {
    const { state, pipeline } = await run();
    const [mergedChunk] = state.assignment_chunks;
    expect(mergedChunk!.length).toBeGreaterThan(1);
    const late = mergedChunk!.at(-1)!;
    // As if `late` had been summarized after the merged call: not in its chunk.
    const lateState: SummarizeStateType = { ...state, extraction_chunks: [state.extraction_chunks[0]!.filter((id) => id !== late)], assignment_chunks: [] };
    // The node alone, in a graph of its own: it streams progress.
    const combineOnly = new StateGraph(SummarizeState)
      .addNode("combine_patterns", makeCombinePatternsNode(pipeline.runtime))
      .addEdge(START, "combine_patterns")
      .addEdge("combine_patterns", END)
      .compile();
    const update = await combineOnly.invoke(lateState);
    expect(update.patterns).toEqual(state.patterns);
    expect(update.assignment_chunks).toEqual([mergedChunk!.filter((id) => id !== late), [late]]);
    const sends = fanOutAssignment({ ...lateState, assignment_chunks: update.assignment_chunks! });
    expect(Array.isArray(sends) && sends.map((send) => (send.args as { index: number; summaries: Array<{ session_id: string }> }).index)).toEqual([1]);
    expect(Array.isArray(sends) && (sends[0]!.args as { summaries: Array<{ session_id: string }> }).summaries.map((s) => s.session_id)).toEqual([late]);
  });
});

describe("several extraction chunks keep the separate rounds", () => {
  it("extracts per chunk, combines, then assigns", async () => {
    // Small prompts: the sessions need several extraction chunks.
    const { calls, state, report } = await run({ settings: { extractionMaxTokens: 1_500, singleItemMaxTokens: 1_400 } });
    console.log(`pattern calls for ${SESSIONS} sessions in ${state.extraction_chunks.length} chunks: extract ${calls.extract}, combine ${calls.combine}, assign ${calls.assign}`);
    expect(state.extraction_chunks.length).toBeGreaterThan(1);
    expect(calls.extract_assign).toBe(0);
    expect(calls.extract).toBe(state.extraction_chunks.length);
    expect(calls.combine).toBe(1);
    expect(calls.assign).toBe(state.assignment_chunks.length);
    expect(calls.assign).toBeGreaterThan(0);
    expect(report.patterns.length).toBeGreaterThan(0);
  });
});

describe("assignment chunks after a resume", () => {
  it("sends again only the chunks whose assignment failed", async () => {
    // The first assignment prompt fails the first time it is seen: too many failed chunks, the run stops.
    const seen = new Set<string>();
    const failAssign = (call: ScriptedCall) => {
      const first = seen.size === 0;
      seen.add(call.human);
      return first;
    };
    const { calls, state, resumed, report } = await run({ settings: { extractionMaxTokens: 1_500, singleItemMaxTokens: 1_400, assignmentMaxTokens: 1_500 }, failAssign, resume: true });
    expect(state.assignment_chunks.length).toBeGreaterThanOrEqual(2);
    expect(resumed).toBe("build_report");
    expect(calls.assign).toBe(state.assignment_chunks.length + 1);
    expect(report.chunk_failures).toEqual([]);
  });
});

describe("the merged answer's numbering", () => {
  it("numbers patterns 1..n and moves the assignments with them", () => {
    const pattern = (pattern_id: number, pattern_name: string): RawPattern => ({ pattern_id, pattern_name, pattern_description: "d", severity: "high", indicators: ["i"] });
    const { patterns, assignments } = numberMergedAnswer({
      patterns: [pattern(7, "a"), pattern(2, "b"), pattern(7, "c")],
      assignments: [
        { pattern_id: 2, event_ids: ["aaaaaaaa"] },
        { pattern_id: 7, event_ids: ["bbbbbbbb"] },
        { pattern_id: 9, event_ids: ["cccccccc"] },
      ],
    });
    expect(patterns.map((p) => [p.pattern_id, p.pattern_name])).toEqual([
      [1, "a"],
      [2, "b"],
      [3, "c"],
    ]);
    // 7 is the first pattern with that id; 9 is none of them and stays unknown (above n).
    expect(assignments.map((a) => a.pattern_id)).toEqual([2, 1, 12]);
  });

  it("the offline analyst has no merged call, so its reports keep their path", () => {
    expect(createPipelineAnalyst(readConfig({})).extractAndAssign).toBeUndefined();
    expect(createPipelineAnalyst(readConfig(CONFIG_ENV), { factory: ({ role }) => new ScriptedChatModel({ script: () => "", role }) }).extractAndAssign).toBeTypeOf("function");
  });
});
