import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { McpScope } from "./scope.ts";
import { buildMcpServer } from "./server.ts";

export interface McpStdioOptions {
  /** Default the process's stdin and stdout (nothing else may write to stdout: logs go to stderr). */
  stdin?: Readable;
  stdout?: Writable;
  /** Ends the server like the client closing stdin does. */
  signal?: AbortSignal;
}

/** Serves one project over stdio until the client closes stdin (or `signal` aborts). */
export async function serveMcpStdio(scope: McpScope, options: McpStdioOptions = {}): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const server = await buildMcpServer(scope);
  const transport = new StdioServerTransport(stdin, options.stdout ?? process.stdout);
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
  });
  await server.connect(transport);
  // The transport does not watch for the end of its input: the client going away ends the server.
  const stop = () => void server.close();
  stdin.once("end", stop);
  stdin.once("close", stop);
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    await closed;
  } finally {
    stdin.off("end", stop);
    stdin.off("close", stop);
    options.signal?.removeEventListener("abort", stop);
  }
}
