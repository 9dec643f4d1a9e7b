import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import express, { type Express, type Request, type RequestHandler } from "express";
import { errorHandler } from "../http/errors.ts";
import { silentLogger, type Logger } from "../log/logger.ts";
import { prepareBatch, type PreparedBatch } from "./convert.ts";
import { decodeCapturePayload } from "./decode.ts";
import { CAPTURE_DEFAULTS } from "./defaults.ts";
import { CaptureError } from "./errors.ts";
import { buildFlagsResponse, buildRemoteConfig, buildRemoteConfigScript, type RemoteConfig } from "./remote-config.ts";
import { CaptureStats } from "./stats.ts";
import type { DatasetWriter } from "./writer.ts";

/**
 * The HTTP face of the capture server: PostHog's ingestion and config routes, as posthog-js calls them.
 *
 * | route | what |
 * | --- | --- |
 * | `POST /e/`, `/i/v0/e/`, `/batch/`, `/capture/`, `/track/`, `/engage/` (GET with `?data=` too) | analytics events |
 * | `POST /s/` | `$snapshot` events (rrweb recording) |
 * | `GET /array/<token>/config`, `/array/<token>/config.js` | remote config (JSON / script) |
 * | `POST /flags/?v=2`, `/decide/` | feature flags: none (plus the config when `config=true` or `/decide/`) |
 * | `GET /static/<file>.js`, `/static/<version>/<file>.js` | posthog-js's own bundles and lazy extensions, from node_modules |
 * | `POST /i/v1/metrics`, `/i/v1/logs`; `GET /api/surveys` etc. | accepted and ignored / empty answers, so the SDK stays quiet |
 *
 * Trailing slashes are optional (Express's non-strict routing). Errors are `{ "error": { code, message } }`.
 */

export interface CaptureAppOptions {
  writer: DatasetWriter;
  /** When set, only this project token is accepted (capture bodies, config paths). */
  token?: string;
  maxBodyBytes?: number;
  maxDecodedBytes?: number;
  /** Shallow overrides of the remote config served to posthog-js. */
  remoteConfig?: RemoteConfig;
  /** Folder of posthog-js bundles for `/static/`; default: the installed posthog-js's `dist`; null: none. */
  staticDir?: string | null;
  /** One entry per accepted batch (info) and per unexpected error (error, with its details); default: none. */
  logger?: Logger;
  stats?: CaptureStats;
}

export const EVENT_ROUTES = ["/e", "/i/v0/e", "/batch", "/capture", "/track", "/engage"] as const;
export const RECORDING_ROUTES = ["/s"] as const;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,200}$/;
const STATIC_FILE_PATTERN = /^[A-Za-z0-9._-]+\.js(\.map)?$/;

