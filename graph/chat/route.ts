import { END } from "@langchain/langgraph";
import type { AIMessage } from "@langchain/core/messages";
import type { ChatStateType } from "./state.ts";

/** After the agent: run the tools it asked for, or end the turn with its answer. */
export function routeAfterAgent(state: ChatStateType): "tools" | typeof END {
  const last = state.messages.at(-1);
  return last?.getType() === "ai" && ((last as AIMessage).tool_calls?.length ?? 0) > 0 ? "tools" : END;
}

/** After the tools: into `make_report`, the report subgraph, when `summarize_sessions` asked for a report, else back to the agent. */
export function routeAfterTools(state: ChatStateType): "make_report" | "agent" {
  return state.report_request ? "make_report" : "agent";
}
