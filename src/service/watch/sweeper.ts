import { randomBytes } from "node:crypto";
import type { Pipeline } from "../../../graph/pipeline.ts";
import { prepareResume } from "../../../graph/summarize/resume.ts";
import type { SummarizeStateType } from "../../../graph/summarize/state.ts";
import { DEFAULTS } from "../../config/defaults.ts";
import { SessionSummariesError } from "../../domain/errors.ts";
import { ISSUE_STATES, startingSweep, type Monitor, type MonitorQuestion, type QuestionAnswer, type SweepRecord, type SweepStatus, type TrackedIssue } from "../../domain/monitor.ts";
import { isRunEvent } from "../../domain/progress.ts";
import { ReportSchema, type Report } from "../../domain/report.ts";
import type { SessionSelection } from "../../domain/selection.ts";
import type { SessionMeta } from "../../domain/session.ts";
import { addUsage, NO_USAGE, type Usage } from "../../llm/analyst.ts";
import { createLogger, type Logger } from "../../log/logger.ts";
import type { AppConfig } from "../../config/env.ts";
import type { PipelineRuntime } from "../../runtime/runtime.ts";
import { RunProgressTracker } from "../../runtime/progress.ts";
import { describeEstimate, estimateRun, runModelsOf } from "../../runtime/cost.ts";
import { findSessions } from "../../sources/select.ts";
import { keySegment } from "../../store/keys.ts";
import { newReportId } from "../../store/reports.ts";
import { DELIVERY_DEFAULTS, channelLabel, deliverAlert, retryableStatus, type FetchLike } from "../../watch/alerts/deliver.ts";
import { budgetAlert, decideAlerts, toAlertRecord, type DecidedAlert } from "../../watch/alerts/rules.ts";
import { capCheck, costOf, DEFAULT_PRICES, type Estimate, type PriceTable } from "../../watch/budget.ts";
import { HOUR_MS, MINUTE_MS, systemClock, utcDay, type Clock } from "../../watch/clock.ts";
import { trackIssues, withIssueIds } from "../../watch/issues.ts";
import type { TicketsConfig } from "../../config/env.ts";
import { tellRegressions } from "../../tickets/service.ts";
import type { TicketFetch } from "../../tickets/trackers.ts";
import type { WatchStore } from "../../watch/store/types.ts";
import { answerQuestions } from "./question.ts";
import type { SweepEstimate, SweepOptions, Sweeper } from "./types.ts";

/** A sweep asked of a monitor that is not there (or is another project's), or of bad input. */
export class SweepError extends SessionSummariesError {}

/** Answers a monitor's question for the sessions of a sweep's report (src/service/watch/question.ts). */
export type QuestionAnswerer = (
  runtime: PipelineRuntime,
  input: { report: Report; question: MonitorQuestion; focus_area?: string; sessionIds?: readonly string[] },
  options?: { concurrency?: number; signal?: AbortSignal },
) => Promise<{ answers: Array<{ session_id: string; answer?: QuestionAnswer; error?: string }>; usage: Usage; skipped?: string }>;

export interface WatchSweeperOptions {
  store: WatchStore;
  /** The report pipeline of a project (its runtime's project must be that project). */
  pipelineFor(project: string): Promise<Pipeline> | Pipeline;
  clock?: Clock;
  /** Default: each project's runtime prices (the configured table), else `DEFAULT_PRICES`. */
  prices?: PriceTable;
  /** A session is finished after this long without activity; default `DEFAULTS.watch.sessionIdleMinutes`. */
  sessionIdleMinutes?: number;
  /** Webhook secrets by name (`config.watch.alertSecrets`). */
  alertSecrets?: Readonly<Record<string, string>>;
  /** Alert delivery (tests shorten the retries; receivers are reached with the real fetch). */
  fetch?: FetchLike;
  deliveryRetries?: number;
  deliveryMinTimeoutMs?: number;
  /** Sessions summarized at once within a sweep. */
  sessionConcurrency?: number;
  /** The monitor's question per session; default `answerQuestions` (the summarizer's model; the offline analyst says it cannot). */
  answerQuestions?: QuestionAnswerer;
  /** Trackers issues' tickets live in (`config.tickets`): a regression of an issue with a ticket comments on it (re-opens it on GitHub). */
  tickets?: TicketsConfig;
  /** Tracker requests (tests); default the real fetch. */
  ticketFetch?: TicketFetch;
  /** Link to an issue in alerts (the served issues page). */
  issueUrl?: (issue: TrackedIssue) => string | undefined;
  logger?: Logger;
}

