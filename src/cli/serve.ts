import { readConfig, type AppConfig } from "../config/env.ts";
import { SessionSummariesError } from "../domain/errors.ts";
import { resolveServerProjects } from "../server/projects.ts";
import { startServer, type RunningServer, type StartServerOptions } from "../server/server.ts";
import type { ServerWatchOptions } from "../server/watch.ts";
import { createLogger } from "../log/logger.ts";
import { describeBlobStore } from "../store/config.ts";
import { describeWatchStore, openWatchStore } from "../watch/store/open.ts";
import type { WatchStore } from "../watch/store/types.ts";
import { waitForStop } from "./stop-signal.ts";
import { configuredSweeper } from "../service/watch/sweeper.ts";
import type { Logger } from "../log/logger.ts";
import { openQueueConnection, type QueueConnection } from "../queue/connection.ts";
import { DEFAULT_QUEUE_PREFIX } from "../queue/names.ts";
import { runQueuedScheduler } from "../service/watch/queued-scheduler.ts";
import type { Sweeper } from "../service/watch/types.ts";

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
  /** Runs the sweeps of the monitors API (`POST /api/monitors/:id/sweeps`, estimate, backfill); without one those routes answer 503. */
  sweeper?: ServerWatchOptions["sweeper"];
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
  let watchStore: WatchStore | undefined;
  try {
    const { projects, auth, notices } = await resolveServerProjects({
      config,
      host,
      ...(options.config !== undefined ? { configFile: options.config } : {}),
      ...(options.dataset !== undefined ? { dataset: options.dataset } : {}),
    });
    for (const notice of notices) stderr.write(`${notice}\n`);
    watchStore = await openWatchStore(config);
    server = await startServer({
      config,
      projects,
      auth,
      host,
      port,
      ...options.server,
      logger,
      watch: { store: watchStore, sweeper: options.sweeper ?? configuredSweeper(watchStore, config, logger), ...(config.tickets ? { tickets: config.tickets } : {}) },
    });
    stdout.write(
      [
        `session-summaries API listening on ${server.url}`,
        `projects: ${projects.map((project) => `${project.name} (${project.dataset})`).join(", ")}${auth.isOpen ? " — NO AUTHENTICATION" : ""}`,
        `checkpoints: ${server.checkpointerDescription}; blobs: ${describeBlobStore(config.store.blobs)}; monitors: ${describeWatchStore(config.watchStore)}`,
        `try: curl ${server.url}/healthz`,
        "Ctrl-C stops.",
        "",
      ].join("\n"),
    );
  } catch (error) {
    await watchStore?.close().catch(() => {});
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
  const sweeps = await startScheduledSweeps(config, server, watchStore, logger, stderr);
  try {
    const received = await waitForStop(options.signal);
    stderr.write(`${received}: stopping (runs under way stop; their finished sessions are kept)\n`);
    // Scheduled sweeps first: a sweep under way stops and goes back to the queue for another server.
    await sweeps?.stop();
    await server.close();
    // After the server: its sweeps under way have stopped by then.
    await watchStore.close();
    return 0;
  } finally {
    process.off("unhandledRejection", onRejection);
  }
}

/**
 * With a queue, every API server takes part in the monitors' scheduled sweeps (every project's): BullMQ
 * job schedulers on the queue's Redis run each monitor's sweep once per interval across all servers, and a
 * sweep whose server died is resumed by another. Without a queue, sweeps run on request (the monitors
 * API) or under `watch`. A Redis that cannot be reached leaves the server up without scheduled sweeps.
 */
async function startScheduledSweeps(config: AppConfig, server: RunningServer, store: WatchStore, logger: Logger, stderr: NodeJS.WritableStream): Promise<{ stop(): Promise<void> } | undefined> {
  const watch = server.services.watch;
  if (!config.queue || !watch) return undefined;
  let sweeper: Sweeper;
  try {
    sweeper = watch.sweeper();
  } catch {
    return undefined;
  }
  let connection: QueueConnection;
  try {
    connection = await openQueueConnection(config.queue.url, { role: "worker", connectionName: `session-summaries-sweeps-${process.pid}` });
  } catch (error) {
    stderr.write(`warning: scheduled sweeps are off: ${error instanceof Error ? error.message : String(error)}\n`);
    return undefined;
  }
  const prefix = config.queue.prefix ?? DEFAULT_QUEUE_PREFIX;
  stderr.write(`monitor sweeps: scheduled on ${connection.maskedUrl} (prefix ${prefix}), shared with every server on it: one sweep per monitor and interval\n`);
  const stop = new AbortController();
  const log = logger.child({ component: "sweeps" });
  const running = runQueuedScheduler({
    store,
    sweeper,
    connection,
    prefix,
    signal: stop.signal,
    onEvent: (event) => {
      if (event.kind === "progress" || event.kind === "schedules") return;
      if (event.kind === "sweep_failed" || event.kind === "tick_failed") log.warn({ event: event.kind, message: event.message }, "scheduled sweep problem");
      else log.info({ ...event, ...("sweep" in event ? { sweep: event.sweep.id } : {}) }, `scheduled sweep: ${event.kind}`);
    },
  }).catch((error: unknown) => log.error({ err: error }, "the sweep scheduler stopped"));
  return {
    async stop() {
      stop.abort();
      await running;
      await connection.close();
    },
  };
}
