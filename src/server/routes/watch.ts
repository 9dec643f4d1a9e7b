import { Router, type Response } from "express";
import { z } from "zod";
import { readReport } from "../../store/reports.ts";
import { ticketForIssue } from "../../tickets/service.ts";
import { TicketError } from "../../tickets/trackers.ts";
import { TICKET_TRACKERS } from "../../watch/store/types.ts";
import { withMaskedChannels } from "../../watch/alerts/deliver.ts";
import type { AlertRecord, Monitor, TrackedIssue } from "../../domain/monitor.ts";
import { redactDeep } from "../../report/redact.ts";
import { applyIssueActionAndSave } from "../../watch/actions.ts";
import { projectOf } from "../auth.ts";
import { notFound, ServerError } from "../errors.ts";
import {
  BackfillBodySchema,
  CreateMonitorBodySchema,
  DEFAULT_ANSWERS_LIMIT,
  DEFAULT_SWEEPS_LIMIT,
  EmptyBodySchema,
  IssueActionBodySchema,
  MAX_ANSWERS_LIMIT,
  MAX_SWEEPS_LIMIT,
  parseBody,
  parseStrictBody,
  PatchMonitorBodySchema,
  queryLimit,
  queryStates,
  queryText,
  queryTime,
} from "../schemas.ts";
import type { ServerServices } from "../services.ts";
import type { ServerWatch } from "../watch.ts";

/**
 * The watch API: monitors (`/api/monitors`), issues (`/api/issues`) and alerts with their
 * deliveries (`/api/alerts`). Every read and write is scoped to the key's project: an id of
 * another project is a 404, the same answer as an id that does not exist.
 */

export function monitorRoutes(services: ServerServices): Router {
  const router = Router();

  router.get("/", async (_req, res) => {
    const project = projectOf(res);
    res.json({ monitors: (await watchOf(services).store.listMonitors(project)).map(withMaskedChannels) });
  });

  router.post("/", async (req, res) => {
    const definition = parseStrictBody(CreateMonitorBodySchema, req.body);
    const watch = watchOf(services);
    const monitor = await watch.store.createMonitor(projectOf(res), definition, watch.clock.now());
    res
      .status(201)
      .location(monitorUrl(monitor.id))
      .json({ monitor: withMaskedChannels(monitor) });
  });

  router.get("/:id", async (req, res) => {
    const { watch, monitor } = await monitorOf(services, res, String(req.params.id));
    const [lastSweep] = await watch.store.listSweeps(monitor.project, monitor.id, 1);
    res.json({ monitor: withMaskedChannels(monitor), ...(lastSweep ? { last_sweep: lastSweep } : {}), sweeping: watch.isSweeping(monitor.id) });
  });

  router.patch("/:id", async (req, res) => {
    const body = parseMonitorPatch(req.body);
    const { watch, monitor } = await monitorOf(services, res, String(req.params.id));
    await watch.store.updateMonitor(monitor.project, monitor.id, { paused: body.paused });
    // As stored now (a sweep may have moved the watermark meanwhile).
    const updated = await watch.store.getMonitor(monitor.project, monitor.id);
    if (!updated) throw notFound(`monitor ${JSON.stringify(monitor.id)}`);
    res.json({ monitor: withMaskedChannels(updated) });
  });

  router.delete("/:id", async (req, res) => {
    const { watch, monitor } = await monitorOf(services, res, String(req.params.id));
    if (watch.isSweeping(monitor.id)) throw new ServerError("sweep_running", `monitor ${JSON.stringify(monitor.id)} has a sweep under way: delete it once the sweep has finished`, 409);
    if (!(await watch.store.deleteMonitor(monitor.project, monitor.id))) throw notFound(`monitor ${JSON.stringify(monitor.id)}`);
    res.status(204).end();
  });

  router.get("/:id/sweeps", async (req, res) => {
    const limit = queryLimit(req.query, "limit", DEFAULT_SWEEPS_LIMIT, MAX_SWEEPS_LIMIT);
    const { watch, monitor } = await monitorOf(services, res, String(req.params.id));
    res.json({ sweeps: await watch.store.listSweeps(monitor.project, monitor.id, limit) });
  });

  // One sweep now, answered when it ends (its status says whether it found nothing new or reached the budget).
  router.post("/:id/sweeps", async (req, res) => {
    parseBody(EmptyBodySchema, req.body);
    const { watch, monitor } = await monitorOf(services, res, String(req.params.id));
    const sweeper = watch.sweeper();
    const sweep = await watch.exclusive(monitor.id, (signal) => sweeper.runSweep(monitor.project, monitor.id, { signal }));
    res.status(201).json({ sweep });
  });

  router.get("/:id/estimate", async (req, res) => {
    const { watch, monitor } = await monitorOf(services, res, String(req.params.id));
    res.json({ estimate: await watch.sweeper().estimateSweep(monitor.project, monitor.id) });
  });

  // Explicit only: a sweep never backfills. The estimate alone unless `dry_run: false`.
  router.post("/:id/backfill", async (req, res) => {
    const body = parseBody(BackfillBodySchema, req.body);
    const { watch, monitor } = await monitorOf(services, res, String(req.params.id));
    const sweeper = watch.sweeper();
    const result = body.dry_run
      ? await sweeper.backfill(monitor.project, monitor.id, { since: body.since, dryRun: true })
      : await watch.exclusive(monitor.id, (signal) => sweeper.backfill(monitor.project, monitor.id, { since: body.since, dryRun: false, signal }));
    res.status(body.dry_run ? 200 : 201).json({ dry_run: body.dry_run, estimate: result.estimate, ...(result.sweep ? { sweep: result.sweep } : {}) });
  });

  router.get("/:id/answers", async (req, res) => {
    const since = queryTime(req.query, "since");
    const limit = queryLimit(req.query, "limit", DEFAULT_ANSWERS_LIMIT, MAX_ANSWERS_LIMIT);
    const { watch, monitor } = await monitorOf(services, res, String(req.params.id));
    const answers = await watch.store.listAnswers(monitor.project, monitor.id, { limit, ...(since !== undefined ? { since } : {}) });
    res.json(redacted(services, { answers }));
  });

  return router;
}

