import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { AppConfig } from "../../src/config/env.ts";
import type { Report } from "../../src/domain/report.ts";
import type { LoadModelOptions } from "../../src/llm/models.ts";
import { createLogger, type Logger } from "../../src/log/logger.ts";
import type { PipelineRuntime } from "../../src/runtime/runtime.ts";
import { newReportId } from "../../src/store/reports.ts";
import type { WatchStore } from "../../src/watch/store/types.ts";
import type { ChatToolContext } from "../../tools/context.ts";

/** What the chat graph works with; one per project. */
export interface ChatDeps {
  /** The project's report runtime (its source, blob store, summary cache); every tool and report is scoped to its project. */
  runtime: PipelineRuntime;
  config: AppConfig;
  /** Model construction for role `chat` (tests: a factory returning a scripted model). */
  models?: LoadModelOptions;
  /** Without one the graph keeps no thread state (Studio brings its own). */
  checkpointer?: BaseCheckpointSaver;
  /** Details of unexpected tool failures; default: a logger on stderr. */
  logger?: Logger;
  /** Where a person opens a report (the served page, or the terminal's report.html); answers about a report name it. */
  reportLocation?: (report: Report) => Promise<string | undefined>;
  /** Monitors, issues and answers (the watch tools are offered only with one). */
  watch?: WatchStore;
  /** The current time for relative dates ("since Monday", "this week") and snoozes; default the system clock (tests fix it). */
  now?: () => Date;
  /** How the chat's reports run. */
  reports?: {
    /** Report ids (tests); default `report-<time>-<random>`. */
    newReportId?: () => string;
    /** Counts a report against the project's limit of runs under way (the server's `ReportRuns.admit`); returns the release. */
    admit?: (reportId: string) => () => void;
    /** Sessions summarized at once within a report; default the runtime's (`settings.sessionConcurrency`), else `DEFAULTS.pipeline.sessionConcurrency`. */
    sessionConcurrency?: number;
  };
}

/** The tools' view of the deps. */
export function chatToolContext(deps: ChatDeps): ChatToolContext {
  return {
    project: deps.runtime.project,
    runtime: deps.runtime,
    newReportId: deps.reports?.newReportId ?? (() => newReportId()),
    logger: deps.logger ?? createLogger(),
    ...(deps.reportLocation ? { reportLocation: deps.reportLocation } : {}),
    ...(deps.watch ? { watch: deps.watch } : {}),
    ...(deps.config.tickets ? { tickets: { config: deps.config.tickets } } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  };
}