/** What a sweep found to take, before it takes it. */
interface Plan {
  /** Finished since the watermark, not taken by an earlier sweep, oldest end first. */
  waiting: SessionMeta[];
  /** The part the day's budget allows. */
  take: SessionMeta[];
  estimate: Estimate;
  /** Why not all waiting sessions are taken. */
  budgetReason?: string;
}

/**
 * Runs monitors' sweeps. A sweep takes the sessions that finished since the monitor's watermark
 * (each once per monitor: the store's claims), as many as the day's budget allows, runs the report
 * graph over them on a checkpoint thread of its own (so a stopped process resumes it, not redoes it),
 * answers the monitor's question per session, then in ONE transaction moves the issues on, records
 * the alerts and marks the sweep done, and finally delivers the alerts not yet delivered.
 */
export class WatchSweeper implements Sweeper {
  private readonly store: WatchStore;
  private readonly clock: Clock;
  private readonly idleMs: number;
  private readonly logger: Logger;

  constructor(private readonly options: WatchSweeperOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.idleMs = (options.sessionIdleMinutes ?? DEFAULTS.watch.sessionIdleMinutes) * MINUTE_MS;
    this.logger = options.logger ?? createLogger();
  }

  async estimateSweep(project: string, monitorId: string): Promise<SweepEstimate> {
    const monitor = await this.monitor(project, monitorId);
    const pipeline = await this.pipeline(project);
    const plan = await this.plan(monitor, pipeline, { since: this.watermark(monitor), lateArrivals: true });
    return this.describeEstimate(plan, pipeline);
  }

  async backfill(project: string, monitorId: string, options: SweepOptions & { since: string; dryRun?: boolean }): Promise<{ estimate: SweepEstimate; sweep?: SweepRecord }> {
    const since = Date.parse(options.since);
    if (Number.isNaN(since)) throw new SweepError("invalid_since", `backfill --since must be an ISO date or time, e.g. 2026-11-01; got ${JSON.stringify(options.since)}`);
    if (since > this.clock.now().getTime()) throw new SweepError("invalid_since", `backfill --since ${options.since} is in the future`);
    const monitor = await this.monitor(project, monitorId);
    const pipeline = await this.pipeline(project);
    const plan = await this.plan(monitor, pipeline, { since: new Date(since) });
    const estimated = this.describeEstimate(plan, pipeline);
    if (options.dryRun) return { estimate: estimated };
    // A backfill must run what its estimate said, not finish another sweep instead.
    const unfinished = await this.store.unfinishedSweep(monitor.id);
    if (unfinished) {
      throw new SweepError(
        "sweep_unfinished",
        `monitor ${monitor.id} has an unfinished sweep (${unfinished.id}, ${unfinished.status}): finish it first (monitors run-once ${monitor.id}), then backfill`,
      );
    }
    const sweep = await this.sweep(monitor, pipeline, { ...options, since: new Date(since), backfill: true });
    return { estimate: estimated, sweep };
  }

  async runSweep(project: string, monitorId: string, options: SweepOptions = {}): Promise<SweepRecord> {
    const monitor = await this.monitor(project, monitorId);
    const pipeline = await this.pipeline(project);
    return this.sweep(monitor, pipeline, { ...options, since: this.watermark(monitor), lateArrivals: true });
  }

  // ---- the sweep

