import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { failureText, nowOf, type ChatToolContext } from "../../tools/context.ts";
import { pickMonitor } from "../../tools/watch-common.ts";
import { resolveSince } from "../../tools/watch-dates.ts";
import { describeEstimate } from "../runtime/cost.ts";
import type { ServerWatch } from "../server/watch.ts";
import type { SweepEstimate } from "../service/watch/types.ts";
import { allowManyAbortListeners, textResult } from "./results.ts";
import { spendsBudget } from "./summarize.ts";

export const BackfillMonitorInput = z.object({
  monitor: z.string().min(1).max(200).describe("The monitor: its name or id"),
  since: z.string().min(1).max(100).describe('Sessions that finished since then: an ISO date or time, or words such as "Monday", "7 days"'),
  confirm: z.boolean().optional().describe("Set to true to run a backfill that spends model budget, after reading its estimate (a call without it only answers the estimate)."),
});

function estimateLine(estimate: SweepEstimate): string {
  const over = estimate.over_budget > 0 ? `; ${estimate.over_budget} more session${estimate.over_budget === 1 ? "" : "s"} wait beyond the monitor's daily budget` : "";
  return `${describeEstimate(estimate)}${over}`;
}

/**
 * `backfill_monitor` (MCP only: the chat never backfills): a monitor's sessions since a date, the
 * sweeper's own backfill (the monitors API's `POST …/backfill`). Like `summarize_sessions` it first
 * answers the estimate when it spends model budget, and runs only with `confirm: true`; offline it
 * costs nothing and runs at once. Progress goes to the client as `notifications/progress`.
 */
export function registerBackfillTool(server: McpServer, context: ChatToolContext, watch: ServerWatch): void {
  server.registerTool(
    "backfill_monitor",
    {
      description:
        "Sweep a monitor's sessions that finished since a date (sweeps never look back by themselves), tracking their issues. " +
        "With a model configured it first answers the estimate: call again with confirm: true to run it.",
      inputSchema: BackfillMonitorInput,
    },
    async ({ monitor: wanted, since, confirm }, extra): Promise<CallToolResult> => {
      allowManyAbortListeners(extra.signal);
      try {
        const monitor = pickMonitor(await watch.store.listMonitors(context.project), wanted);
        if (typeof monitor === "string") return textResult(monitor);
        const from = resolveSince(since, nowOf(context));
        const sweeper = watch.sweeper();
        const preview = await sweeper.backfill(context.project, monitor.id, { since: from.at.toISOString(), dryRun: true });
        if (spendsBudget(preview.estimate) && confirm !== true) {
          return textResult(
            `Not run: this backfill spends model budget. Estimate: ${estimateLine(preview.estimate)}.\nTo run it, call backfill_monitor again with the same arguments and "confirm": true.`,
          );
        }
        const progressToken = extra._meta?.progressToken;
        let step = 0;
        const { sweep } = await watch.exclusive(monitor.id, (signal) =>
          sweeper.backfill(context.project, monitor.id, {
            since: from.at.toISOString(),
            dryRun: false,
            signal: AbortSignal.any([signal, extra.signal]),
            onProgress: (progress) => {
              if (progressToken === undefined) return;
              step += 1;
              void extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress: step, message: progress.message } }).catch(() => undefined);
            },
          }),
        );
        if (!sweep) return textResult(`Nothing to backfill since ${from.label}.`);
        return textResult(
          `Backfill of monitor ${JSON.stringify(monitor.name)} since ${from.label}: ${sweep.status}, ${sweep.sessions} session${sweep.sessions === 1 ? "" : "s"}, ` +
            `${sweep.model_calls} model call${sweep.model_calls === 1 ? "" : "s"}, $${sweep.cost_usd.toFixed(2)}${sweep.report_id ? `; report ${sweep.report_id}` : ""}${sweep.message ? ` (${sweep.message})` : ""}.`,
        );
      } catch (error) {
        return textResult(`Could not backfill: ${failureText(context, "backfill_monitor", error)}`, true);
      }
    },
  );
}
