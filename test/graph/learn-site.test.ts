import { MemorySaver } from "@langchain/langgraph";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/config/defaults.ts";
import { ReportSchema } from "../../src/domain/report.ts";
import type { AnalyticsEvent } from "../../src/domain/events.ts";
import { SessionSummarySchema, type RawSessionSummary, type SessionSummary } from "../../src/domain/summary.ts";
import type { LearnedSiteData, OfflineAnalystOverrides } from "../../src/analysts/index.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import type { ReadOptions } from "../../src/sources/types.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { SummaryCache } from "../../src/store/summary-cache.ts";
import type { SessionInput, Usage } from "../../src/llm/analyst.ts";
import { StagedAnalyst } from "../../src/llm/model-analyst.ts";
import { summaryCacheLabels } from "../../src/store/cache-labels.ts";
import type { PipelineRuntime } from "../../src/runtime/runtime.ts";
import { buildSummarizeGraph } from "../../graph/summarize/graph.ts";

/*
 * The report graph's `learn_site` step: the offline analyst learns the site across the selected
 * sessions before summarizing them, each summary is made (and cached) with that knowledge, and a
 * resumed run keeps it. A model analyst skips the step.
 */

const SAMPLE = fileURLToPath(new URL("../../examples/sample", import.meta.url));
const UNREADABLE = "0192fb9a-50b4-7a40-9ac8-1e0e239d6431";

/** The offline analyst, counting how often it learns and what each summary was given. */
class WatchedOfflineAnalyst extends StagedAnalyst {
  learned: LearnedSiteData[] = [];
  givenSites: Array<LearnedSiteData | undefined> = [];
  constructor(overrides: OfflineAnalystOverrides = {}) {
    super(undefined, undefined, { summarizer: "heuristic", reasoner: "heuristic" }, 1_000, overrides);
  }
  override learnSite(sessions: ReadonlyArray<readonly AnalyticsEvent[]>): LearnedSiteData {
    const data = super.learnSite(sessions);
    this.learned.push(data);
    return data;
  }
  override async summarize(input: SessionInput, onUsage: (usage: Usage) => void, signal?: AbortSignal): Promise<RawSessionSummary> {
    this.givenSites.push(input.learnedSite);
    return super.summarize(input, onUsage, signal);
  }
}

/** A model stands in: no `siteLearning`, so no learning step. */
class ModelLikeAnalyst extends StagedAnalyst {
  override readonly siteLearning = undefined;
  givenSites: Array<LearnedSiteData | undefined> = [];
  override async summarize(input: SessionInput, onUsage: (usage: Usage) => void, signal?: AbortSignal): Promise<RawSessionSummary> {
    this.givenSites.push(input.learnedSite);
    return super.summarize(input, onUsage, signal);
  }
}

/** A source where one session's events cannot be read while learning (its own load fails later). */
class FlakySource extends DatasetSource {
  override async *streamEvents(sessionId: string, options?: ReadOptions): AsyncGenerator<AnalyticsEvent> {
    if (sessionId === UNREADABLE) throw new Error("disk on fire");
    yield* super.streamEvents(sessionId, options);
  }
}

function runtimeWith(analyst: StagedAnalyst, source = new DatasetSource(SAMPLE), blobs = new MemoryBlobStore()): PipelineRuntime {
  return {
    project: "test-project",
    source,
    blobs,
    summaries: new SummaryCache<SessionSummary>({ store: blobs, schema: SessionSummarySchema }),
    analyst,
    settings: { ...DEFAULTS.pipeline },
  };
}

