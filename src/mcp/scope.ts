import type { AppConfig } from "../config/env.ts";
import type { Logger } from "../log/logger.ts";
import type { ServerServices } from "../server/services.ts";

/**
 * What one MCP server instance serves: one project (the API key's over HTTP, the local one over
 * stdio) on the API server's per-project services (pipelines, report runs, watch store), so the
 * MCP surface runs and limits reports exactly as the reports API and the chat do.
 */
export interface McpScope {
  project: string;
  services: ServerServices;
  config: AppConfig;
  /** Details of unexpected failures (never sent to the client); on stderr over stdio. */
  logger: Logger;
  /** The current time for relative dates in the watch tools; default the system clock (tests fix it). */
  now?: () => Date;
}