export function issueRoutes(services: ServerServices): Router {
  const router = Router();

  router.get("/", async (req, res) => {
    const project = projectOf(res);
    const monitorId = queryText(req.query, "monitor_id");
    const states = queryStates(req.query);
    const watch = watchOf(services);
    // A monitor of another project is not found rather than an empty list: a mistyped id is told, not hidden.
    if (monitorId !== undefined) await monitorOf(services, res, monitorId);
    const issues = await watch.store.listIssues(project, { ...(monitorId !== undefined ? { monitor_id: monitorId } : {}), ...(states ? { states } : {}) });
    res.json(redacted(services, { issues }));
  });

  router.get("/:id", async (req, res) => {
    const { watch, issue } = await issueOf(services, res, String(req.params.id));
    const [days, alerts] = await Promise.all([watch.store.issueDays(issue.id), watch.store.listAlerts(issue.project, { issue_id: issue.id })]);
    res.json(redacted(services, { issue, days, alerts: await withAttempts(watch, alerts) }));
  });

  router.post("/:id/actions", async (req, res) => {
    const body = parseBody(IssueActionBodySchema, req.body);
    const { watch, issue } = await issueOf(services, res, String(req.params.id));
    // An invalid `until` (not a time, not in the future) is the action's own 400 (`invalid_until`).
    const saved = await applyIssueActionAndSave(watch.store, issue, { action: body.action, ...(body.until !== undefined ? { until: body.until } : {}) }, watch.clock.now());
    res.json(redacted(services, { issue: saved }));
  });

  // The issue's ticket: the one it has (200), else a new one (201); two requests at once make one.
  router.post("/:id/ticket", async (req, res) => {
    const body = parseBody(TicketBodySchema, req.body ?? {});
    const { watch, issue } = await issueOf(services, res, String(req.params.id));
    try {
      const outcome = await ticketForIssue(
        {
          store: watch.store,
          config: watch.tickets.config,
          now: () => watch.clock.now(),
          reportOf: async (project, reportId) => readReport((await services.pipeline(project)).runtime.blobs, project, reportId),
          ...(watch.tickets.fetch ? { fetch: watch.tickets.fetch } : {}),
        },
        issue,
        body.to,
      );
      res.status(outcome.created ? 201 : 200).json({ ticket: outcome.link, created: outcome.created });
    } catch (error) {
      if (error instanceof TicketError) throw new ServerError(error.code, error.message, TICKET_ERROR_STATUS[error.code] ?? 502);
      throw error;
    }
  });

  return router;
}

