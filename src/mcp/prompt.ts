import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { formatTriageNewestIssues } from "../../prompts/index.ts";
import type { McpScope } from "./scope.ts";

/** The prompt's defaults: a week back, the five most important issues. */
const TRIAGE_DEFAULT_SINCE = "7 days";
const TRIAGE_DEFAULT_LIMIT = 5;
const TRIAGE_MAX_LIMIT = 50;

/** "Triage the newest issues": the text in prompts/triage-newest-issues.ts, for the client's own model to follow with our tools. */
export function registerTriagePrompt(server: McpServer, scope: McpScope): void {
  server.registerPrompt(
    "triage_newest_issues",
    {
      title: "Triage the newest issues",
      description: "Look at the issues new or regressed since a date, and propose what to do with each (fix, watch, snooze, mute, resolve).",
      // Prompt arguments are strings in MCP.
      argsSchema: {
        since: z.string().max(100).optional().describe(`From when: "7 days", "Monday", an ISO date (default ${TRIAGE_DEFAULT_SINCE})`),
        limit: z
          .string()
          .regex(/^\d{1,2}$/)
          .optional()
          .describe(`How many issues to look at closely (default ${TRIAGE_DEFAULT_LIMIT})`),
      },
    },
    ({ since, limit }) => ({
      messages: [
        {
          role: "user",
          content: {
            type: "text",
            text: formatTriageNewestIssues({
              project: scope.project,
              since: since?.trim() || TRIAGE_DEFAULT_SINCE,
              limit: Math.min(TRIAGE_MAX_LIMIT, Math.max(1, limit ? Number(limit) : TRIAGE_DEFAULT_LIMIT)),
            }),
          },
        },
      ],
    }),
  );
}
