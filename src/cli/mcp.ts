import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { readConfig, type AppConfig } from "../config/env.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { PROJECT_NAME_PATTERN } from "../config/server.ts";
import { ConfigError, SessionSummariesError } from "../domain/errors.ts";
import type { LoadModelOptions } from "../llm/models.ts";
import { createLogger } from "../log/logger.ts";
import { listenMcpHttp, type RunningMcpHttp } from "../mcp/http.ts";
import { openMcpServices, type OpenMcpServices } from "../mcp/services.ts";
import { serveMcpStdio } from "../mcp/stdio.ts";
import { resolveServerProjects } from "../server/projects.ts";
import { describeWatchStore, openWatchStore } from "../watch/store/open.ts";
import type { WatchStore } from "../watch/store/types.ts";
import { waitForStop } from "./stop-signal.ts";

/** `mcp --http` listens here unless `--port` says otherwise (capture is 8010, serve 8020). */
export const MCP_HTTP_DEFAULT_PORT = 8030;

export interface McpCommandOptions {
  /** Streamable HTTP instead of stdio. */
  http?: boolean;
  port?: number;
  host?: string;
  /** stdio: the dataset of the project; HTTP: of the projects in SESSION_SUMMARIES_API_KEYS (as `serve`). */
  dataset?: string;
  /** stdio: the project served (default `local`, the CLI's). */
  project?: string;
  /** HTTP: the `serve --config` file of projects, datasets and keys. */
  config?: string;
  /** Stops the server like SIGINT (HTTP) or the end of stdin (stdio) do (tests, embedding). */
  signal?: AbortSignal;
  /** For tests: another configuration, model factory, streams. */
  appConfig?: AppConfig;
  models?: LoadModelOptions;
  onListening?: (server: RunningMcpHttp) => void;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: NodeJS.WritableStream;
}

/**
 * `session-summaries mcp`: the chat tools, the reports and the triage prompt for MCP clients. Over
 * stdio (the default: the client starts the command) it serves one project, `local` unless
 * `--project` names another; with `--http` it serves every project of the API keys, each call scoped
 * to its key's project. Exit codes: 0 stopped cleanly, 2 could not start.
 */
export async function runMcp(options: McpCommandOptions = {}): Promise<number> {
  const stderr = options.stderr ?? process.stderr;
  const config = options.appConfig ?? readConfig();
  // stdout is the protocol's channel over stdio: every log line goes to stderr.
  const logger = createLogger({ level: config.logLevel, destination: stderr });
  let watch: WatchStore | undefined;
  let open: OpenMcpServices | undefined;
  try {
    if (options.http) return await serveHttp(options, config, logger, stderr);
    const project = options.project ?? DEFAULTS.server.localProject;
    if (!PROJECT_NAME_PATTERN.test(project)) throw new ConfigError("invalid_project", `--project: project names are 1 to 64 letters, digits, _ or -, got ${JSON.stringify(project)}`);
    const dataset = options.dataset ?? config.datasetDir;
    if (!dataset) throw new ConfigError("missing_dataset", "mcp needs a dataset: pass --dataset <dir> or set SESSION_SUMMARIES_DATASET");
    watch = await openWatchStore(config);
    open = await openMcpServices({ config, projects: [{ name: project, dataset: path.resolve(dataset) }], logger, watch, ...(options.models ? { models: options.models } : {}) });
    stderr.write(`session-summaries MCP server on stdio: project ${project} (${path.resolve(dataset)}); monitors: ${describeWatchStore(config.watchStore)}\n`);
    await serveMcpStdio(
      { project, services: open.services, config, logger },
      { ...(options.stdin ? { stdin: options.stdin } : {}), ...(options.stdout ? { stdout: options.stdout } : {}), ...(options.signal ? { signal: options.signal } : {}) },
    );
    return 0;
  } catch (error) {
    if (error instanceof SessionSummariesError) {
      stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    await open?.close();
    await watch?.close();
  }
}

async function serveHttp(options: McpCommandOptions, config: AppConfig, logger: ReturnType<typeof createLogger>, stderr: NodeJS.WritableStream): Promise<number> {
  const host = options.host ?? config.server.host;
  const port = options.port ?? MCP_HTTP_DEFAULT_PORT;
  const { projects, auth, notices } = await resolveServerProjects({
    config,
    host,
    ...(options.config !== undefined ? { configFile: options.config } : {}),
    ...(options.dataset !== undefined ? { dataset: options.dataset } : {}),
  });
  for (const notice of notices) stderr.write(`${notice}\n`);
  const watch = await openWatchStore(config);
  let open: OpenMcpServices | undefined;
  let server: RunningMcpHttp | undefined;
  try {
    open = await openMcpServices({ config, projects, logger, watch, ...(options.models ? { models: options.models } : {}) });
    server = await listenMcpHttp({ services: open.services, auth, config, logger, host, port });
    (options.stdout ?? process.stdout).write(
      [
        `session-summaries MCP server (Streamable HTTP) on ${server.url}`,
        `projects: ${projects.map((project) => project.name).join(", ")}${auth.isOpen ? " — NO AUTHENTICATION" : "; send the API key as Authorization: Bearer <key>"}`,
        "Ctrl-C stops.",
        "",
      ].join("\n"),
    );
    options.onListening?.(server);
    const received = await waitForStop(options.signal);
    stderr.write(`${received}: stopping\n`);
    return 0;
  } finally {
    await server?.close();
    await open?.close();
    await watch.close();
  }
}