/** `POST /api/issues/:id/ticket` `{ to? }`: which tracker; default the first set up (GitHub, Linear, webhook). */
const TicketBodySchema = z.strictObject({ to: z.enum(TICKET_TRACKERS).optional() });

/** A tracker not set up is the request's (or the setup's) fault; a tracker that failed is a bad gateway. */
const TICKET_ERROR_STATUS: Readonly<Record<string, number>> = { no_tracker: 400, tracker_not_configured: 400, ticket_in_progress: 409 };

export function alertRoutes(services: ServerServices): Router {
  const router = Router();

  router.get("/", async (req, res) => {
    const project = projectOf(res);
    const monitorId = queryText(req.query, "monitor_id");
    const issueText = queryText(req.query, "issue_id");
    const watch = watchOf(services);
    if (monitorId !== undefined) await monitorOf(services, res, monitorId);
    const issue = issueText !== undefined ? (await issueOf(services, res, issueText)).issue : undefined;
    const alerts = await watch.store.listAlerts(project, { ...(monitorId !== undefined ? { monitor_id: monitorId } : {}), ...(issue ? { issue_id: issue.id } : {}) });
    res.json(redacted(services, { alerts: await withAttempts(watch, alerts) }));
  });

  return router;
}

export function monitorUrl(monitorId: string): string {
  return `/api/monitors/${encodeURIComponent(monitorId)}`;
}

/** The server's watch side, or a 503 when it was started without a watch store. */
export function watchOf(services: ServerServices): ServerWatch {
  if (!services.watch) throw new ServerError("watch_unavailable", "this server was started without a watch store: monitors, issues and alerts are not available", 503);
  return services.watch;
}

/** The project's monitor, or a 404 (the same for another project's id as for one that does not exist). */
export async function monitorOf(services: ServerServices, res: Response, monitorId: string): Promise<{ watch: ServerWatch; monitor: Monitor }> {
  const watch = watchOf(services);
  const monitor = await watch.store.getMonitor(projectOf(res), monitorId);
  if (!monitor) throw notFound(`monitor ${JSON.stringify(monitorId)}`);
  return { watch, monitor };
}

/** Issue ids are whole numbers; anything else is simply not an issue (404, like an id of another project). */
async function issueOf(services: ServerServices, res: Response, issueId: string): Promise<{ watch: ServerWatch; issue: TrackedIssue }> {
  const watch = watchOf(services);
  const id = /^[1-9]\d{0,15}$/.test(issueId) ? Number(issueId) : undefined;
  const issue = id !== undefined && Number.isSafeInteger(id) ? await watch.store.getIssue(projectOf(res), id) : undefined;
  if (!issue) throw notFound(`issue ${JSON.stringify(issueId)}`);
  return { watch, issue };
}

function parseMonitorPatch(body: unknown): { paused: boolean } {
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const fixed = Object.keys(body).filter((key) => key !== "paused");
    if (fixed.length > 0) {
      throw new ServerError("invalid_field", `invalid request body: ${fixed.join(", ")}: only "paused" can be changed; to watch differently, create a new monitor (and delete this one)`, 400);
    }
  }
  return parseBody(PatchMonitorBodySchema, body);
}

async function withAttempts(watch: ServerWatch, alerts: readonly AlertRecord[]): Promise<Array<AlertRecord & { attempts: Awaited<ReturnType<ServerWatch["store"]["attempts"]>> }>> {
  return Promise.all(alerts.map(async (alert) => ({ ...alert, attempts: await watch.store.attempts(alert.id) })));
}

/** Issues, alerts and answers carry text written from sessions: redacted like reports and chat answers, by the same switch. */
function redacted<T>(services: ServerServices, answer: T): T {
  return services.redactsPii ? redactDeep(answer) : answer;
}
