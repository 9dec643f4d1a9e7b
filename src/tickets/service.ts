import { setTimeout as sleep } from "node:timers/promises";
import type { TicketsConfig } from "../config/env.ts";
import { DEFAULTS } from "../config/defaults.ts";
import type { TrackedIssue } from "../domain/monitor.ts";
import type { Report } from "../domain/report.ts";
import { bestExamples } from "../watch/issues.ts";
import type { TicketLink, TicketTracker, WatchStore } from "../watch/store/types.ts";
import { detailsFromPattern, formatRegressionComment, formatTicket, type ExampleDetails } from "./format.ts";
import { githubClient, linearClient, TicketError, webhookClient, type TicketFetch, type TrackerClient } from "./trackers.ts";

/**
 * Issues → tickets: one ticket per issue, kept on the issue in the watch store. The store's claim
 * (the issue's row is the primary key) lets one request create it however many race; the others
 * wait for its link. A regression is told once per occasion (the sweep that saw it back).
 */

export interface TicketOptions {
  store: WatchStore;
  /** `config.tickets`: which trackers are set up. */
  config: TicketsConfig | undefined;
  /** The report an example came from (its replay check and key events); without it a ticket shows what the issue keeps. */
  reportOf?: (project: string, reportId: string) => Promise<Report | undefined>;
  fetch?: TicketFetch;
  now?: () => Date;
  timeoutMs?: number;
  claimStaleMs?: number;
  waitForOtherMs?: number;
  /** How often a waiting request looks whether the other one finished. */
  pollMs?: number;
}

export interface TicketOutcome {
  link: TicketLink;
  /** False when the issue had its ticket already (this request made none). */
  created: boolean;
}

const TRACKER_ORDER: readonly TicketTracker[] = ["github", "linear", "webhook"];

/** The trackers that are set up, in the order a ticket without `--to` picks from. */
export function configuredTrackers(config: TicketsConfig | undefined): TicketTracker[] {
  return TRACKER_ORDER.filter((tracker) => config?.[tracker] !== undefined);
}

export function trackerClient(config: TicketsConfig | undefined, tracker: TicketTracker, options: Pick<TicketOptions, "fetch" | "now" | "timeoutMs"> = {}): TrackerClient {
  const client = { timeoutMs: options.timeoutMs ?? DEFAULTS.tickets.requestTimeoutMs, ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.now ? { now: options.now } : {}) };
  if (tracker === "github" && config?.github) return githubClient(config.github, client);
  if (tracker === "linear" && config?.linear) return linearClient(config.linear, client);
  if (tracker === "webhook" && config?.webhook) return webhookClient(config.webhook, client);
  throw new TicketError("tracker_not_configured", `${tracker} is not set up: ${SETUP_HINT[tracker]}`);
}

const SETUP_HINT: Record<TicketTracker, string> = {
  github: "set SESSION_SUMMARIES_GITHUB_TOKEN and SESSION_SUMMARIES_GITHUB_REPO (owner/repo)",
  linear: "set SESSION_SUMMARIES_LINEAR_API_KEY and SESSION_SUMMARIES_LINEAR_TEAM (the team's id)",
  webhook: "set SESSION_SUMMARIES_TICKET_WEBHOOK_URL (and SESSION_SUMMARIES_TICKET_WEBHOOK_SECRET to sign)",
};

function chooseTracker(config: TicketsConfig | undefined, to: TicketTracker | undefined): TicketTracker {
  if (to !== undefined) {
    if (!config?.[to]) throw new TicketError("tracker_not_configured", `${to} is not set up: ${SETUP_HINT[to]}`);
    return to;
  }
  const [first] = configuredTrackers(config);
  if (!first) throw new TicketError("no_tracker", `no tracker is set up: ${TRACKER_ORDER.map((tracker) => SETUP_HINT[tracker]).join("; or ")}`);
  return first;
}

/** Links of the served pages, when the public address is known. */
export function issuePageUrl(config: TicketsConfig | undefined, issue: Pick<TrackedIssue, "monitor_id">): string | undefined {
  return config?.publicUrl ? `${config.publicUrl.replace(/\/+$/, "")}/issues?monitor_id=${encodeURIComponent(issue.monitor_id)}` : undefined;
}

function exampleUrl(config: TicketsConfig | undefined, example: { report_id: string; pattern_id: number; example_index: number }): string | undefined {
  // The report page's anchor of the example (`exampleKey`): its replay check and clip are shown there.
  return config?.publicUrl ? `${config.publicUrl.replace(/\/+$/, "")}/reports/${encodeURIComponent(example.report_id)}#example-${example.pattern_id}-${example.example_index}` : undefined;
}

