import { randomUUID } from "node:crypto";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { isCommand } from "@langchain/langgraph";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Pipeline } from "../../graph/pipeline.ts";
import { describeReport, SummarizeSessionsInput } from "../../tools/summarize-sessions.ts";
import { SessionSummariesError } from "../domain/errors.ts";
import type { ReportRequest } from "../domain/report-request.ts";
import { digestReport } from "../report/digest.ts";
import { describeEstimate, estimateRun } from "../runtime/cost.ts";
import type { ReportRunStatus } from "../service/report-runs.ts";
import { findSessions } from "../sources/select.ts";
import type { Estimate } from "../watch/budget.ts";
import { McpReportIndex } from "./report-index.ts";
import { reportResourceUris } from "./resources.ts";
import type { McpScope } from "./scope.ts";
import { allowManyAbortListeners, textResult } from "./results.ts";

/** The MCP form of `summarize_sessions`: the chat tool's input, plus the budget confirmation. */
export const McpSummarizeInput = SummarizeSessionsInput.extend({
  confirm: z
    .boolean()
    .optional()
    .describe("Set to true to run a report that spends model budget, after reading its estimate (a call without it only answers the estimate). Not needed with the offline analyst (costs nothing)."),
});

/** Whether a run with this estimate spends model budget (and so needs `confirm: true`). */
export function spendsBudget(estimate: Estimate): boolean {
  return !estimate.offline && estimate.model_calls > 0;
}

/**
 * A run's status as an MCP progress notification. MCP wants `progress` to grow with every
 * notification, and a run's counters restart at each stage, so `progress` counts the updates and
 * the message says where the run is ("Watching sessions 3/5", "Report ready: 2 patterns").
 */
function progressNotice(status: ReportRunStatus, step: number): { progress: number; message: string } {
  return { progress: step, message: status.progress.message };
}

/**
 * `summarize_sessions` over MCP. The chat tool checks and resolves the selection (the same answers
 * for a wrong filter or no match); then, instead of the chat graph's report node, the report runs on
 * the project's report runs (the reports API's: same limits, same thread scheme), and its progress
 * goes to the client as `notifications/progress` when the call carries a progress token.
 *
 * Budget: with a model configured the first call answers the run's estimate and runs nothing; the
 * client calls again with `confirm: true`. With the offline analyst the run costs nothing, so it runs
 * at once (the answer says it was free).
 */
export function registerSummarizeTool(server: McpServer, scope: McpScope, pipeline: Pipeline, chatTool: StructuredToolInterface): void {
  const index = new McpReportIndex(pipeline.runtime.blobs, scope.project);
  server.registerTool(
    chatTool.name,
    {
      description: `${chatTool.description} Reports that spend model budget first answer their estimate: call again with confirm: true to run them. The report is then readable as report://<id>.json and report://<id>.md.`,
      inputSchema: McpSummarizeInput,
    },
    async (args, extra): Promise<CallToolResult> => {
      allowManyAbortListeners(extra.signal);
      const { confirm, ...input } = args;
      const request = await requestOf(chatTool, input, extra.signal);
      if (typeof request === "string") return textResult(request);

      let sessions: number;
      try {
        sessions = (await findSessions(pipeline.runtime.source, request.selection, extra.signal)).length;
      } catch (error) {
        if (error instanceof SessionSummariesError) return textResult(`Could not list the sessions to estimate the report (${error.code}): ${error.message}`, true);
        scope.logger.error({ err: error, project: scope.project, tool: "summarize_sessions" }, "mcp: listing sessions for an estimate failed");
        return textResult("Could not list the sessions to estimate the report: an unexpected error (the details are in the log).", true);
      }
      const estimate = estimateRun(pipeline.runtime, sessions);
      const cost = describeEstimate(estimate, pipeline.runtime.analyst.label.label);
      if (spendsBudget(estimate) && confirm !== true) {
        return textResult(`Not run: this report spends model budget. Estimate: ${cost}.\nTo run it, call summarize_sessions again with the same arguments and "confirm": true.`);
      }

      let status: ReportRunStatus;
      try {
        status = scope.services.runs.start(scope.project, { title: request.title, selection: request.selection, ...(request.focus_area ? { focus_area: request.focus_area } : {}) });
      } catch (error) {
        if (error instanceof SessionSummariesError) return textResult(`The report could not be started (${error.code}): ${error.message}`, true);
        throw error;
      }
      const reportId = status.report_id;
      const progressToken = extra._meta?.progressToken;
      let step = 0;
      let last: ReportRunStatus = status;
      let lastMessage: string | undefined;
      // The run goes on if the client goes away (like a run of the reports API): its report is kept.
      for await (const update of scope.services.runs.follow(scope.project, reportId, extra.signal)) {
        last = update;
        // The run's end reads like its last stage ("Report ready"): said once.
        if (progressToken === undefined || update.progress.message === lastMessage) continue;
        lastMessage = update.progress.message;
        step += 1;
        await extra.sendNotification({ method: "notifications/progress", params: { progressToken, ...progressNotice(update, step) } });
      }
      if (extra.signal.aborted) return textResult(`Report ${reportId} goes on without this call; read it later as report://${reportId}.json.`);
      if (last.status !== "done") {
        return textResult(`The report could not be made${last.error ? ` (${last.error.code}): ${last.error.message}` : ""}.`, true);
      }
      const report = await scope.services.runs.getReport(scope.project, reportId);
      if (!report) return textResult(`Report ${reportId} finished but could not be read.`, true);
      await index.add({ report_id: reportId, title: report.title, created_at: new Date().toISOString() });
      const uris = reportResourceUris(reportId);
      const spent = spendsBudget(estimate) ? `Estimated before the run: ${cost}.` : `Cost: ${cost} (the offline analyst spends no model budget, so no confirmation was needed).`;
      return {
        content: [
          { type: "text", text: `${describeReport(digestReport(report))}\n${spent}\nRead it: ${uris.json} (JSON), ${uris.markdown} (Markdown).` },
          { type: "resource_link", uri: uris.json, name: `${reportId}.json`, mimeType: "application/json", description: report.title },
          { type: "resource_link", uri: uris.markdown, name: `${reportId}.md`, mimeType: "text/markdown", description: report.title },
        ],
      };
    },
  );
}

/** The chat tool's own checks and resolution of the selection: its report request, or its status text. */
async function requestOf(chatTool: StructuredToolInterface, input: Record<string, unknown>, signal: AbortSignal): Promise<ReportRequest | string> {
  const answer: unknown = await chatTool.invoke({ type: "tool_call", id: `mcp-${randomUUID()}`, name: chatTool.name, args: input }, { signal });
  if (isCommand(answer)) {
    const update = answer.update as { report_request?: ReportRequest } | undefined;
    if (update?.report_request) return update.report_request;
  }
  if (typeof answer === "string") return answer;
  const content = (answer as { content?: unknown } | null)?.content;
  return typeof content === "string" ? content : "summarize_sessions gave no report request.";
}
