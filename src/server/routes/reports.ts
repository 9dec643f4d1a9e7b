import { Router } from "express";
import { DEFAULTS } from "../../config/defaults.ts";
import { redactDeep, redactReport } from "../../report/redact.ts";
import type { Logger } from "../../log/logger.ts";
import { findSessions, resolveSelection } from "../../sources/select.ts";
import { describeEstimate, estimateRun } from "../../runtime/cost.ts";
import { projectOf } from "../auth.ts";
import { notFound } from "../errors.ts";
import { parseBody, selectionOf, StartReportBodySchema } from "../schemas.ts";
import type { ServerServices } from "../services.ts";
import { SseWriter } from "../sse.ts";

/** Where a report's status (JSON) and page (HTML) are. The page needs the key: `?key=` or a header. */
export function reportLinks(reportId: string): { status_url: string; report_url: string } {
  const id = encodeURIComponent(reportId);
  return { status_url: `/api/reports/${id}`, report_url: `/reports/${id}` };
}

export interface ReportRoutesOptions {
  /** Quiet time after which a run's event stream gets a heartbeat comment. */
  heartbeatMs?: number;
  /** Where unexpected failures of a run's event stream are logged (the stream says only that it failed). */
  logger?: Logger;
}

/**
 * `POST /api/reports` starts a run in the background → 202 with its id; `GET /api/reports/:id`
 * gives status and progress (and the preliminary issues while it runs), and the report once done;
 * `GET /api/reports/:id/events` streams the same as Server-Sent Events.
 */
export function reportRoutes(services: ServerServices, options: ReportRoutesOptions = {}): Router {
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
    const status = "preliminary_issues" in found.status && found.status.preliminary_issues ? { ...found.status, preliminary_issues: redactIf(found.status.preliminary_issues, redact) } : found.status;
    res.set("Cache-Control", "no-store").json({ ...status, ...reportLinks(reportId), ...(report ? { report } : {}) });
  });

  /**
   * A run as events: `progress` and `preliminary` (the issues triage saw, marked preliminary) when
   * they change, at most twice a second; then `done` (the status and the report, which replaces the
   * preliminary list) or `error`. A finished run gets its `done` at once.
   */
  router.get("/:id/events", async (req, res) => {
    const project = projectOf(res);
    const reportId = String(req.params.id);
    if (!(await services.runs.status(project, reportId))) throw notFound(`report ${JSON.stringify(reportId)}`);
    const redact = (await services.pipeline(project)).runtime.settings.redactPii ?? true;
    const stop = new AbortController();
    const sse = new SseWriter(res, { heartbeatMs: options.heartbeatMs ?? DEFAULTS.server.heartbeatMs, onClose: () => stop.abort() });
    let sentProgress = "";
    let sentPreliminary = "";
    let last: RunStatus | undefined;
    try {
      for await (const status of services.runs.follow(project, reportId, stop.signal)) {
        last = status;
        if (status.status !== "running") break;
        const progress = JSON.stringify(status.progress);
        if (progress !== sentProgress) sse.send("progress", status.progress);
        sentProgress = progress;
        // Triage signals carry page addresses: redacted like the report.
        const preliminary = status.preliminary_issues ? JSON.stringify(status.preliminary_issues) : "";
        if (status.preliminary_issues && preliminary !== sentPreliminary) sse.send("preliminary", redactIf(status.preliminary_issues, redact));
        sentPreliminary = preliminary;
      }
      if (last?.status === "done") {
        const found = await reportState(services, project, reportId);
        const report = found?.report ? redactReport(found.report, redact) : undefined;
        sse.send("done", { ...last, ...reportLinks(reportId), ...(report ? { report } : {}) });
      } else if (last?.status === "failed") {
        sse.send("error", {
          ...(last.error ?? { code: "run_failed", message: "the run failed" }),
          ...(last.preliminary_issues ? { preliminary_issues: redactIf(last.preliminary_issues, redact) } : {}),
        });
      }
    } catch (error) {
      options.logger?.error({ err: error, project, report: reportId }, "error in a report's event stream");
      sse.send("error", { code: "internal_error", message: "the event stream failed: the server logged the details" });
    } finally {
      sse.end();
    }
  });

  return router;
}

function redactIf<T>(value: T, redact: boolean): T {
  return redact ? redactDeep(value) : value;
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
