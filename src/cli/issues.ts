import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { ISSUE_STATES, type IssueState, type Monitor, type TrackedIssue } from "../domain/monitor.ts";
import { applyIssueActionAndSave, type IssueAction } from "../watch/actions.ts";
import { loadIssuesPageData, renderIssuesPage } from "../watch/page/index.ts";
import { createBlobStore } from "../store/create-blob-store.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { readReport } from "../store/reports.ts";
import { ticketForIssue } from "../tickets/service.ts";
import type { TicketFetch } from "../tickets/trackers.ts";
import { TICKET_TRACKERS, type TicketTracker } from "../watch/store/types.ts";
import { formatTable } from "./output.ts";
import { WatchCommandError } from "./monitors.ts";
import { withWatchStore, type WatchCommandOptions, type WatchContext } from "./watch-context.ts";
import { issuesTable, plural, shortTime } from "./watch-output.ts";

/** `open` in `--state`: the states that still ask for attention. */
const STATE_ALIASES: Record<string, readonly IssueState[]> = { open: ["new", "ongoing", "regressed"] };

/** `--state new,regressed` or `--state open` as states; unknown names are an error naming the choices. */
export function parseStates(values: readonly string[]): IssueState[] {
  const states = new Set<IssueState>();
  for (const value of values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean)) {
    const alias = STATE_ALIASES[value];
    if (alias) alias.forEach((state) => states.add(state));
    else if ((ISSUE_STATES as readonly string[]).includes(value)) states.add(value as IssueState);
    else throw new WatchCommandError("invalid_state", `--state ${JSON.stringify(value)}: expected open or one of ${ISSUE_STATES.join(", ")}`);
  }
  return [...states];
}

/** An issue id as typed: a positive whole number. */
export function parseIssueId(value: string): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id < 1) throw new WatchCommandError("invalid_issue_id", `issue id must be a positive whole number, got ${JSON.stringify(value)}`);
  return id;
}

async function issueOf(context: WatchContext, value: string): Promise<TrackedIssue> {
  const id = parseIssueId(value);
  const issue = await context.store.getIssue(context.project, id);
  if (!issue) throw new WatchCommandError("issue_not_found", `no issue ${id} in project ${JSON.stringify(context.project)} (see \`issues list\`)`);
  return issue;
}

export async function runIssuesList(filter: { states?: readonly string[]; monitor?: string }, options: WatchCommandOptions = {}): Promise<number> {
  const states = filter.states ? parseStates(filter.states) : undefined;
  return withWatchStore(options, async (context) => {
    const { store, project, io } = context;
    if (filter.monitor !== undefined && !(await store.getMonitor(project, filter.monitor))) {
      throw new WatchCommandError("monitor_not_found", `--monitor: no monitor ${JSON.stringify(filter.monitor)} in project ${JSON.stringify(project)} (see \`monitors list\`)`);
    }
    const issues = await store.listIssues(project, { ...(filter.monitor !== undefined ? { monitor_id: filter.monitor } : {}), ...(states ? { states } : {}) });
    if (options.json) {
      io.out(JSON.stringify(issues));
      return 0;
    }
    if (issues.length === 0) {
      io.out(states || filter.monitor ? "No issue matches." : "No issue yet: sweeps of monitors find them (`monitors run-once <id>` or `watch`).");
      return 0;
    }
    const monitors = new Map<string, Monitor>((await store.listMonitors(project)).map((monitor) => [monitor.id, monitor]));
    io.out(issuesTable(issues, monitors));
    return 0;
  });
}