/** The ticket's content: the issue, its share of the sessions watched, its best examples with their evidence. */
export async function ticketContent(options: TicketOptions, issue: TrackedIssue) {
  const { store } = options;
  const monitor = await store.getMonitor(issue.project, issue.monitor_id);
  const sweeps = await store.listSweeps(issue.project, issue.monitor_id);
  const sessionsWatched = sweeps.filter((sweep) => sweep.started_at >= issue.first_seen.slice(0, 10)).reduce((sum, sweep) => sum + sweep.sessions, 0);
  const reports = new Map<string, Promise<Report | undefined>>();
  const examples: ExampleDetails[] = [];
  for (const example of bestExamples(issue.examples, DEFAULTS.tickets.maxExamples)) {
    let report: Report | undefined;
    if (options.reportOf) {
      if (!reports.has(example.report_id))
        reports.set(
          example.report_id,
          options.reportOf(issue.project, example.report_id).catch(() => undefined),
        );
      report = await reports.get(example.report_id);
    }
    const found = report?.patterns.find((pattern) => pattern.id === example.pattern_id)?.examples[example.example_index];
    const matches = found && found.session_id === example.session_id ? found : undefined;
    examples.push(detailsFromPattern(example, matches, exampleUrl(options.config, example)));
  }
  const issueUrl = issuePageUrl(options.config, issue);
  return { issue, ...(monitor ? { monitorName: monitor.name } : {}), ...(sessionsWatched > 0 ? { sessionsWatched } : {}), ...(issueUrl ? { issueUrl } : {}), examples };
}

/**
 * The issue's ticket: the one it has, else a new one in `to` (default: the first tracker set up).
 * Two requests at once make one ticket: the second waits for the first's link.
 */
export async function ticketForIssue(options: TicketOptions, issue: TrackedIssue, to?: TicketTracker): Promise<TicketOutcome> {
  const { store } = options;
  const now = () => options.now?.() ?? new Date();
  const existing = await store.getTicket(issue.project, issue.id);
  if (existing?.status === "created") return { link: existing, created: false };
  const tracker = chooseTracker(options.config, to);
  const client = trackerClient(options.config, tracker, options);
  const waitUntil = now().getTime() + (options.waitForOtherMs ?? DEFAULTS.tickets.waitForOtherMs);
  for (;;) {
    const at = now();
    const claim = await store.claimTicket(issue.project, issue.id, tracker, at.toISOString(), new Date(at.getTime() - (options.claimStaleMs ?? DEFAULTS.tickets.claimStaleMs)).toISOString());
    if (claim.claimed) {
      try {
        const ticket = formatTicket(await ticketContent(options, issue));
        const created = await client.create(ticket, { project: issue.project, issueId: issue.id });
        return { link: await store.completeTicket(issue.project, issue.id, created, now().toISOString()), created: true };
      } catch (error) {
        await store.releaseTicket(issue.project, issue.id).catch(() => undefined);
        throw error;
      }
    }
    if (claim.link.status === "created") return { link: claim.link, created: false };
    if (now().getTime() >= waitUntil) {
      throw new TicketError("ticket_in_progress", `issue ${issue.id}'s ticket is being created by another request (since ${claim.link.claimed_at}): try again shortly`);
    }
    await sleep(options.pollMs ?? 100);
  }
}

/**
 * Tells the trackers about the project's regressions the sweeps marked (`markTicketRegression`):
 * each once; one that fails stays pending for the next sweep. Returns what was told and what failed.
 */
export async function tellRegressions(options: TicketOptions, project: string): Promise<{ told: TicketLink[]; failed: Array<{ link: TicketLink; error: unknown }> }> {
  const { store } = options;
  const told: TicketLink[] = [];
  const failed: Array<{ link: TicketLink; error: unknown }> = [];
  // Without trackers the regressions stay pending, for when one is set up.
  if (configuredTrackers(options.config).length === 0) return { told, failed };
  for (const link of await store.pendingTicketRegressions(project)) {
    const occasion = link.regression_pending!;
    const issue = await store.getIssue(project, link.issue_id);
    if (!issue) continue;
    const at = (options.now?.() ?? new Date()).toISOString();
    if (!(await store.takeTicketRegression(link.issue_id, occasion, at))) continue;
    try {
      await trackerClient(options.config, link.tracker, options).regressed(link, formatRegressionComment(issue, issuePageUrl(options.config, issue)), { project });
      told.push(link);
    } catch (error) {
      await store.takeTicketRegression(link.issue_id, occasion, at, true).catch(() => undefined);
      failed.push({ link, error });
    }
  }
  return { told, failed };
}