  private async sweep(monitor: Monitor, pipeline: Pipeline, options: SweepOptions & { since: Date; backfill?: boolean; lateArrivals?: boolean }): Promise<SweepRecord> {
    const unfinished = await this.store.unfinishedSweep(monitor.id);
    let sweep: SweepRecord;
    let sessionIds: string[];
    let sessionEnds: string[];
    let budgetReason: string | undefined;
    if (unfinished) {
      sweep = unfinished;
      sessionIds = await this.store.sessionsOfSweep(sweep.id);
      // Their end times move the watermark when this sweep is done, as they would have.
      sessionEnds = sessionIds.length === 0 ? [] : (await findSessions(pipeline.runtime.source, { ids: sessionIds }, options.signal)).map((found) => found.meta.end);
      const why = unfinished.status === "failed" ? `failed (${unfinished.message ?? "see the log"})` : "was stopped";
      this.progress(options, sweep, `Finishing sweep ${sweep.id}, which ${why}: ${sessionIds.length} sessions`);
    } else {
      const plan = await this.plan(monitor, pipeline, options);
      budgetReason = plan.budgetReason;
      const now = this.clock.now();
      sweep = startingSweep({ id: newSweepId(now), monitor_id: monitor.id, project: monitor.project, started_at: now.toISOString(), report_id: newReportId(now) });
      const wanted = plan.take.map((meta) => meta.session_id);
      // The sweep and its claims land together: a sweep never exists without the sessions it took.
      sessionIds = await this.store.transaction(async (tx) => {
        await tx.startSweep(sweep);
        return tx.claimSessions(monitor.id, sweep.id, wanted);
      });
      const claimed = new Set(sessionIds);
      sessionEnds = plan.take.filter((meta) => claimed.has(meta.session_id)).map((meta) => meta.end);
      this.progress(
        options,
        sweep,
        `Sweep ${sweep.id} of ${monitor.name}: ${sessionIds.length} new session${sessionIds.length === 1 ? "" : "s"}${budgetReason ? ` (${plan.waiting.length - plan.take.length} left for later: ${budgetReason})` : ""}`,
      );
    }

    let finished: SweepRecord;
    try {
      let report: Report | undefined;
      let usage: Usage = NO_USAGE;
      let cost = 0;
      const notes: string[] = [];
      if (sessionIds.length > 0) {
        report = await this.runReport(pipeline, monitor, sweep, sessionIds, options);
        usage = report.usage;
        cost = report.cost?.usd ?? costOf(report.usage, runModelsOf(pipeline.runtime), this.pricesOf(pipeline)).cost_usd;
        if (monitor.question) {
          const asked = await this.askQuestion(pipeline.runtime, monitor, sweep, report, sessionIds, options);
          usage = addUsage(usage, asked.usage);
          cost += costOf(asked.usage, { summarizer: pipeline.runtime.analyst.models.summarizer ?? "heuristic" }, this.pricesOf(pipeline)).cost_usd;
          if (asked.note) notes.push(asked.note);
        }
      }
      const status: SweepStatus = budgetReason ? "budget_reached" : sessionIds.length === 0 ? "nothing_new" : "done";
      const message = [
        budgetReason ? `${budgetReason}; took ${sessionIds.length} session${sessionIds.length === 1 ? "" : "s"}, the rest wait for the budget` : undefined,
        cost === 0 && sessionIds.length > 0 && usage.model_calls === 0 ? "offline analyst: no model calls, $0.00" : undefined,
        ...notes,
      ]
        .filter(Boolean)
        .join("; ");
      finished = await this.finish(monitor, sweep, {
        report,
        sessionIds,
        status,
        usage,
        cost,
        ...(message ? { message } : {}),
        ...(budgetReason ? { budgetReason } : {}),
        watermark: latest(sessionEnds),
      });
    } catch (error) {
      // Stopped (Ctrl-C, shutdown): the sweep stays `running` and the next run finishes it.
      if (options.signal?.aborted) throw error;
      const message = error instanceof SessionSummariesError ? error.message : "the sweep failed unexpectedly: the details are in the log";
      this.logger.error({ err: error, monitor: monitor.id, sweep: sweep.id }, "sweep failed");
      // Its sessions stay claimed by it: the next run of the monitor finishes this sweep (`unfinishedSweep`), never claims them again.
      // Unless another process finished it meanwhile: a done sweep is never marked failed.
      if ((await this.store.getSweep(monitor.project, sweep.id))?.status === "running") {
        await this.store.updateSweep(sweep.id, { status: "failed", finished_at: this.clock.now().toISOString(), message });
      }
      throw error;
    }
    // After the commit: a receiver or the attempt log failing must not turn a finished sweep into a failed one.
    try {
      await this.deliverPending(monitor, options.signal);
    } catch (error) {
      this.logger.error({ err: error, monitor: monitor.id, sweep: sweep.id }, "alert delivery failed; the next sweep tries again");
    }
    await this.tellTicketRegressions(monitor);
    this.progress(options, finished, describeSweep(finished));
    return finished;
  }

