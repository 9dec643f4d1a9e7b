import path from "node:path";
import { readConfig } from "../src/config/env.ts";
import { DEFAULTS } from "../src/config/defaults.ts";
import { DatasetSource } from "../src/sources/dataset.ts";
import { compileChatGraph } from "./chat/index.ts";
import { createRuntime } from "./pipeline.ts";
import { buildSessionGraph } from "./session/graph.ts";
import { buildSummarizeGraph } from "./summarize/graph.ts";

/**
 * The graphs as LangGraph Studio and the LangGraph dev server load them (`langgraph.json`):
 * compiled without a checkpointer (the server brings its own), over the dataset named by
 * SESSION_SUMMARIES_DATASET (default: the bundled sample), with the configured models.
 */
const config = readConfig();

/**
 * The same runtime as the CLI's (`createRuntime`): the configured blob store, analyst and replay
 * checks, over the dataset named by SESSION_SUMMARIES_DATASET (default: the bundled sample).
 */
const { runtime } = await createRuntime({ config, source: new DatasetSource(path.resolve(config.datasetDir ?? "examples/sample")), project: "studio" });

/** Fan-out bounded as in the CLI: at most this many sessions are summarized (and replayed) at once. */
const bounded = { maxConcurrency: DEFAULTS.pipeline.sessionConcurrency };

/**
 * A report over a selection of sessions. Input: `{ report_id, title, selection, focus_area? }`, the
 * selection being the one of the CLI, the API and the chat (`src/domain/selection.ts`): `{ ids }`, or
 * filters such as `{ visited_url_contains: "checkout", has_exception: true, limit: 20 }`. A wrong
 * field stops the run naming it.
 */
export const summarize = buildSummarizeGraph(runtime).compile().withConfig(bounded);
summarize.name = "summarize";

/** One session. Input: `{ session_id, focus_area? }`. */
export const session = buildSessionGraph(runtime).compile();
session.name = "session";

/**
 * The chat agent. Input: `{ messages: [{ role: "user", content: "summarize sessions with errors" }] }`.
 * `summarize_sessions` runs the report graph as a subgraph of the chat run: its nodes show inside it.
 */
export const chat = compileChatGraph({ runtime, config, reports: { sessionConcurrency: bounded.maxConcurrency } });
chat.name = "chat";
