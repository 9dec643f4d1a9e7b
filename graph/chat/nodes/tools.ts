import { ToolNode } from "@langchain/langgraph/prebuilt";
import type { StructuredToolInterface } from "@langchain/core/tools";

/**
 * Runs the tool calls of the agent's last message. A tool's own problems come back as status text;
 * input that does not match a tool's schema becomes an error message to the model, not a crash.
 */
export function makeToolsNode(tools: StructuredToolInterface[]) {
  return new ToolNode(tools, { handleToolErrors: true });
}