  /** The sessions a sweep would take now: finished since `since`, not yet taken, within the day's budget. */
  private async plan(monitor: Monitor, pipeline: Pipeline, options: { since: Date; lateArrivals?: boolean; signal?: AbortSignal }): Promise<Plan> {
    const now = this.clock.now();
    const lookback = new Date(options.since.getTime() - DEFAULTS.watch.lookbackHours * HOUR_MS);
    // Regular sweeps also take sessions that ended a little before the watermark but arrived after it
    // (late ingestion); claims keep each once. Never before the monitor existed: it does not backfill.
    const endFrom = options.lateArrivals ? Math.max(lookback.getTime(), Date.parse(monitor.created_at)) : options.since.getTime();
    const { limit, ...filter } = monitor.filter;
    const selection: SessionSelection = { ...filter, from: lookback.toISOString() };
    const found = await findSessions(pipeline.runtime.source, selection, options.signal);
    const finished = found
      .map((f) => f.meta)
      .filter((meta) => {
        const end = Date.parse(meta.end);
        return end >= endFrom && end + this.idleMs <= now.getTime();
      })
      .sort((a, b) => a.end.localeCompare(b.end) || a.session_id.localeCompare(b.session_id));
    const unclaimed = new Set(
      await this.store.unclaimed(
        monitor.id,
        finished.map((meta) => meta.session_id),
      ),
    );
    const waiting = finished.filter((meta) => unclaimed.has(meta.session_id)).slice(0, limit ?? DEFAULTS.watch.maxSessionsPerSweep);
    const estimateOf = (sessions: number): Estimate => estimateRun({ ...pipeline.runtime, prices: this.pricesOf(pipeline) }, sessions, { questionCallsPerSession: monitor.question ? 1 : 0 });
    const spent = await this.store.spentOn(monitor.id, utcDay(now));
    const allowed = (n: number): { allowed: boolean; reason?: string } => {
      const next = estimateOf(n);
      return capCheck({ budget: monitor.budget, spent, next: { cost_usd: next.cost_usd, model_calls: next.model_calls } });
    };
    // Cost grows with the sessions taken: the largest count the cap allows, by bisection.
    let take = waiting.length;
    let budgetReason: string | undefined;
    const full = allowed(take);
    if (!full.allowed) {
      budgetReason = full.reason;
      let low = 0;
      let high = waiting.length;
      while (low < high) {
        const mid = Math.ceil((low + high) / 2);
        if (allowed(mid).allowed) low = mid;
        else high = mid - 1;
      }
      take = low;
    }
    return { waiting, take: waiting.slice(0, take), estimate: estimateOf(take), ...(budgetReason ? { budgetReason } : {}) };
  }

  private describeEstimate(plan: Plan, pipeline: Pipeline): SweepEstimate {
    const note = describeEstimate(plan.estimate, pipeline.runtime.analyst.label.label);
    return { ...plan.estimate, sessions: plan.take.length, over_budget: plan.waiting.length - plan.take.length, note: plan.budgetReason ? `${note}; ${plan.budgetReason}` : note };
  }