export function createCaptureApp(options: CaptureAppOptions): Express {
  const app = express();
  const stats = options.stats ?? new CaptureStats();
  const logger = options.logger ?? silentLogger();
  const maxBodyBytes = options.maxBodyBytes ?? CAPTURE_DEFAULTS.maxBodyBytes;
  const maxDecodedBytes = options.maxDecodedBytes ?? CAPTURE_DEFAULTS.maxDecodedBytes;
  const staticFiles = listStaticFiles(options.staticDir === undefined ? posthogDistDir() : options.staticDir);
  app.locals.captureStats = stats;
  app.disable("x-powered-by");
  app.set("etag", false);

  app.use(cors);
  app.use((_req, _res, next) => {
    stats.recordRequest();
    next();
  });

  // Every byte of a body is read as a Buffer, whatever its content type: encodings are sniffed later.
  const rawBody = express.raw({ type: () => true, limit: maxBodyBytes });

  const capture = (route: string): RequestHandler[] => [
    rawBody,
    async (req, res) => {
      const decoded = decodeCapturePayload({
        body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        contentType: req.get("content-type"),
        compression: queryString(req, "compression"),
        dataParam: queryString(req, "data"),
        maxDecodedBytes,
      });
      const batch = prepareBatch(decoded.value, { receivedAt: new Date(), ...tokenOption(options.token) });
      await options.writer.write(batch);
      stats.recordBatch(batch);
      logger.info(batchFields(req.method, route, decoded.encoding, batch), describeBatch(req.method, route, decoded.encoding, batch));
      res.json({ status: 1, accepted: batch.accepted, skipped: batch.skipped, skipped_by_reason: batch.skippedByReason });
    },
  ];

  for (const route of [...EVENT_ROUTES, ...RECORDING_ROUTES]) {
    app
      .route(route)
      .post(...capture(`${route}/`))
      .get(...capture(`${route}/`))
      .all(methodNotAllowed("GET, POST, OPTIONS"));
  }

  const config = (token: string) => buildRemoteConfig(token, options.remoteConfig ? { overrides: options.remoteConfig } : {});

  app
    .route("/array/:token/config")
    .get((req, res) => {
      res.set("Cache-Control", "no-store").json(config(checkedToken(req.params.token, options.token)));
    })
    .all(methodNotAllowed("GET, OPTIONS"));
  app
    .route("/array/:token/config.js")
    .get((req, res) => {
      const token = checkedToken(req.params.token, options.token);
      res
        .set("Cache-Control", "no-store")
        .type("application/javascript")
        .send(buildRemoteConfigScript(token, config(token)));
    })
    .all(methodNotAllowed("GET, OPTIONS"));

  const flags: RequestHandler[] = [
    rawBody,
    (req, res) => {
      // posthog-js posts {token, distinct_id, ...}; the answer is the same whoever asks: no flags.
      const withConfig = req.path.startsWith("/decide") || queryString(req, "config") === "true";
      res.json(buildFlagsResponse(withConfig ? config(options.token ?? "local") : undefined, randomUUID()));
    },
  ];
  for (const route of ["/flags", "/decide"]) {
    app
      .route(route)
      .post(...flags)
      .get(...flags)
      .all(methodNotAllowed("GET, POST, OPTIONS"));
  }

  for (const route of ["/static/:file", "/static/:version/:file"]) {
    app
      .route(route)
      .get((req, res, next) => {
        const file = String(req.params.file);
        if (!staticFiles || !STATIC_FILE_PATTERN.test(file) || !staticFiles.names.has(file)) {
          next(new CaptureError("not_found", `no static file ${JSON.stringify(file)}`, 404));
          return;
        }
        res.set("Cache-Control", "no-cache");
        res.sendFile(file, { root: staticFiles.dir, dotfiles: "deny" }, (error) => {
          if (error && !res.headersSent) next(error);
        });
      })
      .all(methodNotAllowed("GET, OPTIONS"));
  }

  // Telemetry posthog-js may send that a dataset has no use for: read (size-limited) and dropped.
  for (const route of ["/i/v1/metrics", "/i/v1/logs"]) {
    app
      .route(route)
      .post(rawBody, (_req, res) => void res.json({ status: 1 }))
      .all(methodNotAllowed("POST, OPTIONS"));
  }
  const emptyLists: Record<string, Record<string, unknown[]>> = {
    "/api/surveys": { surveys: [] },
    "/api/web_experiments": { experiments: [] },
    "/api/product_tours": { product_tours: [] },
    "/api/early_access_features": { earlyAccessFeatures: [] },
  };
  for (const [route, body] of Object.entries(emptyLists)) {
    app
      .route(route)
      .get((_req, res) => void res.json(body))
      .all(methodNotAllowed("GET, OPTIONS"));
  }

  app.route(["/", "/_health"]).get((_req, res) => {
    res.json({ service: "session-summaries capture server", status: "ok", stats: stats.snapshot() });
  });

  app.use((req, _res, next) => {
    next(new CaptureError("not_found", `no route ${req.method} ${req.path}`, 404));
  });
  // Unexpected errors answer a generic 500; their message (paths, hosts) goes to the log only.
  app.use(errorHandler({ maxBodyBytes, logger, onError: (problem) => stats.recordRejection(problem.code) }));
  return app;
}