describe("learn_site", () => {
  it("learns once from the sessions, hands the knowledge to every summary and keys their cache with it", async () => {
    const analyst = new WatchedOfflineAnalyst();
    const runtime = runtimeWith(analyst);
    const graph = buildSummarizeGraph(runtime).compile({ checkpointer: new MemorySaver() });
    const state = await graph.invoke({ report_id: "r", title: "T", selection: {} }, { configurable: { thread_id: "t" } });
    expect(analyst.learned).toHaveLength(1);
    expect(analyst.learned[0]!.sessions).toBe(5);
    const ref = state.learned_site!;
    expect(await runtime.blobs.getJson(ref.key)).toEqual(analyst.learned[0]);
    expect(analyst.givenSites.length).toBeGreaterThan(0);
    expect(analyst.givenSites.every((site) => JSON.stringify(site) === JSON.stringify(analyst.learned[0]))).toBe(true);
    const summarized = state.session_results.filter((r) => r.status === "summarized");
    const key = { project: runtime.project, sessionId: summarized[0]!.session_id, focusArea: undefined, analyst: `${analyst.cacheLabel}+site:${ref.hash}` };
    expect(await runtime.summaries.get(key)).toBeDefined();
    expect(await runtime.summaries.get({ ...key, analyst: analyst.cacheLabel })).toBeUndefined();
    // The report names the learned site, so its readers (report page, chat tools) find these summaries.
    const report = ReportSchema.parse(await runtime.blobs.getJson(state.report_key!));
    expect(report.learned_site).toBe(ref.hash);
    expect(summaryCacheLabels(runtime, report.learned_site)).toContain(key.analyst);
  });

  it("the same learned site hits the summary cache; a different one summarizes again", async () => {
    const blobs = new MemoryBlobStore();
    const first = new WatchedOfflineAnalyst();
    const run = async (analyst: WatchedOfflineAnalyst, id: string) => {
      const graph = buildSummarizeGraph(runtimeWith(analyst, new DatasetSource(SAMPLE), blobs)).compile({ checkpointer: new MemorySaver() });
      return graph.invoke({ report_id: id, title: id, selection: {} }, { configurable: { thread_id: id } });
    };
    await run(first, "a");
    const same = new WatchedOfflineAnalyst();
    const again = await run(same, "b");
    expect(same.givenSites).toHaveLength(0);
    expect(again.session_results.filter((r) => r.status === "summarized").every((r) => r.cached)).toBe(true);
    // Learning from fewer sessions learns something else: every session is summarized again.
    const fewer = new WatchedOfflineAnalyst({ learning: { maxSessionsToLearn: 2 } });
    const other = await run(fewer, "c");
    expect(fewer.learned[0]!.sessions).toBe(2);
    expect(other.learned_site!.hash).not.toBe(again.learned_site!.hash);
    expect(other.session_results.some((r) => r.cached)).toBe(false);
  });

  it("skips a session it cannot read instead of failing the run", async () => {
    const analyst = new WatchedOfflineAnalyst();
    const runtime = runtimeWith(analyst, new FlakySource(SAMPLE));
    const graph = buildSummarizeGraph(runtime).compile({ checkpointer: new MemorySaver() });
    const state = await graph.invoke({ report_id: "r", title: "T", selection: {} }, { configurable: { thread_id: "t" } });
    expect(analyst.learned[0]!.sessions).toBe(4);
    expect(state.report_key).toBeDefined();
  });

  it("a resumed run keeps the learned site of its checkpoint", async () => {
    const analyst = new WatchedOfflineAnalyst();
    const runtime = runtimeWith(analyst);
    const graph = buildSummarizeGraph(runtime).compile({ checkpointer: new MemorySaver(), interruptBefore: ["session"] });
    const config = { configurable: { thread_id: "t" } };
    await graph.invoke({ report_id: "r", title: "T", selection: {} }, config);
    const parked = (await graph.getState(config)).values;
    expect(parked.learned_site).toBeDefined();
    const state = await graph.invoke(null, config);
    expect(analyst.learned).toHaveLength(1);
    expect(state.learned_site).toEqual(parked.learned_site);
    expect(state.report_key).toBeDefined();
  });

  it("is asked for only when the offline rules summarize sessions, not a model", () => {
    const stubModel = {} as ConstructorParameters<typeof StagedAnalyst>[0];
    expect(new StagedAnalyst(undefined, undefined, {}, 1_000).siteLearning?.maxSessionsToLearn).toBeGreaterThan(0);
    expect(new StagedAnalyst(stubModel, undefined, {}, 1_000).siteLearning).toBeUndefined();
  });

  it("does not run for a model: its summaries get no learned site and their cache key stays", async () => {
    const analyst = new ModelLikeAnalyst(undefined, undefined, { summarizer: "heuristic" }, 1_000);
    const runtime = runtimeWith(analyst);
    const graph = buildSummarizeGraph(runtime).compile({ checkpointer: new MemorySaver() });
    const state = await graph.invoke({ report_id: "r", title: "T", selection: {} }, { configurable: { thread_id: "t" } });
    expect(state.learned_site).toBeUndefined();
    expect(analyst.givenSites.length).toBeGreaterThan(0);
    expect(analyst.givenSites.every((site) => site === undefined)).toBe(true);
    const summarized = state.session_results.find((r) => r.status === "summarized")!;
    expect(await runtime.summaries.get({ project: runtime.project, sessionId: summarized.session_id, focusArea: undefined, analyst: analyst.cacheLabel })).toBeDefined();
  });
});