  /** Runs (or resumes) the report graph over the sweep's sessions on the sweep's own thread. */
  private async runReport(pipeline: Pipeline, monitor: Monitor, sweep: SweepRecord, sessionIds: readonly string[], options: SweepOptions): Promise<Report> {
    const thread = { configurable: { thread_id: sweepThreadId(monitor.project, sweep.id) } };
    const config = {
      ...thread,
      maxConcurrency: this.options.sessionConcurrency ?? pipeline.runtime.settings.sessionConcurrency ?? DEFAULTS.pipeline.sessionConcurrency,
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const existing = await pipeline.graph.getState(thread);
    const started = (existing.values as Partial<SummarizeStateType>).report_id !== undefined;
    const done = started && existing.next.length === 0 && Boolean((existing.values as Partial<SummarizeStateType>).report_key);
    if (!done) {
      if (started) await prepareResume(pipeline.graph, thread);
      const input = started
        ? null
        : {
            report_id: sweep.report_id ?? newReportId(),
            title: `${monitor.name}: sweep of ${sessionIds.length} session${sessionIds.length === 1 ? "" : "s"}`,
            ...(monitor.focus_area ? { focus_area: monitor.focus_area } : {}),
            selection: { ids: [...sessionIds] },
            // Patterns of one session too: the issues gather sessions across sweeps (`min_issue_sessions`).
            min_pattern_sessions: 1,
          };
      const tracker = new RunProgressTracker();
      const stream = await pipeline.graph.stream(input, { ...config, streamMode: ["custom"], subgraphs: true });
      for await (const [, , event] of stream as AsyncIterable<[string[], string, unknown]>) {
        if (!isRunEvent(event)) continue;
        const update = tracker.handle(event);
        if (options.onProgress) {
          options.onProgress({
            monitor_id: monitor.id,
            sweep_id: sweep.id,
            message: update.message,
            ...(update.sessions_total !== undefined ? { sessions_total: update.sessions_total } : {}),
            sessions_done: update.sessions_done,
          });
        }
      }
      options.signal?.throwIfAborted();
    }
    const state = await pipeline.graph.getState(thread);
    const key = (state.values as Partial<SummarizeStateType>).report_key;
    const stored = key ? await pipeline.runtime.blobs.getJson(key) : undefined;
    if (!stored) throw new SweepError("no_report", `sweep ${sweep.id} ended without a report`);
    return ReportSchema.parse(stored);
  }

  private async askQuestion(
    runtime: PipelineRuntime,
    monitor: Monitor,
    sweep: SweepRecord,
    report: Report,
    sessionIds: readonly string[],
    options: SweepOptions,
  ): Promise<{ usage: Usage; note?: string }> {
    const question = monitor.question!;
    const ask = this.options.answerQuestions ?? answerQuestions;
    const result = await ask(
      runtime,
      { report, question, ...(monitor.focus_area ? { focus_area: monitor.focus_area } : {}), sessionIds },
      { ...(this.options.sessionConcurrency ? { concurrency: this.options.sessionConcurrency } : {}), ...(options.signal ? { signal: options.signal } : {}) },
    );
    if (result.skipped) return { usage: result.usage, note: result.skipped };
    const at = this.clock.now().toISOString();
    let failed = 0;
    for (const item of result.answers) {
      if (!item.answer) {
        failed += 1;
        this.logger.warn({ monitor: monitor.id, sweep: sweep.id, session: item.session_id, error: item.error }, "the monitor's question was not answered for a session");
        continue;
      }
      await this.store.saveAnswer({ project: monitor.project, monitor_id: monitor.id, session_id: item.session_id, sweep_id: sweep.id, answered_at: at, question: question.text, answer: item.answer });
    }
    return { usage: result.usage, ...(failed > 0 ? { note: `the question could not be answered for ${failed} session${failed === 1 ? "" : "s"}` } : {}) };
  }

  /** Issues, days, alerts, the sweep's record and the watermark: all in one transaction. */
  private async finish(
    monitor: Monitor,
    sweep: SweepRecord,
    outcome: { report?: Report; sessionIds: readonly string[]; status: SweepStatus; usage: Usage; cost: number; message?: string; budgetReason?: string; watermark?: string },
  ): Promise<SweepRecord> {
    const now = this.clock.now();
    return this.store.transaction(async (tx) => {
      // First write: another process that finished this sweep meanwhile wins, and nothing is counted twice.
      if (!(await tx.beginFinish(sweep.id, now.toISOString()))) {
        const stored = await tx.getSweep(monitor.project, sweep.id);
        if (!stored) throw new SweepError("sweep_vanished", `sweep ${sweep.id} of monitor ${monitor.id} is no longer in the store`);
        return stored;
      }
      const existing = await tx.listIssues(monitor.project, { monitor_id: monitor.id, states: ISSUE_STATES });
      const tracked = trackIssues({
        monitor,
        existing,
        patterns: outcome.report?.patterns ?? [],
        report_id: outcome.report?.id ?? sweep.report_id ?? "",
        sweepAt: now,
        sessionsInSweep: outcome.report ? outcome.sessionIds : [],
        modelWritten: outcome.report ? outcome.report.analyst.kind !== "heuristic" : false,
      });
      const saved: TrackedIssue[] = [];
      for (const issue of tracked.issues) saved.push(await tx.saveIssue(issue));
      const { days, transitions } = withIssueIds(tracked, saved);
      for (const day of days) await tx.addIssueDay(day);
      // Noted with the issues, told to the tracker after the commit: once per regression, even if this sweep is finished twice.
      for (const transition of transitions) if (transition.to === "regressed") await tx.markTicketRegression(transition.issue.id, sweep.id);

      const issues = await tx.listIssues(monitor.project, { monitor_id: monitor.id });
      const allDays = (await Promise.all(issues.map((issue) => tx.issueDays(issue.id)))).flat();
      const decided: DecidedAlert[] = await decideAlerts({
        monitor,
        sweep_id: sweep.id,
        transitions,
        issues,
        days: allDays,
        now,
        lastAlertAt: (kind, issueId) => tx.lastAlertAt(monitor.id, kind, issueId),
        yesRate: (hours) => tx.yesRate(monitor.id, new Date(now.getTime() - hours * HOUR_MS).toISOString()),
        ...(this.options.issueUrl ? { issueUrl: this.options.issueUrl } : {}),
      });
      if (outcome.budgetReason) decided.push(budgetAlert(monitor, utcDay(now), outcome.budgetReason));
      for (const alert of decided) await tx.recordAlert(toAlertRecord(alert, { project: monitor.project, monitor_id: monitor.id, sweep_id: sweep.id, now }));

      const patch = {
        status: outcome.status,
        finished_at: now.toISOString(),
        sessions: outcome.sessionIds.length,
        ...(outcome.report ? { report_id: outcome.report.id } : {}),
        model_calls: outcome.usage.model_calls,
        input_tokens: outcome.usage.input_tokens,
        output_tokens: outcome.usage.output_tokens,
        cost_usd: Math.round(outcome.cost * 10_000) / 10_000,
        ...(outcome.message ? { message: outcome.message } : {}),
      };
      await tx.updateSweep(sweep.id, patch);
      // Only forward, from the monitor's creation: a backfill of older sessions leaves the watermark where it is.
      const current = (await tx.getMonitor(monitor.project, monitor.id)) ?? monitor;
      if (outcome.watermark && outcome.watermark > (current.watermark ?? current.created_at)) await tx.updateMonitor(monitor.project, monitor.id, { watermark: outcome.watermark });
      return { ...sweep, ...patch };
    });
  }

  /**
   * Delivers the monitor's alerts that a channel has not yet received: this sweep's, and any a
   * stopped process left undelivered. An alert whose retries were all used is not sent again.
   */
  async deliverPending(monitor: Monitor, signal?: AbortSignal): Promise<void> {
    const channels = monitor.alerts.channels;
    if (channels.length === 0) return;
    const retries = this.options.deliveryRetries ?? DELIVERY_DEFAULTS.retries;
    // Alerts of the last day: an older one that no channel took is not news any more.
    const since = new Date(this.clock.now().getTime() - DEFAULTS.watch.redeliverHours * HOUR_MS).toISOString();
    const alerts = await this.store.listAlerts(monitor.project, { monitor_id: monitor.id, since });
    for (const alert of alerts) {
      const attempts = await this.store.attempts(alert.id);
      for (const channel of channels) {
        const label = channelLabel(channel);
        const mine = attempts.filter((attempt) => attempt.channel === label);
        const last = mine.at(-1);
        // Delivered, out of attempts, or refused for good (a 4xx other than 408/429 would be refused again).
        if (mine.some((attempt) => attempt.ok) || mine.length > retries || (last?.status !== undefined && !retryableStatus(last.status))) continue;
        const offset = mine.length;
        const result = await deliverAlert({
          alert,
          channel,
          label,
          resolveSecret: (ref) => this.options.alertSecrets?.[ref],
          record: (attempt) => this.store.recordAttempt({ ...attempt, attempt: attempt.attempt + offset }),
          ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
          clock: this.clock,
          ...(signal ? { signal } : {}),
          options: { retries: Math.max(0, retries - offset), ...(this.options.deliveryMinTimeoutMs !== undefined ? { minTimeoutMs: this.options.deliveryMinTimeoutMs } : {}) },
        });
        if (!result.ok) this.logger.warn({ monitor: monitor.id, alert: alert.id, channel: label, attempts: result.attempts, error: result.error }, "alert not delivered");
      }
    }
  }

  /** Comments on the tickets of issues that regressed (this sweep's, and any an earlier failure left pending). */
  private async tellTicketRegressions(monitor: Monitor): Promise<void> {
    try {
      const { told, failed } = await tellRegressions(
        { store: this.store, config: this.options.tickets, now: () => this.clock.now(), ...(this.options.ticketFetch ? { fetch: this.options.ticketFetch } : {}) },
        monitor.project,
      );
      for (const link of told) this.logger.info({ monitor: monitor.id, issue: link.issue_id, tracker: link.tracker }, "regression told on the issue's ticket");
      // The errors never hold a credential (TicketError); the next sweep tries again.
      for (const { link, error } of failed)
        this.logger.warn({ monitor: monitor.id, issue: link.issue_id, tracker: link.tracker, error: error instanceof Error ? error.message : String(error) }, "regression not told on the ticket");
    } catch (error) {
      this.logger.error({ err: error, monitor: monitor.id }, "ticket regressions could not be told; the next sweep tries again");
    }
  }

  // ---- helpers

  private async monitor(project: string, monitorId: string): Promise<Monitor> {
    const monitor = await this.store.getMonitor(project, monitorId);
    if (!monitor) throw new SweepError("monitor_not_found", `no monitor ${JSON.stringify(monitorId)} in project ${JSON.stringify(project)}`);
    return monitor;
  }

  private async pipeline(project: string): Promise<Pipeline> {
    const pipeline = await this.options.pipelineFor(project);
    if (pipeline.runtime.project !== project) throw new SweepError("wrong_project", `the pipeline for project ${JSON.stringify(project)} belongs to ${JSON.stringify(pipeline.runtime.project)}`);
    return pipeline;
  }

  /** Sessions that ended at or after this are new; a new monitor starts at its creation (it never backfills on its own). */
  private watermark(monitor: Monitor): Date {
    return new Date(monitor.watermark ?? monitor.created_at);
  }

  private pricesOf(pipeline: Pipeline): PriceTable {
    return this.options.prices ?? pipeline.runtime.prices ?? DEFAULT_PRICES;
  }

  private progress(options: SweepOptions, sweep: SweepRecord, message: string): void {
    options.onProgress?.({ monitor_id: sweep.monitor_id, sweep_id: sweep.id, message });
  }
}

/** The report graph's checkpoint thread of a sweep (escaped like report threads). */
export function sweepThreadId(project: string, sweepId: string): string {
  return `sweep:${keySegment(project)}:${keySegment(sweepId)}`;
}

function newSweepId(now: Date): string {
  return `sweep-${now.toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${randomBytes(4).toString("hex")}`;
}

function latest(times: readonly string[]): string | undefined {
  return times.length === 0 ? undefined : times.reduce((a, b) => (a > b ? a : b));
}

/** One line for people: `done: 12 sessions, 3 issues moved, 14 model calls, $0.03`. */
export function describeSweep(sweep: SweepRecord): string {
  const parts = [`${sweep.status}: ${sweep.sessions} session${sweep.sessions === 1 ? "" : "s"}`, `${sweep.model_calls} model calls`, `$${sweep.cost_usd.toFixed(2)}`];
  return `Sweep ${sweep.id} ${parts.join(", ")}${sweep.message ? ` (${sweep.message})` : ""}`;
}

/**
 * The sweeper a server builds on its pipelines (`serve`, `mcp`): the configured idle time, alert
 * secrets and trackers.
 */
export function configuredSweeper(store: WatchStore, config: AppConfig, logger: Logger): (context: Pick<WatchSweeperOptions, "pipelineFor">) => WatchSweeper {
  return ({ pipelineFor }) =>
    new WatchSweeper({
      store,
      pipelineFor,
      sessionIdleMinutes: config.watch.sessionIdleMinutes,
      alertSecrets: config.watch.alertSecrets,
      ...(config.tickets ? { tickets: config.tickets } : {}),
      logger,
    });
}
