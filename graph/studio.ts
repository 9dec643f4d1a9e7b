import path from "node:path";
import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver, type Checkpoint, type CheckpointMetadata } from "@langchain/langgraph";
import { readConfig } from "../src/config/env.ts";
import { ReportRuns } from "../src/service/report-runs.ts";
import { SessionSummarySchema, type SessionSummary } from "../src/domain/summary.ts";
import { DatasetSource } from "../src/sources/dataset.ts";
import { MemoryBlobStore } from "../src/store/memory-blob-store.ts";
import { SummaryCache } from "../src/store/summary-cache.ts";
import { DEFAULTS } from "../src/config/defaults.ts";
import { createPipelineAnalyst } from "./analysts.ts";
import type { PipelineRuntime } from "./runtime.ts";
import { buildSessionGraph } from "./session/graph.ts";
import { buildSummarizeGraph } from "./summarize/graph.ts";
import { compileChatGraph } from "./chat/index.ts";
import type { Pipeline } from "./pipeline.ts";

/**
 * The graphs as LangGraph Studio and the LangGraph dev server load them (`langgraph.json`):
 * compiled without a checkpointer (the server brings its own), over the dataset named by
 * SESSION_SUMMARIES_DATASET (default: the bundled sample), with the configured models.
 */
const config = readConfig();

function studioRuntime(): PipelineRuntime {
  const blobs = new MemoryBlobStore();
  return {
    project: "studio",
    source: new DatasetSource(path.resolve(config.datasetDir ?? "examples/sample")),
    blobs,
    summaries: new SummaryCache<SessionSummary>({ store: blobs, schema: SessionSummarySchema }),
    analyst: createPipelineAnalyst(config),
    settings: { ...DEFAULTS.pipeline },
  };
}

const runtime = studioRuntime();

/**
 * A report over a selection of sessions. Input: `{ report_id, title, selection, focus_area? }`, the
 * selection being the one of the CLI, the API and the chat (`src/domain/selection.ts`): `{ ids }`, or
 * filters such as `{ visited_url_contains: "checkout", has_exception: true, limit: 20 }`. A wrong
 * field stops the run naming it.
 */
export const summarize = buildSummarizeGraph(runtime).compile();
summarize.name = "summarize";

/** One session. Input: `{ session_id, focus_area? }`. */
export const session = buildSessionGraph(runtime).compile();
session.name = "session";

/**
 * An in-memory checkpointer that keeps only the newest `keep` threads: the dev server may run for
 * days, and every report run of the Studio chat is a thread of its own.
 */
export class RecentThreadsSaver extends MemorySaver {
  private readonly threads: string[] = [];

  constructor(private readonly keep: number) {
    super();
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata): Promise<RunnableConfig> {
    const threadId = config.configurable?.thread_id as unknown;
    if (typeof threadId === "string" && !this.threads.includes(threadId)) {
      this.threads.push(threadId);
      while (this.threads.length > this.keep) await this.deleteThread(this.threads.shift()!);
    }
    return super.put(config, checkpoint, metadata);
  }
}

/** Report runs of the Studio chat whose checkpoints are kept (the reports themselves stay in the blob store). */
const STUDIO_REPORT_THREADS_KEPT = 20;

/**
 * The chat agent. Input: `{ messages: [{ role: "user", content: "summarize sessions with errors" }] }`.
 * Its tool runs reports on their own in-memory checkpointer (they are not threads of the server), one at a time.
 */
const reportPipeline: Pipeline = {
  runtime,
  graph: buildSummarizeGraph(runtime).compile({ checkpointer: new RecentThreadsSaver(STUDIO_REPORT_THREADS_KEPT) }),
  close: async () => {},
};
export const chat = compileChatGraph({ project: runtime.project, pipeline: reportPipeline, runs: new ReportRuns({ pipelineFor: () => reportPipeline, maxRunsPerProject: 1 }), config });
chat.name = "chat";