/**
 * posthog-js runs on the site's origin and posts here cross-origin. Like PostHog's capture, the
 * origin and requested headers are mirrored and credentials allowed (a `fetch_options.credentials`
 * of "include" or a beacon carrying cookies must not fail). Chrome's Private Network Access
 * preflight (a public page calling localhost) is allowed too.
 */
const cors: RequestHandler = (req, res, next) => {
  const origin = req.get("origin");
  if (origin) {
    res.set("Access-Control-Allow-Origin", origin);
    res.set("Access-Control-Allow-Credentials", "true");
    res.vary("Origin");
  } else {
    res.set("Access-Control-Allow-Origin", "*");
  }
  if (req.method !== "OPTIONS") {
    next();
    return;
  }
  res.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  res.set("Access-Control-Allow-Headers", req.get("access-control-request-headers") ?? "Content-Type");
  if (req.get("access-control-request-private-network") === "true") res.set("Access-Control-Allow-Private-Network", "true");
  res.set("Access-Control-Max-Age", "600");
  res.vary("Access-Control-Request-Headers");
  res.status(204).end();
};

function methodNotAllowed(allow: string): RequestHandler {
  return (req, res, next) => {
    res.set("Allow", allow);
    next(new CaptureError("method_not_allowed", `${req.method} is not allowed on ${req.path}; use ${allow}`, 405));
  };
}

function checkedToken(token: unknown, expected: string | undefined): string {
  if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) {
    throw new CaptureError("invalid_token", `project token ${JSON.stringify(token)} is not a valid token`, 400);
  }
  if (expected !== undefined && token !== expected) {
    throw new CaptureError("invalid_token", `project token ${JSON.stringify(token)} is not the one this capture server accepts`, 401);
  }
  return token;
}

function tokenOption(token: string | undefined): { expectedToken?: string } {
  return token === undefined ? {} : { expectedToken: token };
}

function queryString(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  if (typeof value === "string") return value;
  if (Array.isArray(value) && typeof value[0] === "string") return value[0];
  return undefined;
}

/** The fields of a batch's log entry. */
function batchFields(method: string, route: string, encoding: string, batch: PreparedBatch): Record<string, unknown> {
  return {
    method,
    route,
    encoding,
    events: batch.events,
    snapshots: batch.snapshots,
    rrwebEvents: batch.rrwebEvents,
    sessions: batch.sessions.size,
    skipped: batch.skipped,
    ...(batch.skipped > 0 ? { skippedByReason: batch.skippedByReason } : {}),
  };
}

/** The message of a batch's log entry, e.g. `POST /s/ [gzip] 0 events, 3 snapshots (40 rrweb events), 1 sessions`. */
function describeBatch(method: string, route: string, encoding: string, batch: PreparedBatch): string {
  const parts = [`${batch.events} events`, `${batch.snapshots} snapshots (${batch.rrwebEvents} rrweb events)`, `${batch.sessions.size} sessions`];
  const skipped = Object.entries(batch.skippedByReason).map(([reason, count]) => `${reason} ${count}`);
  return `${method} ${route} [${encoding}] ${parts.join(", ")}${skipped.length > 0 ? `; skipped ${batch.skipped} (${skipped.join(", ")})` : ""}`;
}

/** Where the installed posthog-js keeps its bundles, or undefined when it is not installed. */
export function posthogDistDir(): string | undefined {
  try {
    return path.dirname(createRequire(import.meta.url).resolve("posthog-js"));
  } catch {
    return undefined;
  }
}

function listStaticFiles(dir: string | null | undefined): { dir: string; names: Set<string> } | undefined {
  if (!dir) return undefined;
  try {
    return { dir, names: new Set(readdirSync(dir).filter((name) => STATIC_FILE_PATTERN.test(name))) };
  } catch {
    return undefined;
  }
}