export async function runIssuesShow(value: string, options: WatchCommandOptions = {}): Promise<number> {
  return withWatchStore(options, async (context) => {
    const { store, project, io } = context;
    const issue = await issueOf(context, value);
    const days = (await store.issueDays(issue.id)).sort((a, b) => a.day.localeCompare(b.day));
    const alerts = await store.listAlerts(project, { issue_id: issue.id });
    if (options.json) {
      io.out(JSON.stringify({ issue, days, alerts }));
      return 0;
    }
    const monitor = await store.getMonitor(project, issue.monitor_id);
    io.out(`Issue ${issue.id}: ${issue.title}`);
    io.out(
      `${issue.state}${issue.snoozed_until ? ` until ${shortTime(issue.snoozed_until)}` : ""} · ${issue.severity} · ${issue.kind} · monitor ${monitor?.name ?? issue.monitor_id} · ${plural(issue.sessions_total, "session")}, ${plural(issue.users_total, "user")}`,
    );
    io.out(`First seen ${shortTime(issue.first_seen)}, last seen ${shortTime(issue.last_seen)}`);
    if (issue.description) io.out(`\n${issue.description}`);
    if (days.length > 0)
      io.out(
        `\nPer day:\n${formatTable(
          ["day", "sessions", "users"],
          days.map((d) => [d.day, d.sessions, d.users]),
        )}`,
      );
    if (issue.examples.length > 0) {
      io.out(
        `\nExamples:\n${formatTable(
          ["session", "at", "replay check", "report", "what happened"],
          issue.examples.map((x) => [x.session_id, shortTime(x.timestamp), x.verdict ?? "-", x.report_id, x.description.replace(/\s+/g, " ").slice(0, 80)]),
        )}`,
      );
    }
    if (alerts.length > 0)
      io.out(
        `\nAlerts:\n${formatTable(
          ["id", "kind", "at"],
          alerts.map((a) => [a.id, a.kind, shortTime(a.created_at)]),
        )}`,
      );
    return 0;
  });
}

/** `issues snooze|mute|resolve|reopen <id>`: the same actions as the API and the chat. */
export async function runIssueAction(value: string, action: IssueAction, extra: { until?: string }, options: WatchCommandOptions = {}): Promise<number> {
  return withWatchStore(options, async (context) => {
    const issue = await issueOf(context, value);
    const saved = await applyIssueActionAndSave(context.store, issue, { action, ...(extra.until !== undefined ? { until: extra.until } : {}) }, context.clock.now());
    context.io.out(`Issue ${saved.id} (${saved.title}) is now ${saved.state}${saved.snoozed_until ? ` until ${saved.snoozed_until}` : ""}.`);
    return 0;
  });
}

/** `issues page --out FILE`: the self-contained issues page, as `serve` shows it, written to a file. */
export async function runIssuesPage(out: string, filter: { monitor?: string; days?: number }, options: WatchCommandOptions = {}): Promise<number> {
  return withWatchStore(options, async (context) => {
    const data = await loadIssuesPageData(context.store, context.project, {
      now: context.clock.now(),
      ...(filter.monitor !== undefined ? { monitorId: filter.monitor } : {}),
      ...(filter.days !== undefined ? { days: filter.days } : {}),
    });
    const file = path.resolve(out);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, renderIssuesPage(data));
    context.io.out(`Issues page: ${file} (${plural(data.issues.length, "issue")}, ${plural(data.monitors.length, "monitor")})`);
    return 0;
  });
}

/** `--to github|linear|webhook`. */
export function parseTracker(value: string): TicketTracker {
  const tracker = value.trim().toLowerCase();
  if (!(TICKET_TRACKERS as readonly string[]).includes(tracker)) throw new WatchCommandError("invalid_tracker", `--to ${JSON.stringify(value)}: expected one of ${TICKET_TRACKERS.join(", ")}`);
  return tracker as TicketTracker;
}

/**
 * `issues ticket <id> [--to github|linear|webhook]`: the issue's ticket in the team's tracker, made
 * once (asked again, the same link). The examples' evidence and key events come from their reports
 * in the blob store when it can be opened; otherwise the ticket shows what the issue keeps.
 */
export async function runIssuesTicket(value: string, extra: { to?: string }, options: WatchCommandOptions & { ticketFetch?: TicketFetch } = {}): Promise<number> {
  const to = extra.to === undefined ? undefined : parseTracker(extra.to);
  return withWatchStore(options, async (context) => {
    const issue = await issueOf(context, value);
    let blobs: Promise<BlobStore | undefined> | undefined;
    try {
      const outcome = await ticketForIssue(
        {
          store: context.store,
          config: context.config.tickets,
          now: () => context.clock.now(),
          reportOf: async (project, reportId) => {
            blobs ??= createBlobStore(context.config.store.blobs).catch(() => undefined);
            const store = await blobs;
            return store ? readReport(store, project, reportId) : undefined;
          },
          ...(options.ticketFetch ? { fetch: options.ticketFetch } : {}),
        },
        issue,
        to,
      );
      if (options.json) {
        context.io.out(JSON.stringify(outcome));
        return 0;
      }
      const { link } = outcome;
      const name = `${link.tracker}${link.key ? ` ${link.key}` : ""}`;
      context.io.out(`${outcome.created ? "Created" : "Already has"} ticket ${name} for issue ${issue.id} (${issue.title})${link.url ? `: ${link.url}` : ""}`);
      return 0;
    } finally {
      await (await blobs)?.close();
    }
  });
}
