import { readConfig, type AppConfig } from "../config/env.ts";
import { SessionSummariesError } from "../domain/errors.ts";
import { resolveServerProjects } from "../server/projects.ts";
import { startServer, type RunningServer, type StartServerOptions } from "../server/server.ts";
import { createLogger } from "../log/logger.ts";
import { describeBlobStore } from "../store/config.ts";
import { waitForStop } from "./stop-signal.ts";

export interface ServeCommandOptions {
  port?: number;
  host?: string;
  /** Dataset of the projects from SESSION_SUMMARIES_API_KEYS, and of the keyless local project. */
  dataset?: string;
  /** JSON file of projects with their datasets and API keys. */
  config?: string;
  /** Stops the server like SIGINT does (tests, embedding). */
  signal?: AbortSignal;
  /** For tests: another configuration, model factory. */
  appConfig?: AppConfig;
  server?: Partial<Pick<StartServerOptions, "models" | "heartbeatMs">>;
  onListening?: (server: RunningServer) => void;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/**
 * `session-summaries serve`: the chat and reports API and the report pages, until SIGINT / SIGTERM.
 * Exit codes: 0 stopped cleanly, 2 could not start (bad config, port in use).
 */
export async function runServe(options: ServeCommandOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const config = options.appConfig ?? readConfig();
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  const logger = createLogger({ level: config.logLevel, destination: stderr });
  let server: RunningServer;
  try {
    const { projects, auth, notices } = await resolveServerProjects({
      config,
      host,
      ...(options.config !== undefined ? { configFile: options.config } : {}),
      ...(options.dataset !== undefined ? { dataset: options.dataset } : {}),
    });
    for (const notice of notices) stderr.write(`${notice}\n`);
    server = await startServer({
      config,
      projects,
      auth,
      host,
      port,
      ...options.server,
      logger,
    });
    stdout.write(
      [
        `session-summaries API listening on ${server.url}`,
        `projects: ${projects.map((project) => `${project.name} (${project.dataset})`).join(", ")}${auth.isOpen ? " — NO AUTHENTICATION" : ""}`,
        `checkpoints: ${server.checkpointerDescription}; blobs: ${describeBlobStore(config.store.blobs)}`,
        `try: curl ${server.url}/healthz`,
        "Ctrl-C stops.",
        "",
      ].join("\n"),
    );
  } catch (error) {
    if (error instanceof SessionSummariesError) {
      stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  options.onListening?.(server);

  // A bug in one request must not end the server for everyone: log it and go on.
  const onRejection = (reason: unknown) => logger.error({ err: reason }, "unhandled rejection");
  process.on("unhandledRejection", onRejection);
  try {
    const received = await waitForStop(options.signal);
    stderr.write(`${received}: stopping (runs under way stop; their finished sessions are kept)\n`);
    await server.close();
    return 0;
  } finally {
    process.off("unhandledRejection", onRejection);
  }
}
