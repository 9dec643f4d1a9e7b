import express, { type Express, type RequestHandler } from "express";
import { DEFAULTS } from "../config/defaults.ts";
import { errorHandler } from "../http/errors.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { requireProject, type ApiKeyAuth } from "./auth.ts";
import { ServerError, STATUS_BY_CODE } from "./errors.ts";
import { pageRoutes } from "./routes/pages.ts";
import { threadRoutes } from "./routes/threads.ts";
import { reportRoutes } from "./routes/reports.ts";
import type { ServerServices } from "./services.ts";

export interface CreateAppOptions {
  /** Chat graphs, report runs and threads of every project. */
  services: ServerServices;
  auth: ApiKeyAuth;
  maxBodyBytes?: number;
  /** Quiet time after which an event stream gets a heartbeat comment. */
  heartbeatMs?: number;
  /** Unexpected errors (with stacks) go here; never to the client. Default: stderr. */
  logger?: Logger;
}

/**
 * The API of DESIGN §9, without listening (`startServer` listens).
 *
 * | route | what |
 * | --- | --- |
 * | `GET /healthz` | liveness, no key |
 * | `POST /api/threads` | new chat thread → 201 `{ thread_id }` |
 * | `POST /api/threads/:id/messages` `{ content }` | the turn as Server-Sent Events: token, progress, tool_call, tool_result, final, error |
 * | `GET /api/threads/:id` | messages and the latest report of the thread |
 * | `POST /api/reports` `{ session_ids \| filter, title?, focus_area? }` | starts a report → 202 `{ report_id, status_url }` |
 * | `GET /api/reports/:id` | status and progress; the report when done |
 * | `GET /reports/:id` | the report page (the key may be `?key=`) |
 *
 * Every route but `/healthz` needs an API key; a thread or report of another project is a 404.
 * Errors are `{ "error": { code, message } }`.
 */
export function createApp(options: CreateAppOptions): Express {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.server.maxBodyBytes;
  const logger = options.logger ?? createLogger();
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use((_req, res, next) => {
    res.set("X-Content-Type-Options", "nosniff");
    next();
  });

  // Keyless, a page of any site could reach the server through a DNS name rebound to 127.0.0.1;
  // its requests carry that name as Host, so only loopback names are served.
  if (options.auth.isOpen) app.use(requireLoopbackHost);

  app.get("/healthz", (_req, res) => void res.json({ status: "ok" }));

  const json = [requireJsonBody, express.json({ limit: maxBodyBytes, strict: true, type: "application/json" })];
  const apiAuth = requireProject(options.auth);
  app.use("/api/threads", apiAuth, json, threadRoutes({ services: options.services, heartbeatMs: options.heartbeatMs ?? DEFAULTS.server.heartbeatMs, logger }));
  app.use("/api/reports", apiAuth, json, reportRoutes(options.services));
  app.use("/reports", requireProject(options.auth, { allowQueryKey: true }), pageRoutes(options.services));

  app.use((req, _res, next) => next(new ServerError("not_found", `no route ${req.method} ${req.path}`, 404)));
  app.use(errorHandler({ maxBodyBytes, statusByCode: STATUS_BY_CODE, logger }));
  return app;
}

/** The host name of a `Host` header without its port: `[::1]:8020` → `[::1]`, `localhost:8020` → `localhost`. */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const name = header.startsWith("[") ? header.slice(0, header.indexOf("]") + 1) : header.split(":")[0]!;
  return name.toLowerCase().replace(/\.$/, "");
}

/** Loopback names a browser on this machine uses: localhost, 127.x.x.x, [::1]. */
export function isLoopbackHostName(name: string | undefined): boolean {
  return name === "localhost" || name === "[::1]" || (name !== undefined && /^127(\.\d{1,3}){3}$/.test(name));
}

const requireLoopbackHost: RequestHandler = (req, _res, next) => {
  if (isLoopbackHostName(hostName(req.get("host")))) {
    next();
    return;
  }
  next(new ServerError("forbidden_host", "this server has no API keys and serves only this machine: use http://localhost or http://127.0.0.1 (or configure API keys)", 403));
};

/** A body that is not JSON is refused before anything reads it; a request without a body is fine. */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const length = req.get("content-length");
  const hasBody = req.get("transfer-encoding") !== undefined || (length !== undefined && length !== "0");
  if (hasBody && !req.is("application/json")) {
    next(new ServerError("unsupported_media_type", `send the body as application/json (got ${req.get("content-type") ?? "no content type"})`, 415));
    return;
  }
  next();
};
