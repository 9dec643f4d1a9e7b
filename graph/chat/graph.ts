import { END, START, StateGraph } from "@langchain/langgraph";
import { createChatTools } from "../../tools/index.ts";
import { loadModel } from "../../src/llm/models.ts";
import { buildSummarizeGraph } from "../summarize/graph.ts";
import { HeuristicChatModel } from "./heuristic/model.ts";
import { chatToolContext, type ChatDeps } from "./deps.ts";
import { makeAgentNode } from "./nodes/agent.ts";
import { makeReportNode } from "./nodes/make-report.ts";
import { makeToolsNode } from "./nodes/tools.ts";
import { routeAfterAgent, routeAfterTools } from "./route.ts";
import { ChatState } from "./state.ts";
import { DEFAULTS } from "../../src/config/defaults.ts";

/**
 * The conversation: agent → (tool calls) → tools → agent … → end. `summarize_sessions` routes from
 * the tools into `make_report`, the report graph run as a subgraph (its checkpoints live in the chat
 * thread), and its answer goes back to the agent. The chat model is the configured `chat` role, or
 * the offline rules when none is configured.
 */
export function buildChatGraph(deps: ChatDeps) {
  const context = chatToolContext(deps);
  const tools = createChatTools(context);
  const model = loadModel("chat", deps.config, deps.models) ?? new HeuristicChatModel(deps.now ? { now: deps.now } : {});
  // No checkpointer of its own: as a subgraph it checkpoints into the chat's thread.
  const reportGraph = buildSummarizeGraph(deps.runtime).compile();
  return new StateGraph(ChatState)
    .addNode("agent", makeAgentNode(model, tools, deps.runtime.project, deps.now))
    .addNode("tools", makeToolsNode(tools))
    .addNode(
      "make_report",
      makeReportNode({
        context,
        reportGraph,
        sessionConcurrency: deps.reports?.sessionConcurrency ?? deps.runtime.settings.sessionConcurrency ?? DEFAULTS.pipeline.sessionConcurrency,
        ...(deps.reports?.admit ? { admit: deps.reports.admit } : {}),
      }),
    )
    .addEdge(START, "agent")
    .addConditionalEdges("agent", routeAfterAgent, ["tools", END])
    .addConditionalEdges("tools", routeAfterTools, ["make_report", "agent"])
    .addEdge("make_report", "agent");
}
