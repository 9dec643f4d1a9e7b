import type { StructuredToolInterface } from "@langchain/core/tools";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ZodType } from "zod";
import { chatToolContext } from "../../graph/chat/deps.ts";
import type { Pipeline } from "../../graph/pipeline.ts";
import { createChatTools } from "../../tools/index.ts";
import type { McpScope } from "./scope.ts";
import { registerBackfillTool } from "./backfill.ts";
import { allowManyAbortListeners, textResult } from "./results.ts";
import { registerSummarizeTool } from "./summarize.ts";

/**
 * The chat agent's tools (and, with a watch store, the monitors/issues tools) as MCP tools: the same
 * tool objects the chat builds, with their names, descriptions and zod schemas. Each answers with the
 * status text it gives the chat model. `summarize_sessions`, which in the chat hands over to the
 * graph's report node, is run here (with progress and the budget confirmation: see summarize.ts);
 * with a watch store, `backfill_monitor` too (backfill.ts).
 */
export function registerChatTools(server: McpServer, scope: McpScope, pipeline: Pipeline): void {
  const serverWatch = scope.services.watch;
  const watch = serverWatch?.store;
  const context = chatToolContext({
    runtime: pipeline.runtime,
    config: scope.config,
    logger: scope.logger,
    ...(watch ? { watch } : {}),
    ...(scope.now ? { now: scope.now } : {}),
  });
  for (const chatTool of createChatTools(context) as StructuredToolInterface[]) {
    if (chatTool.name === "summarize_sessions") {
      registerSummarizeTool(server, scope, pipeline, chatTool);
      continue;
    }
    // The chat tools' schemas are zod (v4) objects; the tool interface types them loosely.
    server.registerTool(chatTool.name, { description: chatTool.description, inputSchema: chatTool.schema as ZodType<Record<string, unknown>> }, async (args, extra) => {
      allowManyAbortListeners(extra.signal);
      const answer: unknown = await chatTool.invoke(args, { signal: extra.signal });
      return textResult(typeof answer === "string" ? answer : JSON.stringify(answer));
    });
  }
  if (serverWatch) registerBackfillTool(server, context, serverWatch);
}
