import { MemorySaver } from "@langchain/langgraph";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/config/defaults.ts";
import { ReportSchema, type RawPattern } from "../../src/domain/report.ts";
import { SessionSummarySchema, type RawSessionSummary, type SessionSummary } from "../../src/domain/summary.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { SummaryCache } from "../../src/store/summary-cache.ts";
import type { PipelineAnalyst, SessionInput, Usage } from "../../src/llm/analyst.ts";
import type { PipelineRuntime } from "../../src/runtime/runtime.ts";
import { buildSummarizeGraph } from "../../graph/summarize/graph.ts";
import { prepareResume } from "../../graph/summarize/resume.ts";
import { makeLoadNode } from "../../graph/session/nodes/load.ts";

const SAMPLE = fileURLToPath(new URL("../../examples/sample", import.meta.url));
/** A sample session long enough to be summarized. */
const SAMPLE_SESSION = "0192fbc6-ed7a-75d1-8728-6727dca6639a";
const ONE_CALL: Usage = { model_calls: 1, input_tokens: 100, output_tokens: 10 };

/**
 * A stand-in analyst with obvious rules, so the graph's plumbing is what is tested: one segment per
 * session; every `$exception` row is a blocking key action; one pattern for all of them.
 */
class RowRuleAnalyst implements PipelineAnalyst {
  readonly label = { kind: "model" as const, label: "test:rules" };
  readonly models = { summarizer: "test:rules" };
  readonly cacheLabel = "test:rules";
  readonly patternPromptBaseTokens = 100;
  calls = { summarize: 0, extract: 0, combine: 0, assign: 0 };
  constructor(private readonly failSessions: Set<string> = new Set()) {}

  async summarize(input: SessionInput, onUsage: (u: Usage) => void): Promise<RawSessionSummary> {
    this.calls.summarize += 1;
    onUsage(ONE_CALL);
    if (this.failSessions.has(input.encoded.sessionId)) throw new Error("scripted failure");
    const rows = input.encoded.eventsTable
      .split("\n")
      .slice(1)
      .map((line) => line.split("\t"));
    const exceptions = rows.filter((cells) => cells[5] === "$exception").map((cells) => cells[0]!);
    return {
      segments: [
        {
          name: "Whole visit",
          start_event_id: rows[0]![0]!,
          end_event_id: rows.at(-1)![0]!,
          key_actions: exceptions.map((id) => ({ event_id: id, description: "An exception", exception: "blocking", confusion: false, abandonment: false })),
          outcome: { success: exceptions.length === 0, summary: exceptions.length ? "Hit an error" : "Fine" },
        },
      ],
      session_outcome: { success: exceptions.length === 0, summary: "done" },
    };
  }

  async extractPatterns(_summaries: SessionSummary[], _focus: string | undefined, onUsage: (u: Usage) => void): Promise<RawPattern[]> {
    this.calls.extract += 1;
    onUsage(ONE_CALL);
    return [{ pattern_id: 7, pattern_name: "Errors on the page", pattern_description: "Exceptions", severity: "critical", indicators: ["$exception"] }];
  }

  async combinePatterns(lists: RawPattern[][]): Promise<RawPattern[]> {
    this.calls.combine += 1;
    return lists[0]!;
  }

  async assignEvents(patterns: RawPattern[], summaries: SessionSummary[], onUsage: (u: Usage) => void) {
    this.calls.assign += 1;
    onUsage(ONE_CALL);
    const ids = summaries.flatMap((s) => s.segments.flatMap((seg) => seg.key_actions.map((a) => a.event_id)));
    return [{ pattern_id: patterns[0]!.pattern_id, event_ids: ids }];
  }

  patternInputTokens(summary: SessionSummary): number {
    return 50 + 10 * summary.segments.length;
  }
}

function runtimeWith(analyst: PipelineAnalyst, settings: Partial<PipelineRuntime["settings"]> = {}): PipelineRuntime {
  const blobs = new MemoryBlobStore();
  return {
    project: "test-project",
    source: new DatasetSource(SAMPLE),
    blobs,
    summaries: new SummaryCache<SessionSummary>({ store: blobs, schema: SessionSummarySchema }),
    analyst,
    settings: { ...DEFAULTS.pipeline, ...settings },
  };
}

