import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import express, { type RequestHandler } from "express";
import type { AppConfig } from "../config/env.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { errorHandler } from "../http/errors.ts";
import { listenHttp } from "../http/server.ts";
import type { Logger } from "../log/logger.ts";
import { hostName, isLoopbackHostName } from "../server/app.ts";
import { projectOf, requireProject, type ApiKeyAuth } from "../server/auth.ts";
import { ServerError, STATUS_BY_CODE } from "../server/errors.ts";
import type { ServerServices } from "../server/services.ts";
import { buildMcpServer } from "./server.ts";

/** Where the Streamable HTTP endpoint is mounted. */
export const MCP_HTTP_PATH = "/mcp";

export interface McpAppOptions {
  services: ServerServices;
  auth: ApiKeyAuth;
  config: AppConfig;
  logger: Logger;
  now?: () => Date;
}

/**
 * The MCP endpoint over Streamable HTTP, stateless: each POST gets a server for the project of its
 * API key (the API's `requireProject`: `Authorization: Bearer <key>` or `x-api-key`), so no call
 * ever reaches another project. Progress of a report streams as SSE on the call's own response.
 * Without keys (loopback only, like `serve`) every request is the local project.
 */
export function createMcpApp(options: McpAppOptions): express.Express {
  const { services, auth, config, logger } = options;
  const app = express();
  app.disable("x-powered-by");
  if (auth.isOpen) app.use(requireLoopbackHost);
  app.use(MCP_HTTP_PATH, requireProject(auth), express.json({ limit: config.server.maxBodyBytes }));
  app.post(MCP_HTTP_PATH, async (req, res, next) => {
    try {
      const server = await buildMcpServer({ project: projectOf(res), services, config, logger, ...(options.now ? { now: options.now } : {}) });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      next(error);
    }
  });
  // Stateless: no session to resume (GET) or end (DELETE).
  app.all(MCP_HTTP_PATH, (_req, _res, next) => next(new ServerError("method_not_allowed", "this MCP endpoint is stateless: POST JSON-RPC messages to it", 405)));
  app.use((req, _res, next) => next(new ServerError("not_found", `no route ${req.method} ${req.path} (the MCP endpoint is POST ${MCP_HTTP_PATH})`, 404)));
  app.use(errorHandler({ maxBodyBytes: config.server.maxBodyBytes, statusByCode: STATUS_BY_CODE, logger }));
  return app;
}

/** A keyless server answers this machine only (a web page elsewhere must not reach it through DNS rebinding). */
const requireLoopbackHost: RequestHandler = (req, _res, next) => {
  if (isLoopbackHostName(hostName(req.get("host")))) {
    next();
    return;
  }
  next(new ServerError("forbidden_host", "this MCP server has no API keys and serves only this machine: use http://localhost or http://127.0.0.1 (or configure API keys)", 403));
};

export interface RunningMcpHttp {
  /** The MCP endpoint, e.g. `http://127.0.0.1:8030/mcp`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens with the MCP app; `close` stops accepting, then lets calls under way finish within the grace time. */
export async function listenMcpHttp(options: McpAppOptions & { host: string; port: number }): Promise<RunningMcpHttp> {
  const http = await listenHttp(createMcpApp(options), { host: options.host, port: options.port, name: "the MCP server", closeGraceMs: DEFAULTS.server.closeGraceMs });
  return { url: `${http.url}${MCP_HTTP_PATH}`, port: http.port, close: http.close };
}
