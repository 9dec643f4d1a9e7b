import { randomBytes } from "node:crypto";
import { Router } from "express";
import { escapeHtml } from "../../report/index.ts";
import { redactDeep, redactReport } from "../../report/redact.ts";
import { preliminaryHeading, preliminaryIssueLines, type PreliminaryIssueList } from "../../report/preliminary.ts";
import { contentSecurityPolicy, loadReportPageData, renderReportPage, ReportPageCache } from "../../report/page/index.ts";
import { projectOf } from "../auth.ts";
import { notFound } from "../errors.ts";
import type { ServerServices } from "../services.ts";
import { reportState } from "./reports.ts";

/**
 * `GET /reports/:id`: the report page once done; a small self-refreshing status page while it runs.
 * The key may come in `?key=` here (a link a person opens), so the page is never cached and never
 * sends a Referer that would carry the key elsewhere.
 */
export function pageRoutes(services: ServerServices): Router {
  const router = Router();
  // Reading a page's recordings and clips is the slow, heavy part: kept for the few pages opened last.
  const cache = new ReportPageCache();
  router.get("/:id", async (req, res) => {
    const project = projectOf(res);
    const reportId = String(req.params.id);
    const found = await reportState(services, project, reportId);
    if (!found) throw notFound(`report ${JSON.stringify(reportId)}`);
    res.set({ "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" });
    if (found.report) {
      const runtime = (await services.pipeline(project)).runtime;
      // A report written before redaction existed (or stored by an older version) is redacted on the way out too.
      const report = redactReport(found.report, runtime.settings.redactPii ?? true);
      const data = await cache.get(project, report, async () => loadReportPageData(report, runtime));
      const nonce = randomBytes(18).toString("base64");
      // The page carries its policy in a meta tag (the written file needs it); the header adds what a meta tag cannot: no framing by other sites.
      res.set("Content-Security-Policy", `${contentSecurityPolicy(nonce, true)}; frame-ancestors 'none'`);
      // The chat panel calls this server's thread API with the key the page was opened with.
      res.type("html").send(renderReportPage(data, { served: { reportId, apiBase: "/api", chat: true }, nonce }));
      return;
    }
    const preliminary = "preliminary_issues" in found.status ? found.status.preliminary_issues : undefined;
    const redact = (await services.pipeline(project)).runtime.settings.redactPii ?? true;
    res
      .status(found.status.status === "running" ? 202 : 200)
      .type("html")
      .send(statusPage(reportId, found.status, preliminary && redact ? redactDeep(preliminary) : preliminary));
  });
  return router;
}

function statusPage(reportId: string, status: { status: string; progress?: { message?: string }; error?: unknown }, preliminary?: PreliminaryIssueList): string {
  const running = status.status === "running";
  const detail = running ? (status.progress?.message ?? "Starting") : `The run failed: ${typeof status.error === "string" ? status.error : JSON.stringify(status.error ?? "unknown error")}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${running ? '<meta http-equiv="refresh" content="3">' : ""}
<title>Report ${escapeHtml(reportId)}</title></head>
<body><h1>Report ${escapeHtml(reportId)}</h1><p>${escapeHtml(detail)}</p>${preliminary ? preliminaryBlock(preliminary) : ""}${running ? "<p>This page refreshes every 3 seconds.</p>" : ""}</body></html>
`;
}

/** The issues triage saw while the run goes on, said to be preliminary: the report replaces them. */
function preliminaryBlock(list: PreliminaryIssueList): string {
  const items = preliminaryIssueLines(list, list.issues.length).map((line) => `<li>${escapeHtml(line)}</li>`);
  return `<h2>${escapeHtml(preliminaryHeading(list))}</h2><ul>${items.join("")}</ul>`;
}
