import path from "node:path";
import { readConfig } from "../src/config/env.ts";
import { SessionSummarySchema, type SessionSummary } from "../src/domain/summary.ts";
import { DatasetSource } from "../src/sources/dataset.ts";
import { MemoryBlobStore } from "../src/store/memory-blob-store.ts";
import { SummaryCache } from "../src/store/summary-cache.ts";
import { DEFAULTS } from "../src/config/defaults.ts";
import { createPipelineAnalyst } from "./analysts.ts";
import type { PipelineRuntime } from "./runtime.ts";
import { buildSessionGraph } from "./session/graph.ts";
import { buildSummarizeGraph } from "./summarize/graph.ts";

/**
 * The graphs as LangGraph Studio and the LangGraph dev server load them (`langgraph.json`):
 * compiled without a checkpointer (the server brings its own), over the dataset named by
 * SESSION_SUMMARIES_DATASET (default: the bundled sample), with the configured models.
 */
function studioRuntime(): PipelineRuntime {
  const config = readConfig();
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

/** A report over a selection of sessions. Input: `{ report_id, title, selection: { ids? | filters }, focus_area? }`. */
export const summarize = buildSummarizeGraph(runtime).compile();
summarize.name = "summarize";

/** One session. Input: `{ session_id, focus_area? }`. */
export const session = buildSessionGraph(runtime).compile();
session.name = "session";
