import express, { type Express, type RequestHandler } from "express";
import { DEFAULTS } from "../config/defaults.ts";
import { errorHandler } from "../http/errors.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { requireProject, type ApiKeyAuth } from "./auth.ts";
import { ServerError, STATUS_BY_CODE } from "./errors.ts";
import { pageRoutes } from "./routes/pages.ts";
import { threadRoutes } from "./routes/threads.ts";
import { reportRoutes } from "./routes/reports.ts";
import { alertRoutes, issueRoutes, monitorRoutes } from "./routes/watch.ts";
import { issuesPageRoutes } from "./routes/issues-page.ts";
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
 * | `GET /api/monitors` | the project's monitors, oldest first |
 * | `POST /api/monitors` `{ name, filter?, focus_area?, question?, interval_minutes?, budget?, alerts?, ... }` | a monitor (`MonitorDefinitionSchema`) → 201 `{ monitor }`; unknown fields are a 400 |
 * | `GET /api/monitors/:id` | `{ monitor, last_sweep?, sweeping }` |
 * | `PATCH /api/monitors/:id` `{ paused }` | pauses or resumes (the definition is fixed: create a new monitor instead) |
 * | `DELETE /api/monitors/:id` | the monitor with its sweeps, issues and alerts → 204; 409 while a sweep runs |
 * | `GET /api/monitors/:id/sweeps?limit=` | its sweeps, newest first |
 * | `POST /api/monitors/:id/sweeps` | runs one sweep now and answers when it ends → 201 `{ sweep }`; 409 if one is under way here, 503 without a sweeper |
 * | `GET /api/monitors/:id/estimate` | what the next sweep would take and cost |
 * | `POST /api/monitors/:id/backfill` `{ since, dry_run? }` | sessions finished since `since`: the estimate only, unless `dry_run: false` (then the sweep too → 201) |
 * | `GET /api/monitors/:id/answers?since=&limit=` | answers to the monitor's question per session, newest first |
 * | `GET /api/issues?monitor_id=&state=new,regressed` | the project's tracked issues |
 * | `GET /api/issues/:id` | `{ issue, days, alerts }`: counts per day and its alerts with their delivery attempts |
 * | `POST /api/issues/:id/actions` `{ action: snooze \| mute \| resolve \| reopen, until? }` | → `{ issue }`; snoozing needs a future `until` (else 400 `invalid_until`) |
 * | `POST /api/issues/:id/ticket` `{ to?: github \| linear \| webhook }` | the issue's ticket `{ ticket, created }`: 201 new, 200 the existing one |
 * | `GET /api/alerts?monitor_id=&issue_id=` | alerts, each with its delivery `attempts` |
 * | `GET /issues?monitor_id=` | the issues page (the key may be `?key=`); examples link to `/reports/:id#example-<pattern>-<index>` |
 *
 * Every route but `/healthz` needs an API key; a thread, report, monitor, issue or alert of another
 * project is a 404, the same as one that does not exist (and lists hold only the project's own).
 * Without a watch store the watch routes answer 503. Errors are `{ "error": { code, message } }`.
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
  app.use("/api/reports", apiAuth, json, reportRoutes(options.services, { heartbeatMs: options.heartbeatMs ?? DEFAULTS.server.heartbeatMs, logger }));
  app.use("/reports", requireProject(options.auth, { allowQueryKey: true }), pageRoutes(options.services));
  app.use("/api/monitors", apiAuth, json, monitorRoutes(options.services));
  app.use("/api/issues", apiAuth, json, issueRoutes(options.services));
  app.use("/api/alerts", apiAuth, json, alertRoutes(options.services));
  app.use("/issues", requireProject(options.auth, { allowQueryKey: true }), issuesPageRoutes(options.services));

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