describe("summarize graph", () => {
  it("summarizes every session, extracts, assigns and stores a report, streaming progress", async () => {
    const analyst = new RowRuleAnalyst();
    const runtime = runtimeWith(analyst);
    const graph = buildSummarizeGraph(runtime).compile({ checkpointer: new MemorySaver() });
    const events: unknown[] = [];
    const config = { configurable: { thread_id: "run-1" }, maxConcurrency: 3 };
    for await (const [, mode, chunk] of await graph.stream({ report_id: "r1", title: "Sample", selection: {} }, { ...config, streamMode: ["custom"], subgraphs: true })) {
      if (mode === "custom") events.push(chunk);
    }
    const state = (await graph.getState(config)).values;
    const report = ReportSchema.parse(await runtime.blobs.getJson(state.report_key));
    expect(report.sessions.summarized).toHaveLength(5);
    expect(report.patterns).toHaveLength(1);
    // sessions 2, 3 and 4 of the sample have exceptions the encoding keeps
    expect(report.patterns[0]!.stats.sessions_affected).toBe(3);
    expect(report.patterns[0]!.examples.map((e) => e.session_id)).toHaveLength(3);
    expect(report.usage.model_calls).toBe(5 + 1 + 1);
    expect(analyst.calls).toEqual({ summarize: 5, extract: 1, combine: 0, assign: 1 });
    expect(events[0]).toEqual({ kind: "sessions_resolved", total: 5 });
    expect(events.filter((e) => (e as { kind: string }).kind === "session_done")).toHaveLength(5);
    expect(events.at(-1)).toMatchObject({ kind: "report_ready", patterns: 1 });
    // checkpoints carry keys and small results, not payloads
    expect(JSON.stringify(state).length).toBeLessThan(20_000);
  });

  it("uses the summary cache: a second report on the same sessions calls no summarizer", async () => {
    const analyst = new RowRuleAnalyst();
    const runtime = runtimeWith(analyst);
    const graph = buildSummarizeGraph(runtime).compile({ checkpointer: new MemorySaver() });
    await graph.invoke({ report_id: "a", title: "A", selection: {} }, { configurable: { thread_id: "a" } });
    await graph.invoke({ report_id: "b", title: "B", selection: {} }, { configurable: { thread_id: "b" } });
    expect(analyst.calls.summarize).toBe(5);
  });

  it("two runs loading the same session at once get their own input: one finishing cannot delete the other's", async () => {
    const runtime = runtimeWith(new RowRuleAnalyst());
    const load = makeLoadNode(runtime);
    const [first, second] = await Promise.all([load({ session_id: SAMPLE_SESSION, focus_area: "checkout" } as never), load({ session_id: SAMPLE_SESSION, focus_area: "search" } as never)]);
    expect(first!.input_key).toBeDefined();
    expect(second!.input_key).not.toBe(first!.input_key);
    await runtime.blobs.delete(first!.input_key!); // what the first run's finalize does
    expect(await runtime.blobs.has(second!.input_key!)).toBe(true);
  });

  it("completes from the survivors when few sessions fail, and lists them", async () => {
    const runtime = runtimeWith(new RowRuleAnalyst(new Set(["0192fb9a-50b4-7a40-9ac8-1e0e239d6431"])));
    const graph = buildSummarizeGraph(runtime).compile({ checkpointer: new MemorySaver() });
    const state = await graph.invoke({ report_id: "r", title: "T", selection: {} }, { configurable: { thread_id: "t" } });
    const report = ReportSchema.parse(await runtime.blobs.getJson(state.report_key!));
    expect(report.sessions.failed).toEqual([{ id: "0192fb9a-50b4-7a40-9ac8-1e0e239d6431", stage: "summarize", error: "scripted failure" }]);
    expect(report.sessions.summarized).toHaveLength(4);
  });

  it("fails with the failed sessions named when fewer than half succeed", async () => {
    const sessions = ["0192fb9a-50b4-7a40-9ac8-1e0e239d6431", "0192fbc6-ed7a-75d1-8728-6727dca6639a", "0192fc1d-6939-7b76-a012-078658b66ed1"];
    const runtime = runtimeWith(new RowRuleAnalyst(new Set(sessions)));
    const graph = buildSummarizeGraph(runtime).compile({ checkpointer: new MemorySaver() });
    await expect(graph.invoke({ report_id: "r", title: "T", selection: {} }, { configurable: { thread_id: "t" } })).rejects.toThrow(
      /only 2 of 5 succeeded, at least 3 \(50%\) are needed\. Failed sessions: .*0192fb9a-50b4-7a40-9ac8-1e0e239d6431: scripted failure/,
    );
  });

  it("skips sessions too short to show anything, says why, and does not count them as failures", async () => {
    // The sample's sessions last 42, 63, 65, 66 and 100 s: with a 64 s minimum, two are too short.
    const analyst = new RowRuleAnalyst();
    const runtime = runtimeWith(analyst, { minSessionDurationMs: 64_000 });
    const graph = buildSummarizeGraph(runtime).compile({ checkpointer: new MemorySaver() });
    const state = await graph.invoke({ report_id: "r", title: "T", selection: {} }, { configurable: { thread_id: "short" } });
    const report = ReportSchema.parse(await runtime.blobs.getJson(state.report_key!));
    expect(report.sessions.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/only \d+(\.\d)? s long/), expect.stringMatching(/only \d+(\.\d)? s long/)]);
    expect(report.sessions.failed).toEqual([]);
    expect(report.sessions.summarized).toHaveLength(3);
    expect(analyst.calls.summarize).toBe(3);
  });

  it("refuses an empty selection and unknown ids clearly", async () => {
    const graph = buildSummarizeGraph(runtimeWith(new RowRuleAnalyst())).compile();
    await expect(graph.invoke({ report_id: "r", title: "T", selection: { visited_url_contains: "no-such-page" } })).rejects.toThrow(/no sessions in dataset .* match/);
    await expect(graph.invoke({ report_id: "r", title: "T", selection: { url_contains: "checkout" } as never })).rejects.toThrow(/url_contains: was removed/);
    await expect(graph.invoke({ report_id: "r", title: "T", selection: { ids: ["nope"] } })).rejects.toThrow(/unknown session id\(s\): nope/);
  });
});

