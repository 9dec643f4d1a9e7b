import { END, START, StateGraph } from "@langchain/langgraph";
import { createChatTools } from "../../tools/index.ts";
import { loadModel } from "../models.ts";
import { HeuristicChatModel } from "./heuristic/model.ts";
import type { ChatDeps } from "./index.ts";
import { makeAgentNode } from "./nodes/agent.ts";
import { makeToolsNode } from "./nodes/tools.ts";
import { routeAfterAgent } from "./route.ts";
import { ChatState } from "./state.ts";

/**
 * The conversation: agent → (tool calls) → tools → agent … → end. The chat model is the
 * configured `chat` role, or the offline rules when none is configured.
 */
export function buildChatGraph(deps: ChatDeps) {
  const tools = createChatTools({
    project: deps.project,
    pipeline: deps.pipeline,
    runs: deps.runs,
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.reportLocation ? { reportLocation: deps.reportLocation } : {}),
  });
  const model = loadModel("chat", deps.config, deps.models) ?? new HeuristicChatModel();
  return new StateGraph(ChatState)
    .addNode("agent", makeAgentNode(model, tools, deps.project))
    .addNode("tools", makeToolsNode(tools))
    .addEdge(START, "agent")
    .addConditionalEdges("agent", routeAfterAgent, ["tools", END])
    .addEdge("tools", "agent");
}
