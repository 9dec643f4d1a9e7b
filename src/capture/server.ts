import { listenHttp } from "../http/server.ts";
import { createCaptureApp, type CaptureAppOptions } from "./app.ts";
import { CAPTURE_DEFAULTS } from "./defaults.ts";
import { CaptureStats, type CaptureStatsSnapshot } from "./stats.ts";
import { DatasetWriter, type WriterStats } from "./writer.ts";

/** The app's options (token, limits, remote config, static files, logger), plus where to write and listen. */
export interface CaptureServerOptions extends Omit<CaptureAppOptions, "writer" | "stats"> {
  /** Dataset directory to write (created when missing; an existing dataset is continued). */
  out: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** How long `close()` waits for requests under way before cutting connections. */
  closeGraceMs?: number;
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
  const { out, port, host = CAPTURE_DEFAULTS.host, closeGraceMs = CAPTURE_DEFAULTS.closeGraceMs, ...appOptions } = options;
  const writer = new DatasetWriter(out);
  await writer.open();
  const stats = new CaptureStats();
  const app = createCaptureApp({ ...appOptions, writer, stats });
  const http = await listenHttp(app, { host, port, closeGraceMs, name: "the capture server", afterClose: () => writer.close() });
  return {
    url: http.url,
    port: http.port,
    writer,
    close: http.close,
    stats: () => ({ ...stats.snapshot(), writer: writer.stats() }),
  };
}
