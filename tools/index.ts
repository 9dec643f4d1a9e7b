import type { ChatToolContext } from "./context.ts";
import { makeFindSessionsTool } from "./find-sessions.ts";
import { makeGetPatternTool } from "./get-pattern.ts";
import { makeGetSessionSummaryTool } from "./get-session-summary.ts";
import { makeListPatternsTool } from "./list-patterns.ts";
import { makeSearchSummariesTool } from "./search-summaries.ts";
import { makeSummarizeSessionsTool } from "./summarize-sessions.ts";
import { makeQuestionStatsTool } from "./question-stats.ts";
import { makeCreateTicketTool, makeFindIssueTool, makeListIssuesTool, makeUpdateIssueTool } from "./watch-issues.ts";

export type { ChatToolContext } from "./context.ts";

/** The chat agent's tools, all scoped to the context's project; the watch tools only when the context has a watch store. */
export function createChatTools(context: ChatToolContext) {
  const watch = context.watch;
  return [
    makeFindSessionsTool(context),
    makeSummarizeSessionsTool(context),
    makeListPatternsTool(context),
    makeGetPatternTool(context),
    makeGetSessionSummaryTool(context),
    makeSearchSummariesTool(context),
    ...(watch
      ? [makeListIssuesTool(context, watch), makeFindIssueTool(context, watch), makeUpdateIssueTool(context, watch), makeQuestionStatsTool(context, watch), makeCreateTicketTool(context, watch)]
      : []),
  ];
}

export type ChatTool = ReturnType<typeof createChatTools>[number];
export const CHAT_TOOL_NAMES = ["find_sessions", "summarize_sessions", "list_patterns", "get_pattern", "get_session_summary", "search_summaries"] as const;
/** Tools over monitors and tracked issues, offered when the chat has a watch store. */
export const WATCH_TOOL_NAMES = ["list_issues", "find_issue", "update_issue", "question_stats", "create_ticket"] as const;
export type ChatToolName = (typeof CHAT_TOOL_NAMES)[number] | (typeof WATCH_TOOL_NAMES)[number];
