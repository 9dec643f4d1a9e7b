import { tool } from "@langchain/core/tools";
import { Command } from "@langchain/langgraph";
import { z } from "zod";
import type { ReportDigest } from "../src/domain/report-digest.ts";
import type { ReportRequest } from "../src/domain/report-request.ts";
import { fenceUntrusted } from "../src/encode/fence.ts";
import { SessionSummariesError } from "../src/domain/errors.ts";
import { NoMatchingSessionsError } from "../src/sources/errors.ts";
import type { SessionSelection } from "../src/domain/selection.ts";
import { resolveSelection } from "../src/sources/select.ts";
import { failureText, percent, type ChatToolContext } from "./context.ts";
import { describeSelection, selectionOfInput, SelectionToolFields } from "./criteria.ts";

/** Sessions one chat request may summarize; larger reports go through the reports API or the CLI. */
export const MAX_CHAT_REPORT_SESSIONS = 200;

export const SummarizeSessionsInput = z.looseObject({
  ...SelectionToolFields,
  title: z.string().max(200).optional().describe("Title of the report, e.g. 'Checkout errors this week'"),
  focus_area: z.string().max(500).optional().describe("What the analysis should pay most attention to, e.g. 'the checkout flow'"),
});
export type SummarizeSessionsArgs = z.infer<typeof SummarizeSessionsInput>;

/**
 * Asks for a report over the chosen sessions: checks and resolves the selection (so a wrong filter
 * or an empty match is answered at once), then routes the chat into its `report` node, the report
 * graph run as a subgraph, which answers this call when the report is done.
 */
export function makeSummarizeSessionsTool(context: ChatToolContext) {
  return tool(
    async (input, config): Promise<Command | string> => {
      const selection = await toSelection(context, input, config.signal);
      if (typeof selection === "string") return selection;
      const toolCallId = (config as { toolCall?: { id?: string } }).toolCall?.id;
      if (!toolCallId) return "summarize_sessions runs inside the chat graph (its report node makes the report); it was called without a tool call id.";
      const request: ReportRequest = {
        report_id: context.newReportId(),
        title: input.title?.trim() || selection.title,
        ...(input.focus_area ? { focus_area: input.focus_area } : {}),
        selection: selection.selection,
        tool_call_id: toolCallId,
      };
      return new Command({ update: { report_request: request } });
    },
    {
      name: "summarize_sessions",
      description:
        "Watch and summarize sessions into a report of issue patterns (runs the analysis; takes a while, progress is shown). " +
        "Choose sessions by ids or by filters. Use it for a new question about sessions, not for follow-ups on the current report.",
      schema: SummarizeSessionsInput,
    },
  );
}

async function toSelection(context: ChatToolContext, input: SummarizeSessionsArgs, signal?: AbortSignal): Promise<{ selection: SessionSelection; title: string } | string> {
  const selection = selectionOfInput(input, ["title", "focus_area"]);
  if (typeof selection === "string") return selection;
  if (selection.ids && selection.ids.length > MAX_CHAT_REPORT_SESSIONS) {
    return `Invalid ids: a chat report takes at most ${MAX_CHAT_REPORT_SESSIONS} sessions (got ${selection.ids.length}); larger reports go through the reports API or the CLI.`;
  }
  const title = selection.ids ? describeSelection(selection) : `Sessions ${describeSelection(selection)}`;
  try {
    const resolved = await resolveSelection(context.runtime.source, selection, { maxSessions: MAX_CHAT_REPORT_SESSIONS, ...(signal ? { signal } : {}) });
    return { selection: resolved, title };
  } catch (error) {
    if (error instanceof NoMatchingSessionsError) return `No sessions match (${describeSelection(selection)}): nothing to summarize.`;
    if (signal?.aborted) return "Listing the sessions was cancelled: the turn was interrupted.";
    const code = error instanceof SessionSummariesError ? ` (${error.code})` : "";
    return `Could not list sessions${code}: ${failureText(context, "summarize_sessions", error)}`;
  }
}

/** The report in brief, its patterns numbered and ordered as the report itself shows them. */
export function describeReport(digest: ReportDigest): string {
  const head =
    `Report ${digest.report_id} is ready: ${digest.sessions_summarized} session${digest.sessions_summarized === 1 ? "" : "s"} summarized by ${digest.analyst}` +
    `${digest.sessions_failed ? `, ${digest.sessions_failed} failed` : ""}${digest.sessions_skipped ? `, ${digest.sessions_skipped} skipped (too short or empty)` : ""}.`;
  if (digest.patterns.length === 0) return `${head}\nNo issue was seen in at least two sessions.`;
  const lines = digest.patterns.map((p) => `Pattern ${p.id}: ${p.name} | ${p.severity} | ${p.sessions_affected} sessions (${percent(p.sessions_affected_ratio)}) | ${p.occurrences} occurrences`);
  return `${head}\n${digest.patterns.length} pattern${digest.patterns.length === 1 ? "" : "s"}, numbered and ordered as in the report:\n${fenceUntrusted("patterns", lines.join("\n"))}`;
}
