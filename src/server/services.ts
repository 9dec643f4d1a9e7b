import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { compileChatGraph, type ChatGraph } from "../../graph/chat/index.ts";
import type { LoadModelOptions } from "../llm/models.ts";
import { createPipeline, type Pipeline } from "../../graph/pipeline.ts";
import type { PipelineAnalyst } from "../llm/analyst.ts";
import type { AppConfig } from "../config/env.ts";
import type { Logger } from "../log/logger.ts";
import { ReportRuns } from "../service/report-runs.ts";
import { DatasetSource } from "../sources/dataset.ts";
import type { SessionSource } from "../sources/types.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { notFound } from "./errors.ts";
import { reportLinks } from "./routes/reports.ts";
import type { ProjectSpec } from "./projects.ts";
import { ChatThreads } from "./threads.ts";
import { ServerWatch, type ServerWatchOptions } from "./watch.ts";

export type { ChatGraph };

export interface ServerServicesOptions {
  config: AppConfig;
  projects: readonly ProjectSpec[];
  /** Shared by every project's chat and report graphs; thread ids carry the project. */
  checkpointer: BaseCheckpointSaver;
  blobs: BlobStore;
  /** Model construction (tests: scripted fakes). */
  models?: LoadModelOptions;
  maxRunsPerProject?: number;
  /** Where a project's sessions come from; default its dataset directory. */
  sourceFor?: (project: ProjectSpec) => SessionSource;
  /** Details of unexpected failures (never sent to clients). */
  logger?: Logger;
  /** Instead of the configured analyst, for every project's pipeline (tests count its calls). */
  analyst?: PipelineAnalyst;
  /** Monitors, issues and alerts: the watch API routes, the issues page and the chat's watch tools. */
  watch?: ServerWatchOptions;
}

/**
 * What the routes work with: per project a report pipeline and a chat graph (built on first use),
 * the report runs, and the chat threads. One checkpointer and one blob store serve every project;
 * every key and thread id is scoped by the project.
 */
export class ServerServices {
  readonly runs: ReportRuns;
  readonly threads: ChatThreads;
  /** Undefined when the server was started without a watch store (the watch routes answer 503). */
  readonly watch: ServerWatch | undefined;
  private readonly specs: Map<string, ProjectSpec>;
  private readonly pipelines = new Map<string, Promise<Pipeline>>();
  private readonly chats = new Map<string, Promise<ChatGraph>>();
  private closed = false;

  constructor(private readonly options: ServerServicesOptions) {
    this.specs = new Map(options.projects.map((project) => [project.name, project]));
    this.threads = new ChatThreads(options.blobs, { maxTurnsPerProject: options.config.server.maxTurnsPerProject });
    this.runs = new ReportRuns({
      pipelineFor: (project: string) => this.pipeline(project),
      maxRunsPerProject: options.maxRunsPerProject ?? options.config.server.maxRunsPerProject,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.watch = options.watch ? new ServerWatch(options.watch, { pipelineFor: (project) => this.pipeline(project) }) : undefined;
  }

  /** Whether answers carrying model-written text (issues, alerts, answers) are redacted: the pipelines' switch (`SESSION_SUMMARIES_REDACT_PII`). */
  get redactsPii(): boolean {
    return this.options.config.redactPii;
  }

  get projectNames(): string[] {
    return [...this.specs.keys()];
  }

  /** The project's report pipeline, built once. */
  pipeline(project: string): Promise<Pipeline> {
    return this.memo(this.pipelines, project, async () => {
      const spec = this.spec(project);
      return createPipeline({
        config: this.options.config,
        source: this.options.sourceFor?.(spec) ?? new DatasetSource(spec.dataset),
        project,
        blobs: this.options.blobs,
        checkpointer: this.options.checkpointer,
        ...(this.options.models ? { models: this.options.models } : {}),
        ...(this.options.analyst ? { analyst: this.options.analyst } : {}),
      });
    });
  }

  /** The project's chat graph, compiled once with the shared checkpointer. */
  chatGraph(project: string): Promise<ChatGraph> {
    return this.memo(this.chats, project, async () =>
      compileChatGraph({
        runtime: (await this.pipeline(project)).runtime,
        // A chat's report counts against the project's limit of runs under way, like one of the reports API.
        reports: { admit: (reportId) => this.runs.admit(project, reportId), sessionConcurrency: this.runs.sessionConcurrency },
        config: this.options.config,
        checkpointer: this.options.checkpointer,
        ...(this.options.models ? { models: this.options.models } : {}),
        ...(this.options.logger ? { logger: this.options.logger } : {}),
        // Answers about a report name its page (relative to the server; the page asks for the key).
        reportLocation: async (report) => reportLinks(report.id).report_url,
        ...(this.watch ? { watch: this.watch.store } : {}),
      }),
    );
  }

  /** Stops turns and runs under way and releases the pipelines; the checkpointer and blob store belong to the caller. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.threads.abortAll("the server is shutting down");
    // Sweeps run on the pipelines: stopped before those are released.
    await Promise.all([this.runs.close(), this.watch?.close()]);
    const pipelines = await Promise.allSettled(this.pipelines.values());
    for (const result of pipelines) if (result.status === "fulfilled") await result.value.close();
  }

  private spec(project: string): ProjectSpec {
    const spec = this.specs.get(project);
    if (!spec) throw notFound(`project ${JSON.stringify(project)}`);
    return spec;
  }

  /** One build per project even under concurrent first requests; a failed build is retried next time. */
  private memo<T>(cache: Map<string, Promise<T>>, project: string, build: () => Promise<T>): Promise<T> {
    let entry = cache.get(project);
    if (!entry) {
      entry = build();
      cache.set(project, entry);
      entry.catch(() => cache.delete(project));
    }
    return entry;
  }
}
