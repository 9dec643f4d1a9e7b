import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createCaptureApp } from "./app.ts";
import { CAPTURE_DEFAULTS } from "./defaults.ts";
import { CaptureError } from "./errors.ts";
import type { RemoteConfig } from "./remote-config.ts";
import { CaptureStats, type CaptureStatsSnapshot } from "./stats.ts";
import { DatasetWriter, type WriterStats } from "./writer.ts";

export interface CaptureServerOptions {
  /** Dataset directory to write (created when missing; an existing dataset is continued). */
  out: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** When set, only this project token is accepted. */
  token?: string;
  maxBodyBytes?: number;
  maxDecodedBytes?: number;
  remoteConfig?: RemoteConfig;
  staticDir?: string | null;
  log?: (line: string) => void;
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
  const host = options.host ?? CAPTURE_DEFAULTS.host;
  const writer = new DatasetWriter(options.out);
  await writer.open();
  const stats = new CaptureStats();
  const app = createCaptureApp({
    writer,
    stats,
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.maxDecodedBytes !== undefined ? { maxDecodedBytes: options.maxDecodedBytes } : {}),
    ...(options.remoteConfig !== undefined ? { remoteConfig: options.remoteConfig } : {}),
    ...(options.staticDir !== undefined ? { staticDir: options.staticDir } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
  });
  const server = createServer(app);
  await listen(server, options.port, host);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), options.closeGraceMs ?? CAPTURE_DEFAULTS.closeGraceMs);
      await closed;
      clearTimeout(grace);
      await writer.close();
    })();
    return closing;
  };

  return {
    url: `http://${urlHost}:${port}`,
    port,
    writer,
    close,
    stats: () => ({ ...stats.snapshot(), writer: writer.stats() }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      const reason = error.code === "EADDRINUSE" ? `port ${port} on ${host} is already in use` : error.message;
      reject(new CaptureError("listen_failed", `cannot start the capture server: ${reason}`, 500, { cause: error }));
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}
