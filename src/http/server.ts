import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpError } from "./errors.ts";

export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** How long `close()` lets requests under way finish before cutting every connection (event streams included). */
  closeGraceMs: number;
  /** What is listening, for the error when it cannot, e.g. "the capture server". */
  name: string;
  /** Runs once the server stops accepting, before the grace time starts (e.g. abort long turns so their streams end). */
  beforeDrain?: () => Promise<void>;
  /** Runs once every connection is closed (e.g. flush writes, release stores). */
  afterClose?: () => Promise<void>;
}

export interface ListeningServer {
  /** e.g. `http://127.0.0.1:8020` (`[::1]` for IPv6 hosts). */
  url: string;
  port: number;
  server: Server;
  /**
   * Stops accepting, closes idle keep-alive connections, lets requests under way finish within the
   * grace time, then cuts what is left (open event streams) and runs `afterClose`. Safe to call twice.
   */
  close(): Promise<void>;
}

/**
 * Listens with `handler` and gives the drain-on-close both our servers use. Node's own
 * `closeIdleConnections` / `closeAllConnections` do the draining: they cover keep-alive and
 * streaming responses without a dependency.
 */
export async function listenHttp(handler: RequestListener, options: ListenOptions): Promise<ListeningServer> {
  const server = createServer(handler);
  await listen(server, options);
  const port = (server.address() as AddressInfo).port;
  const urlHost = options.host.includes(":") ? `[${options.host}]` : options.host;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await options.beforeDrain?.();
      const grace = setTimeout(() => server.closeAllConnections(), options.closeGraceMs);
      await closed;
      clearTimeout(grace);
      await options.afterClose?.();
    })();
    return closing;
  };
  return { url: `http://${urlHost}:${port}`, port, server, close };
}

function listen(server: Server, options: ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      const reason = error.code === "EADDRINUSE" ? `port ${options.port} on ${options.host} is already in use` : error.message;
      reject(new HttpError("listen_failed", `cannot start ${options.name}: ${reason}`, 500, { cause: error }));
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(options.port, options.host);
  });
}
