import { Router } from "express";
import { redactReport } from "../../report/redact.ts";
import { findSessions, resolveSelection } from "../../sources/select.ts";
import { describeEstimate, estimateRun } from "../../runtime/cost.ts";
import { projectOf } from "../auth.ts";
import { notFound } from "../errors.ts";
import { parseBody, selectionOf, StartReportBodySchema } from "../schemas.ts";
import type { ServerServices } from "../services.ts";

/** Where a report's status (JSON) and page (HTML) are. The page needs the key: `?key=` or a header. */
export function reportLinks(reportId: string): { status_url: string; report_url: string } {
  const id = encodeURIComponent(reportId);
  return { status_url: `/api/reports/${id}`, report_url: `/reports/${id}` };
}

/**
 * `POST /api/reports` starts a run in the background → 202 with its id; `GET /api/reports/:id`
 * gives status and progress, and the report once done.
 */
export function reportRoutes(services: ServerServices): Router {
  const router = Router();

  router.post("/", async (req, res) => {
    const body = parseBody(StartReportBodySchema, req.body);
    const project = projectOf(res);
    const title = body.title ?? `Session report ${new Date().toISOString().slice(0, 10)}`;
    // The one selection and resolution of every surface (CLI, chat, Studio): the same body picks the same sessions.
    const pipeline = await services.pipeline(project);
    const selection = await resolveSelection(pipeline.runtime.source, selectionOf(body));
    if (body.dry_run) {
      const sessions = selection.ids ? selection.ids.length : (await findSessions(pipeline.runtime.source, selection)).length;
      const estimate = estimateRun(pipeline.runtime, sessions);
      res.json({ dry_run: true, estimate: { ...estimate, note: describeEstimate(estimate, pipeline.runtime.analyst.label.label) } });
      return;
    }
    const status = services.runs.start(project, {
      title,
      ...(body.focus_area !== undefined ? { focus_area: body.focus_area } : {}),
      selection,
    });
    const links = reportLinks(status.report_id);
    res
      .status(202)
      .location(links.status_url)
      .json({ ...status, ...links });
  });

  router.get("/:id", async (req, res) => {
    const project = projectOf(res);
    const reportId = String(req.params.id);
    const found = await reportState(services, project, reportId);
    if (!found) throw notFound(`report ${JSON.stringify(reportId)}`);
    // A stored report is redacted on the way out, like its page: it may have been written before redaction existed.
    const redact = (await services.pipeline(project)).runtime.settings.redactPii ?? true;
    const report = found.report ? redactReport(found.report, redact) : undefined;
    res.set("Cache-Control", "no-store").json({ ...found.status, ...reportLinks(reportId), ...(report ? { report } : {}) });
  });

  return router;
}

type RunStatus = NonNullable<Awaited<ReturnType<ServerServices["runs"]["status"]>>>;
type StoredReport = NonNullable<Awaited<ReturnType<ServerServices["runs"]["getReport"]>>>;

/**
 * A report's status in this project and, once done, the report. A run from before a restart that is
 * no longer tracked is still found through its stored report.
 */
export async function reportState(
  services: ServerServices,
  project: string,
  reportId: string,
): Promise<{ status: RunStatus | { report_id: string; status: "done" }; report?: StoredReport } | undefined> {
  const status = await services.runs.status(project, reportId);
  if (status && status.status !== "done") return { status };
  const report = await services.runs.getReport(project, reportId);
  if (status) return { status, ...(report ? { report } : {}) };
  return report ? { status: { report_id: reportId, status: "done" }, report } : undefined;
}
