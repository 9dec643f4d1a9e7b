import { finalizeDataset } from "../capture/finalize.ts";
import { startCaptureServer, type CaptureServer } from "../capture/server.ts";
import { readConfig } from "../config/env.ts";
import { SessionSummariesError } from "../domain/errors.ts";
import { createLogger } from "../log/logger.ts";
import { waitForStop } from "./stop-signal.ts";

export interface CaptureCommandOptions {
  /** Dataset directory to write. */
  out: string;
  port: number;
  host?: string;
  /** When set, only this project token is accepted. */
  token?: string;
  /** Gzip events and recordings when finalizing. */
  gzip?: boolean;
  /** Stops the server like SIGINT does (tests, embedding). */
  signal?: AbortSignal;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/**
 * `session-summaries capture`: runs the local capture server until SIGINT / SIGTERM, then finalizes
 * the dataset (events sorted, recordings ordered, meta.json recomputed, optionally gzipped).
 * Exit codes: 0 ok, 1 finalizing failed, 2 the server could not start.
 */
export async function runCapture(options: CaptureCommandOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let server: CaptureServer;
  try {
    // Inside the try: a bad SESSION_SUMMARIES_LOG_LEVEL (or other setting) is an "error:" line and exit 2.
    const config = readConfig();
    const logger = createLogger({ level: config.logLevel, destination: stderr });
    server = await startCaptureServer({
      out: options.out,
      // A session quiet for the idle time is tidied (files in time order) while the server runs, so a monitor watching the folder reads finished sessions in order.
      finalizeIdleMs: config.watch.sessionIdleMinutes * 60_000,
      port: options.port,
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
      logger,
    });
  } catch (error) {
    if (error instanceof SessionSummariesError) {
      stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const token = options.token ?? "<any token>";
  stdout.write(
    [
      `capture server listening on ${server.url}, writing ${options.out}`,
      `point posthog-js at it: posthog.init("${token}", { api_host: "${server.url}", opt_out_useragent_filter: true, capture_exceptions: true, capture_dead_clicks: true })`,
      `Ctrl-C stops and finalizes the dataset.`,
      "",
    ].join("\n"),
  );

  const received = await waitForStop(options.signal);
  stderr.write(`${received}: finishing requests under way (Ctrl-C again quits without finalizing)\n`);
  await server.close();
  const stats = server.stats();
  try {
    const result = await finalizeDataset(options.out, { gzip: options.gzip ?? false });
    const noSession = stats.withoutSession > 0 ? `; ${stats.withoutSession} events without $session_id not written` : "";
    stdout.write(
      `finalized ${options.out}: ${result.sessions} sessions, ${result.events} events, ${result.recordingLines} recording lines` +
        `${result.gzip ? " (gzip)" : ""}; skipped ${stats.skipped} events${noSession}; rejected ${stats.rejected} requests\n`,
    );
    for (const problem of result.problems) stderr.write(`warning: ${problem}\n`);
    if (result.droppedLines > 0) stderr.write(`warning: ${result.droppedLines} unreadable lines dropped\n`);
    return 0;
  } catch (error) {
    stderr.write(`error: finalizing ${options.out} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
