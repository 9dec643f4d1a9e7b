import { listenHttp } from "../http/server.ts";
import { createCaptureApp, type CaptureAppOptions } from "./app.ts";
import { CAPTURE_DEFAULTS } from "./defaults.ts";
import { CaptureStats, type CaptureStatsSnapshot } from "./stats.ts";
import { DatasetWriter, type WriterStats } from "./writer.ts";
import { CaptureError } from "./errors.ts";
import { silentLogger, type Logger } from "../log/logger.ts";

/** The app's options (token, limits, remote config, static files, logger), plus where to write and listen. */
export interface CaptureServerOptions extends Omit<CaptureAppOptions, "writer" | "stats"> {
  /** Dataset directory to write (created when missing; an existing dataset is continued). */
  out: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** How long `close()` waits for requests under way before cutting connections. */
  closeGraceMs?: number;
  /**
   * Finalize a session (events and recording in time order, meta.json recomputed) once no request
   * has written to it for this long, so that a dataset watched while capture runs reads like a
   * finalized one. Off when undefined: `capture` finalizes everything at exit anyway.
   */
  finalizeIdleMs?: number;
  /** How often quiet sessions are looked for; default the idle time, at most `CAPTURE_DEFAULTS.finalizeCheckMs`. */
  finalizeCheckMs?: number;
  /** The clock for idle times (tests). */
  now?: () => number;
}

export interface CaptureServer {
  /** e.g. `http://127.0.0.1:8010`: the `api_host` to give posthog-js. */
  url: string;
  port: number;
  writer: DatasetWriter;
  /** Stops accepting, lets requests under way finish, and waits for their writes. */
  close(): Promise<void>;
  stats(): CaptureStatsSnapshot & { writer: WriterStats };
}

export async function startCaptureServer(options: CaptureServerOptions): Promise<CaptureServer> {
  const { out, port, host = CAPTURE_DEFAULTS.host, closeGraceMs = CAPTURE_DEFAULTS.closeGraceMs, finalizeIdleMs, finalizeCheckMs, now, ...appOptions } = options;
  const writer = new DatasetWriter(out, now ? { now } : {});
  await writer.open();
  const stats = new CaptureStats();
  const app = createCaptureApp({ ...appOptions, writer, stats });
  const idle = finalizeIdleMs === undefined ? undefined : finalizeQuietSessions(writer, finalizeIdleMs, finalizeCheckMs, appOptions.logger ?? silentLogger());
  const http = await listenHttp(app, {
    host,
    port,
    closeGraceMs,
    name: "the capture server",
    afterClose: async () => {
      await idle?.stop();
      await writer.close();
    },
  });
  return {
    url: http.url,
    port: http.port,
    writer,
    close: http.close,
    stats: () => ({ ...stats.snapshot(), writer: writer.stats() }),
  };
}

/** Checks for quiet sessions on a timer, one check at a time; `stop` waits for a check under way. */
function finalizeQuietSessions(writer: DatasetWriter, idleMs: number, checkMs: number | undefined, logger: Logger): { stop(): Promise<void> } {
  if (!Number.isFinite(idleMs) || idleMs < 0) {
    throw new CaptureError("invalid_option", `finalizeIdleMs must be a non-negative number of milliseconds, got ${idleMs}`, 500);
  }
  const every = Math.max(1, checkMs ?? Math.min(idleMs, CAPTURE_DEFAULTS.finalizeCheckMs));
  let running: Promise<void> | undefined;
  const check = async () => {
    const result = await writer.finalizeIdle(idleMs);
    if (result.finalized.length > 0) logger.info({ sessions: result.finalized }, `finalized ${result.finalized.length} quiet session(s)`);
    for (const problem of result.problems) logger.warn({ problem }, `finalizing a quiet session: ${problem}`);
  };
  const timer = setInterval(() => {
    if (running) return;
    running = check()
      .catch((error: unknown) => logger.warn({ error: (error as Error).message }, `finalizing quiet sessions failed: ${(error as Error).message}`))
      .finally(() => {
        running = undefined;
      });
  }, every);
  // The timer alone must not keep the process alive.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