describe("resuming a stopped report", () => {
  it("retries the failed sessions once the cause is fixed, without redoing the others", async () => {
    const failing = new Set(["0192fb9a-50b4-7a40-9ac8-1e0e239d6431", "0192fbc6-ed7a-75d1-8728-6727dca6639a", "0192fc1d-6939-7b76-a012-078658b66ed1"]);
    const analyst = new RowRuleAnalyst(failing);
    const runtime = runtimeWith(analyst);
    const graph = buildSummarizeGraph(runtime).compile({ checkpointer: new MemorySaver() });
    const thread = { configurable: { thread_id: "stopped" } };
    await expect(graph.invoke({ report_id: "r", title: "T", selection: {} }, thread)).rejects.toThrow(/only 2 of 5 succeeded/);
    expect(analyst.calls.summarize).toBe(5);

    failing.clear(); // the provider is back
    expect(await prepareResume(graph, thread)).toBe("gather");
    const state = await graph.invoke(null, thread);
    const report = ReportSchema.parse(await runtime.blobs.getJson(state.report_key!));
    expect(report.sessions.summarized).toHaveLength(5);
    expect(report.sessions.failed).toEqual([]);
    // only the three failed sessions were summarized again
    expect(analyst.calls.summarize).toBe(5 + 3);
  });

  it("a run stopped by its signal mid-fan-out (Ctrl-C, a shutdown) resumes with every session, the finished ones not redone", async () => {
    const analyst = new RowRuleAnalyst();
    const stop = new AbortController();
    const summarize = analyst.summarize.bind(analyst);
    analyst.summarize = async (...args) => {
      if (analyst.calls.summarize === 1) {
        stop.abort(new Error("Ctrl-C"));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return summarize(...args);
    };
    const runtime = runtimeWith(analyst);
    const graph = buildSummarizeGraph(runtime).compile({ checkpointer: new MemorySaver() });
    const thread = { configurable: { thread_id: "signalled" }, maxConcurrency: 1 };
    await expect(graph.invoke({ report_id: "r", title: "T", selection: {} }, { ...thread, signal: stop.signal })).rejects.toThrow();
    const before = analyst.calls.summarize;
    expect(before).toBeLessThan(5);
    const state = await graph.invoke(null, thread);
    const report = ReportSchema.parse(await runtime.blobs.getJson(state.report_key!));
    // The sessions not yet started when it stopped are in the report too, not silently dropped.
    expect(report.sessions.summarized.length + report.sessions.skipped.length).toBe(5);
    expect(report.sessions.summarized.length).toBeGreaterThan(before);
    expect(analyst.calls.summarize).toBeLessThanOrEqual(report.sessions.summarized.length + 1);
  });

  it("one session at a time (maxConcurrency 1) still summarizes every session (LangGraph JS #2656, patched in .patches/)", async () => {
    const analyst = new RowRuleAnalyst();
    const runtime = runtimeWith(analyst);
    const graph = buildSummarizeGraph(runtime).compile({ checkpointer: new MemorySaver() });
    const state = await graph.invoke({ report_id: "r", title: "T", selection: {} }, { configurable: { thread_id: "one-at-a-time" }, maxConcurrency: 1 });
    const report = ReportSchema.parse(await runtime.blobs.getJson(state.report_key!));
    expect(report.sessions.summarized.length + report.sessions.skipped.length).toBe(5);
  });

  it("leaves a run that can simply continue alone", async () => {
    const graph = buildSummarizeGraph(runtimeWith(new RowRuleAnalyst())).compile({ checkpointer: new MemorySaver() });
    const thread = { configurable: { thread_id: "done" } };
    await graph.invoke({ report_id: "r", title: "T", selection: {} }, thread);
    expect(await prepareResume(graph, thread)).toBeUndefined();
  });
});
