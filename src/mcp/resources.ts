import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpError, type ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import type { Pipeline } from "../../graph/pipeline.ts";
import type { Report } from "../domain/report.ts";
import { renderMarkdown } from "../report/markdown.ts";
import { redactReport } from "../report/redact.ts";
import { readReport } from "../store/reports.ts";
import { McpReportIndex } from "./report-index.ts";
import type { McpScope } from "./scope.ts";

/** MCP's "resource not found" (the spec's code; the SDK names no constant for it). */
const RESOURCE_NOT_FOUND = -32002;

const FORMATS = {
  json: { mimeType: "application/json", render: (report: Report) => JSON.stringify(report, null, 2) },
  md: { mimeType: "text/markdown", render: (report: Report) => renderMarkdown(report) },
} as const;
type Format = keyof typeof FORMATS;

/** Where a report is read as a resource. */
export function reportResourceUris(reportId: string): { json: string; markdown: string } {
  const id = encodeURIComponent(reportId);
  return { json: `report://${id}.json`, markdown: `report://${id}.md` };
}

/**
 * Reports as resources, `report://<id>.json` and `report://<id>.md`, only of the scope's project (an
 * id of another project reads as not found, like one that does not exist). The list holds the reports
 * made through MCP (see `McpReportIndex`); any report of the project is readable by id. Redacted on
 * the way out, like the API's reports.
 */
export function registerReportResources(server: McpServer, scope: McpScope, pipeline: Pipeline): void {
  const index = new McpReportIndex(pipeline.runtime.blobs, scope.project);
  const redact = pipeline.runtime.settings.redactPii ?? true;
  for (const format of Object.keys(FORMATS) as Format[]) {
    const { mimeType, render } = FORMATS[format];
    const template = new ResourceTemplate(`report://{id}.${format}`, {
      list: async () => ({
        resources: (await index.list()).map((entry) => ({
          uri: `report://${encodeURIComponent(entry.report_id)}.${format}`,
          name: `${entry.report_id}.${format}`,
          title: entry.title,
          mimeType,
          description: `${entry.title} (made ${entry.created_at})`,
        })),
      }),
    });
    server.registerResource(
      `report-${format}`,
      template,
      { title: `Report (${format === "md" ? "Markdown" : "JSON"})`, description: `A finished report of this project as ${format === "md" ? "Markdown" : "JSON"}`, mimeType },
      async (uri, variables): Promise<ReadResourceResult> => {
        const raw = variables.id;
        const id = decodeURIComponent(Array.isArray(raw) ? (raw[0] ?? "") : (raw ?? ""));
        const report = await readReport(pipeline.runtime.blobs, scope.project, id);
        if (!report) throw new McpError(RESOURCE_NOT_FOUND, `no report ${JSON.stringify(id)} in this project`, { uri: uri.href });
        return { contents: [{ uri: uri.href, mimeType, text: render(redactReport(report, redact)) }] };
      },
    );
  }
}
