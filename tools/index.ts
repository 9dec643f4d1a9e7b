import type { ChatToolContext } from "./context.ts";
import { makeFindSessionsTool } from "./find-sessions.ts";
import { makeGetPatternTool } from "./get-pattern.ts";
import { makeGetSessionSummaryTool } from "./get-session-summary.ts";
import { makeListPatternsTool } from "./list-patterns.ts";
import { makeSearchSummariesTool } from "./search-summaries.ts";
import { makeSummarizeSessionsTool } from "./summarize-sessions.ts";

export type { ChatToolContext } from "./context.ts";

/** The chat agent's tools, all scoped to the context's project. */
export function createChatTools(context: ChatToolContext) {
  return [
    makeFindSessionsTool(context),
    makeSummarizeSessionsTool(context),
    makeListPatternsTool(context),
    makeGetPatternTool(context),
    makeGetSessionSummaryTool(context),
    makeSearchSummariesTool(context),
  ];
}

export type ChatTool = ReturnType<typeof createChatTools>[number];
export const CHAT_TOOL_NAMES = ["find_sessions", "summarize_sessions", "list_patterns", "get_pattern", "get_session_summary", "search_summaries"] as const;
export type ChatToolName = (typeof CHAT_TOOL_NAMES)[number];
