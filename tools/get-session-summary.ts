import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { issueKindsOf, type SessionSummary } from "../src/domain/summary.ts";
import { fenceUntrusted } from "../src/encode/fence.ts";
import { currentChatState, failureText, oneLine, readSummary, type ChatToolContext } from "./context.ts";
import { readReport } from "../src/store/reports.ts";

export const GetSessionSummaryInput = z.object({
  session_id: z.string().min(1).max(200).describe("The session's id, as listed in a report or by find_sessions"),
  report_id: z.string().optional().describe("The report whose summary to read (its focus area); default the conversation's latest report"),
});

/** The stored summary of one session: its segments, key actions and outcome. */
export function makeGetSessionSummaryTool(context: ChatToolContext) {
  return tool(
    async (input): Promise<string> => {
      try {
        const reportId = input.report_id ?? currentChatState().report?.report_id;
        const report = reportId ? await readReport(context.runtime.blobs, context.project, reportId) : undefined;
        if (input.report_id && !report) return `There is no finished report ${JSON.stringify(input.report_id)} in this project.`;
        const summary = await readSummary(context.runtime, input.session_id, report?.focus_area, report?.learned_site);
        if (!summary) {
          return `No summary of session ${JSON.stringify(input.session_id)} is stored${report ? ` for report ${report.id}` : ""}: it was not summarized yet (summarize_sessions with its id), or it is not in this project.`;
        }
        return describeSummary(summary);
      } catch (error) {
        return `Could not read the summary: ${failureText(context, "get_session_summary", error)}`;
      }
    },
    {
      name: "get_session_summary",
      description: "What happened in one summarized session: its segments, key actions with their issues, and the outcome.",
      schema: GetSessionSummaryInput,
    },
  );
}

export function describeSummary(summary: SessionSummary): string {
  const head = `Session ${summary.session_id}: started ${summary.start}, ${Math.round(summary.duration_s)} s, ${summary.segments.length} segment${summary.segments.length === 1 ? "" : "s"}, outcome ${summary.session_outcome.success ? "success" : "failure"}, by ${summary.analyst.label}.`;
  const lines = [`outcome: ${oneLine(summary.session_outcome.summary, 400)}`];
  for (const segment of summary.segments) {
    lines.push(`segment ${segment.index + 1} "${oneLine(segment.name, 80)}" (${segment.outcome.success ? "succeeded" : "failed"}): ${oneLine(segment.outcome.summary, 240)}`);
    for (const action of segment.key_actions) {
      const issues = issueKindsOf(action);
      lines.push(`  - ${action.timestamp}${issues.length ? ` [${issues.join(", ")}]` : ""}: ${oneLine(action.description, 200)}`);
    }
  }
  return `${head}\n${fenceUntrusted("summary", lines.join("\n"))}`;
}
