/**
 * The HTTP plumbing every demo app shares: the server's start and stop, posthog-js served from
 * node_modules (no CDN), the app's own static files under `/static/` and the scripts of
 * `examples/common/public/` under `/common/`, JSON bodies, cookies, and delays that a stop cancels.
 * An app adds only its pages and its API (see `examples/shop/server.ts`).
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** How the generator (or a person) starts a demo app. */
export interface DemoAppOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Base URL of the capture server posthog-js sends to. */
  captureUrl: string;
  /** posthog project token. */
  token: string;
  host?: string;
}

export interface DemoServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** The app's `public/` folder, served under `/static/`. */
  publicDir: string;
  /** Timers the app's handlers wait on; a stop clears them so no request keeps the process alive. */
  delays?: Delays;
  /** Tunables of the shared plumbing. */
  limits?: Partial<DemoServerLimits>;
}

export interface DemoServerLimits {
  /** Largest JSON request body read, in bytes. */
  maxBodyBytes: number;
  /** `cache-control` of the posthog-js bundle. */
  bundleCacheControl: string;
  /** `cache-control` of the files under `/static/` and `/common/`. */
  staticCacheControl: string;
}

export const DEFAULT_DEMO_SERVER_LIMITS: DemoServerLimits = {
  maxBodyBytes: 64 * 1024,
  bundleCacheControl: "public, max-age=3600",
  staticCacheControl: "public, max-age=600",
};

export interface RunningDemoServer {
  url: string;
  close(): Promise<void>;
}

/** The app's part of a request: everything the shared routes did not answer. */
export type DemoHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

/** The browser scripts both apps load (`visit.js`, `analytics.js`, `page-helpers.js`). */
export const COMMON_PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));
const POSTHOG_BUNDLE = createRequire(import.meta.url).resolve("posthog-js/dist/array.full.no-external.js");
const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};
/** Only used to parse a request's path and query. */
const PARSE_BASE = "http://demo-app.local";

/** `delay(ms)` for handlers that play a slow backend; `clear()` cancels the ones still waiting. */
export class Delays {
  private readonly pending = new Set<NodeJS.Timeout>();

  readonly delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.add(timer);
    });

  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}

export async function startDemoServer(options: DemoServerOptions, handle: DemoHandler): Promise<RunningDemoServer> {
  const limits = { ...DEFAULT_DEMO_SERVER_LIMITS, ...options.limits };
  const publicDir = path.resolve(options.publicDir) + path.sep;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", PARSE_BASE);
    const pathname = url.pathname;
    if (req.method === "GET") {
      if (pathname === "/vendor/posthog.js") return sendFile(res, POSTHOG_BUNDLE, limits.bundleCacheControl);
      if (pathname.startsWith("/static/")) return sendStatic(res, publicDir, pathname.slice("/static/".length), limits);
      if (pathname.startsWith("/common/")) return sendStatic(res, COMMON_PUBLIC_DIR, pathname.slice("/common/".length), limits);
      if (pathname === "/favicon.ico") return send(res, 204, "");
    }
    return handle(req, res, url);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: async () => {
      options.delays?.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The value of one cookie of the request, decoded; undefined when it is not there. */
export function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

/** The request's JSON object body; `{}` when it is empty or not an object. */
export async function readJson(req: IncomingMessage, maxBytes = DEFAULT_DEMO_SERVER_LIMITS.maxBodyBytes): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new Error("request body too large");
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "cache-control": "no-store", ...headers });
  res.end(body);
}

export function sendHtml(res: ServerResponse, html: string, status = 200): void {
  send(res, status, html, { "content-type": "text/html; charset=utf-8" });
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), { "content-type": "application/json" });
}

async function sendFile(res: ServerResponse, file: string, cacheControl: string): Promise<void> {
  const type = CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream";
  send(res, 200, await readFile(file), { "content-type": type, "cache-control": cacheControl });
}

/** A file of `dir` by its relative path; nothing outside `dir`, nothing of an unlisted type. */
async function sendStatic(res: ServerResponse, dir: string, relative: string, limits: DemoServerLimits): Promise<void> {
  const file = path.resolve(dir, relative);
  // `dir` ends with a separator: a sibling folder whose name starts like it (`public-old`) is outside it.
  if (!file.startsWith(dir) || !(path.extname(file) in CONTENT_TYPES)) return sendJson(res, 404, { error: "not found" });
  try {
    await sendFile(res, file, limits.staticCacheControl);
  } catch {
    sendJson(res, 404, { error: "not found" });
  }
}
