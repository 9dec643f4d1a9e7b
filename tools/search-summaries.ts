import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { keyActionsOf, type SessionSummary } from "../src/domain/summary.ts";
import { fenceUntrusted } from "../src/encode/fence.ts";
import { currentChatState, failureText, oneLine, readSummary, type ChatToolContext } from "./context.ts";
import { readReport } from "../src/store/reports.ts";

export const SearchSummariesInput = z.object({
  query: z.string().trim().min(2).max(200).describe("Words to look for in the sessions' summaries, e.g. 'coupon' or 'payment failed'"),
  report_id: z.string().optional().describe("Search only this report's sessions; default every report of this conversation"),
  limit: z.number().int().min(1).max(50).optional().describe("At most this many matching sessions (default 10)"),
});

export interface SummaryMatch {
  session_id: string;
  /** The matching lines: outcomes, segment names, key actions. */
  lines: string[];
}

/** Lines of a summary that contain every word of the query (case-insensitive). */
export function matchSummary(summary: SessionSummary, query: string): SummaryMatch | undefined {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const candidates = [
    `outcome: ${summary.session_outcome.summary}`,
    ...summary.segments.map((s) => `segment "${s.name}": ${s.outcome.summary}`),
    ...keyActionsOf(summary).map(({ action }) => `${action.timestamp}: ${action.description}${action.current_url ? ` (${action.current_url})` : ""}`),
  ];
  const lines = candidates.filter((line) => {
    const lower = line.toLowerCase();
    return words.every((word) => lower.includes(word));
  });
  return lines.length ? { session_id: summary.session_id, lines } : undefined;
}

/** Text search over the stored summaries of the conversation's reports. */
export function makeSearchSummariesTool(context: ChatToolContext) {
  return tool(
    async (input): Promise<string> => {
      try {
        const reportIds = input.report_id ? [input.report_id] : (currentChatState().report_ids ?? []);
        if (reportIds.length === 0) return "There is no report in this conversation yet: summarize some sessions first (summarize_sessions).";
        const limit = input.limit ?? 10;
        const matches: SummaryMatch[] = [];
        const searched = new Set<string>();
        for (const reportId of reportIds) {
          const report = await readReport(context.runtime.blobs, context.project, reportId);
          if (!report) {
            if (input.report_id) return `There is no finished report ${JSON.stringify(reportId)} in this project.`;
            continue;
          }
          for (const sessionId of report.sessions.summarized) {
            if (searched.has(sessionId) || matches.length >= limit) continue;
            searched.add(sessionId);
            const summary = await readSummary(context.runtime, sessionId, report.focus_area, report.learned_site);
            const match = summary && matchSummary(summary, input.query);
            if (match) matches.push(match);
          }
        }
        if (matches.length === 0) return `No summary of the ${searched.size} sessions searched mentions ${JSON.stringify(input.query)}.`;
        const body = matches
          .map(
            (m) =>
              `session ${m.session_id}:\n${m.lines
                .slice(0, 3)
                .map((line) => `  - ${oneLine(line, 240)}`)
                .join("\n")}`,
          )
          .join("\n");
        return `${matches.length} session${matches.length === 1 ? "" : "s"} of the ${searched.size} searched mention ${JSON.stringify(input.query)}${matches.length >= limit ? ` (first ${limit})` : ""}:\n${fenceUntrusted("matches", body)}`;
      } catch (error) {
        return `Could not search the summaries: ${failureText(context, "search_summaries", error)}`;
      }
    },
    {
      name: "search_summaries",
      description: "Find sessions whose summaries mention some words (e.g. 'coupon'), among the sessions of this conversation's reports. Quick: runs no analysis.",
      schema: SearchSummariesInput,
    },
  );
}
