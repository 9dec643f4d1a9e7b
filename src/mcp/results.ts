import { setMaxListeners } from "node:events";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** Every session read of a tool listens to the call's signal: far more than the default 10 (as for report runs). */
export function allowManyAbortListeners(signal: AbortSignal): void {
  setMaxListeners(0, signal);
}

/** A tool's status text as an MCP result. */
export function textResult(text: string, isError = false): CallToolResult {
  return { content: [{ type: "text", text }], ...(isError ? { isError: true } : {}) };
}
