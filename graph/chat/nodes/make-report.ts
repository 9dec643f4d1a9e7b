import { ToolMessage } from "@langchain/core/messages";
import { isGraphBubbleUp, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { SessionSummariesError } from "../../../src/domain/errors.ts";
import { readReport } from "../../../src/store/reports.ts";
import { failureText, reportPageLine, type ChatToolContext } from "../../../tools/context.ts";
import { describeReport } from "../../../tools/summarize-sessions.ts";
import type { ReportGraph } from "../../summarize/graph.ts";
import { type ChatStateType, type ChatStateUpdate } from "../state.ts";
import { digestReport } from "../../../src/report/digest.ts";

/** What the `make_report` node needs besides the chat state. */
export interface ReportNodeDeps {
  context: ChatToolContext;
  /** The report graph, compiled without a checkpointer: it checkpoints into the chat thread, as a subgraph. */
  reportGraph: ReportGraph;
  /** Sessions summarized at once within the report. */
  sessionConcurrency: number;
  /**
   * Counts the report against the project's limit of runs under way (the server's); returns the
   * release. Throws a `SessionSummariesError` (e.g. too many runs) to refuse it.
   */
  admit?: (reportId: string) => () => void;
}

/**
 * Runs the report the agent asked for (`summarize_sessions` put it in `report_request`) as a
 * subgraph of the chat: the report graph's nodes run inside this chat run and checkpoint into the
 * chat thread, so a turn stopped mid-report (the process ended) is finished by the next one — same
 * report id, the sessions already done not redone. Answers the tool call with the report in brief.
 */
export function makeReportNode(deps: ReportNodeDeps) {
  const { context } = deps;
  return async function report(state: ChatStateType, config: LangGraphRunnableConfig): Promise<ChatStateUpdate> {
    const request = state.report_request;
    if (!request) return {};
    const answer = (content: string): ToolMessage => new ToolMessage({ content, tool_call_id: request.tool_call_id, name: "summarize_sessions" });
    let release: (() => void) | undefined;
    try {
      release = deps.admit?.(request.report_id);
      const input = { report_id: request.report_id, title: request.title, selection: request.selection, ...(request.focus_area ? { focus_area: request.focus_area } : {}) };
      const end = await deps.reportGraph.invoke(input, { ...config, maxConcurrency: deps.sessionConcurrency });
      const report = end.report_key ? await readReport(context.runtime.blobs, context.project, request.report_id) : undefined;
      if (!report) throw new SessionSummariesError("no_report", `report run ${request.report_id} ended without a report`);
      const digest = digestReport(report);
      const content = `${describeReport(digest)}${await reportPageLine(context, report)}`;
      return { messages: [answer(content)], report: digest, report_ids: [digest.report_id], report_request: null };
    } catch (error) {
      // A stopped turn keeps the request in the checkpoint: the stream decides whether the next turn
      // resumes it (the process ended) or answers it cancelled (the person stopped the turn).
      if (isGraphBubbleUp(error) || config.signal?.aborted) throw error;
      const code = error instanceof SessionSummariesError ? error.code : undefined;
      return { messages: [answer(`The report could not be made${code ? ` (${code})` : ""}: ${failureText(context, "summarize_sessions", error)}`)], report_request: null };
    } finally {
      release?.();
    }
  };
}
