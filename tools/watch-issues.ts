import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { ISSUE_STATES, type IssueState, type TrackedIssue } from "../src/domain/monitor.ts";
import { fenceUntrusted } from "../src/encode/fence.ts";
import { applyIssueActionAndSave, ISSUE_ACTIONS } from "../src/watch/actions.ts";
import { DAY_MS } from "../src/watch/clock.ts";
import { textTokens } from "../src/watch/fingerprint.ts";
import { readReport } from "../src/store/reports.ts";
import { ticketForIssue } from "../src/tickets/service.ts";
import { TICKET_TRACKERS, type WatchStore } from "../src/watch/store/types.ts";
import { failureText, nowOf, oneLine, type ChatToolContext } from "./context.ts";
import { ago, issueLine, monitorNames, pickMonitor, plural, sessionsSince, shortTime, stateMeaning } from "./watch-common.ts";
import { resolveSince, resolveUntil, type ResolvedDate } from "./watch-dates.ts";

/** Issues listed in one answer; the rest are counted ("… and 4 more"). */
const MAX_LISTED_ISSUES = 20;
/** Matches `find_issue` shows besides the best one. */
const MAX_OTHER_MATCHES = 2;
/** How far back "recently" reaches in a find_issue answer. */
const RECENT_DAYS = 7;

/** The order an unfiltered list shows states in: what needs attention first. */
const STATE_ORDER: readonly IssueState[] = ["new", "regressed", "ongoing", "snoozed", "resolved", "muted"];

const SinceField = z.string().min(1).max(100).describe('From when: an ISO date or time, or words resolved against today, e.g. "Monday", "yesterday", "this week", "7 days"');

export const ListIssuesInput = z.object({
  since: SinceField.optional(),
  states: z.array(z.enum(ISSUE_STATES)).min(1).optional().describe("Only issues in these states"),
  monitor: z.string().min(1).max(200).optional().describe("Only this monitor's issues: its name or id"),
});

/** Tracked issues of the project: with `since`, those new or regressed since then first, then others seen since. */
export function makeListIssuesTool(context: ChatToolContext, store: WatchStore) {
  return tool(
    async (input): Promise<string> => {
      try {
        const monitors = await store.listMonitors(context.project);
        const monitor = input.monitor === undefined ? undefined : pickMonitor(monitors, input.monitor);
        if (typeof monitor === "string") return monitor;
        if (monitors.length === 0) return "This project has no monitors yet, so no issues are tracked: add a monitor first (`monitors add`).";
        const since = input.since === undefined ? undefined : resolveSince(input.since, nowOf(context));
        const issues = await store.listIssues(context.project, { ...(monitor ? { monitor_id: monitor.id } : {}), ...(input.states ? { states: input.states } : {}) });
        const scope = [monitor ? `of monitor ${JSON.stringify(oneLine(monitor.name, 60))}` : "", input.states ? `in state ${input.states.join(" or ")}` : ""].filter(Boolean).join(" ");
        if (issues.length === 0) return `No tracked issues${scope ? ` ${scope}` : ""} in this project.`;
        const names = monitor ? new Map<string, string>() : monitorNames(monitors);
        return since ? await listSince(store, issues, since, scope, names) : listByState(issues, scope, names);
      } catch (error) {
        return `Could not list issues: ${failureText(context, "list_issues", error)}`;
      }
    },
    {
      name: "list_issues",
      description:
        "Issues tracked over time by the project's monitors (ids, states, titles, sessions, first/last seen). " +
        "With since, those new or regressed since then come first: use it for \"what's new since Monday?\". Pass dates in the person's words; the tool resolves them.",
      schema: ListIssuesInput,
    },
  );
}

async function listSince(store: WatchStore, issues: TrackedIssue[], since: ResolvedDate, scope: string, names: Map<string, string>): Promise<string> {
  const from = since.at.getTime();
  const fresh = issues.filter((i) => Date.parse(i.first_seen) >= from).sort((a, b) => Date.parse(b.first_seen) - Date.parse(a.first_seen));
  const back = issues.filter((i) => i.state === "regressed" && Date.parse(i.last_seen) >= from && !fresh.includes(i));
  const seen = issues.filter((i) => Date.parse(i.last_seen) >= from && !fresh.includes(i) && !back.includes(i));
  const quiet = issues.length - fresh.length - back.length - seen.length;
  const head =
    `Since ${since.label}${scope ? `, issues ${scope}` : ""}: ${plural(fresh.length, "new issue")}, ${back.length} regressed (seen again after being resolved), ` +
    `${seen.length} other${seen.length === 1 ? "" : "s"} seen again; ${quiet} not seen since then.`;
  const shown = [...fresh, ...back, ...seen].slice(0, MAX_LISTED_ISSUES);
  if (shown.length === 0) return head;
  const lines: string[] = [];
  for (const issue of shown) {
    const recent = { sessions: await sessionsSince(store, issue.id, since.at), label: "since then" };
    const group = fresh.includes(issue) ? "NEW" : back.includes(issue) ? "BACK" : "SEEN";
    lines.push(`${group} ${issueLine(issue, names.get(issue.monitor_id), recent)}`);
  }
  return `${head}\n${fenceUntrusted("issues", lines.join("\n"))}${moreNote(fresh.length + back.length + seen.length)}`;
}

function listByState(issues: TrackedIssue[], scope: string, names: Map<string, string>): string {
  const ordered = [...issues].sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || Date.parse(b.last_seen) - Date.parse(a.last_seen));
  const counts = STATE_ORDER.map((state) => [state, issues.filter((i) => i.state === state).length] as const)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(", ");
  const lines = ordered.slice(0, MAX_LISTED_ISSUES).map((issue) => issueLine(issue, names.get(issue.monitor_id)));
  return `${plural(issues.length, "tracked issue")}${scope ? ` ${scope}` : ""} (${counts}), new and regressed first:\n${fenceUntrusted("issues", lines.join("\n"))}${moreNote(issues.length)}`;
}

function moreNote(total: number): string {
  return total > MAX_LISTED_ISSUES ? `\n… and ${total - MAX_LISTED_ISSUES} more (narrow by monitor or states).` : "";
}

export const FindIssueInput = z.object({
  text: z.string().min(1).max(300).describe('Words of the problem ("checkout error", "slow search"), or an issue id ("12", "#12")'),
});

/** Words that say nothing about which problem is meant ("is the checkout error back?"). */
const QUERY_FILLER = new Set("issue problem bug back again still happening fixed gone come came return returned returning recurring there did does do".split(" "));

/** How well an issue's words match the query: query words found (in the title they count more), 0 for none. */
export function matchScore(query: ReadonlySet<string>, issue: TrackedIssue): { matched: number; weight: number } {
  const title = [...textTokens(issue.title)];
  const rest = [...textTokens(`${issue.description} ${issue.fingerprint} ${issue.kind} ${issue.examples.map((e) => e.url ?? "").join(" ")}`)];
  // A query word matches inside a longer word too: "error" finds "TypeError".
  const has = (words: string[], q: string) => words.some((w) => w === q || (q.length >= 4 && w.includes(q)));
  let matched = 0;
  let weight = 0;
  for (const q of query) {
    if (has(title, q)) [matched, weight] = [matched + 1, weight + 2];
    else if (has(rest, q)) [matched, weight] = [matched + 1, weight + 1];
  }
  return { matched, weight };
}

/** The issues best matching some words (or an id), with what their state means and when they were last seen. */
export function makeFindIssueTool(context: ChatToolContext, store: WatchStore) {
  return tool(
    async (input): Promise<string> => {
      try {
        const now = nowOf(context);
        const byId = /^\s*(?:issue\s*)?#?\s*(\d{1,12})\s*$/i.exec(input.text);
        if (byId) {
          const issue = await store.getIssue(context.project, Number(byId[1]));
          return issue ? describeFound(store, issue, now, "") : `There is no issue ${byId[1]} in this project.`;
        }
        const query = new Set([...textTokens(input.text)].filter((w) => !QUERY_FILLER.has(w)));
        if (query.size === 0) return `${JSON.stringify(input.text)} names no problem to look for: give words of its title, page or error (e.g. "checkout error").`;
        const issues = await store.listIssues(context.project);
        const ranked = issues
          .map((issue) => ({ issue, ...matchScore(query, issue) }))
          .filter((m) => m.matched > 0)
          .sort((a, b) => b.matched - a.matched || b.weight - a.weight || Date.parse(b.issue.last_seen) - Date.parse(a.issue.last_seen));
        if (ranked.length === 0) {
          return `No tracked issue of this project matches ${JSON.stringify(input.text)} (${plural(issues.length, "issue")} searched by title, description, page and error).`;
        }
        const [best, ...others] = ranked;
        const partial = best!.matched < query.size ? ` (it matches ${best!.matched} of the ${query.size} words)` : "";
        const found = await describeFound(store, best!.issue, now, `Best match for ${JSON.stringify(oneLine(input.text, 80))}${partial}: `);
        const rest = others.slice(0, MAX_OTHER_MATCHES).map((m) => issueLine(m.issue, undefined));
        return rest.length ? `${found}\nOther matches:\n${fenceUntrusted("issues", rest.join("\n"))}` : found;
      } catch (error) {
        return `Could not look for the issue: ${failureText(context, "find_issue", error)}`;
      }
    },
    {
      name: "find_issue",
      description:
        "Finds a tracked issue by words of its title, page or error (or by id) and says its state and when it was last seen: " +
        'use it for "is the checkout error back?" (regressed = back after being resolved) or "is the search still slow?".',
      schema: FindIssueInput,
    },
  );
}

async function describeFound(store: WatchStore, issue: TrackedIssue, now: Date, lead: string): Promise<string> {
  const recent = await sessionsSince(store, issue.id, new Date(now.getTime() - RECENT_DAYS * DAY_MS));
  return (
    `${lead}issue ${issue.id} is ${stateMeaning(issue)}; last seen ${shortTime(issue.last_seen)} (${ago(issue.last_seen, now)}), first seen ${shortTime(issue.first_seen)}; ` +
    `${plural(recent, "session")} in the last ${RECENT_DAYS} days, ${issue.sessions_total} in all.\n${fenceUntrusted("issue", issueLine(issue, undefined))}`
  );
}

export const UpdateIssueInput = z.object({
  issue_id: z.number().int().min(1).describe("The issue's id, as list_issues or find_issue give it"),
  action: z.enum(ISSUE_ACTIONS).describe("mute (no more alerts), snooze (no alerts until a date), resolve (fixed: alerts again if seen), reopen"),
  until: z.string().min(1).max(100).optional().describe('snooze only: until when, an ISO date or time, or words like "Monday", "tomorrow", "3 days"'),
});

/** What the new state does, for the answer. */
const ACTION_EFFECT: Record<(typeof ISSUE_ACTIONS)[number], string> = {
  mute: "it stays tracked and counted, with no more alerts",
  snooze: "it stays tracked and counted, with no alerts until then",
  resolve: "if a sweep sees it again it becomes regressed and alerts",
  reopen: "it is ongoing again",
};

/** Mutes, snoozes, resolves or reopens one issue of the project. */
export function makeUpdateIssueTool(context: ChatToolContext, store: WatchStore) {
  return tool(
    async (input): Promise<string> => {
      try {
        const now = nowOf(context);
        const issue = await store.getIssue(context.project, input.issue_id);
        if (!issue) return `There is no issue ${input.issue_id} in this project: nothing changed.`;
        if (input.until !== undefined && input.action !== "snooze") return `"until" applies only to snooze; to ${input.action} issue ${issue.id}, leave it out. Nothing changed.`;
        if (input.action === "snooze" && input.until === undefined) return `Snoozing issue ${issue.id} needs "until": a date, or words like "Monday", "tomorrow", "3 days". Nothing changed.`;
        const target = { mute: "muted", resolve: "resolved", reopen: "ongoing" } as const;
        if (input.action !== "snooze" && issue.state === target[input.action]) return `Issue ${issue.id} is already ${issue.state}: nothing changed.`;
        const until = input.until === undefined ? undefined : resolveUntil(input.until, now);
        const updated = await applyIssueActionAndSave(store, issue, { action: input.action, ...(until ? { until: until.at.toISOString() } : {}) }, now);
        const when = until ? ` until ${until.label}` : "";
        return `Issue ${issue.id} is now ${updated.state}${when} (it was ${issue.state}): ${ACTION_EFFECT[input.action]}.\n${fenceUntrusted("issue", `title: ${oneLine(issue.title, 200)}`)}`;
      } catch (error) {
        return `Could not ${input.action} issue ${input.issue_id}: ${failureText(context, "update_issue", error)}. Nothing changed.`;
      }
    },
    {
      name: "update_issue",
      description: 'Mutes, snoozes (until a date), resolves or reopens a tracked issue by id: use it for "mute issue 12" or "snooze issue 4 until Monday".',
      schema: UpdateIssueInput,
    },
  );
}

export const CreateTicketInput = z.object({
  issue_id: z.number().int().min(1).describe("The issue's id, as list_issues or find_issue give it"),
  to: z.enum(TICKET_TRACKERS).optional().describe("github, linear or webhook; default the first tracker set up"),
});

/** Sends one issue to the team's tracker with its evidence; an issue that has a ticket gets the same link back. */
export function makeCreateTicketTool(context: ChatToolContext, store: WatchStore) {
  return tool(
    async (input): Promise<string> => {
      try {
        const issue = await store.getIssue(context.project, input.issue_id);
        if (!issue) return `There is no issue ${input.issue_id} in this project: no ticket was made.`;
        const { link, created } = await ticketForIssue(
          {
            store,
            config: context.tickets?.config,
            now: () => nowOf(context),
            reportOf: (project, reportId) => readReport(context.runtime.blobs, project, reportId),
            ...(context.tickets?.fetch ? { fetch: context.tickets.fetch } : {}),
          },
          issue,
          input.to,
        );
        const name = `${link.tracker}${link.key ? ` ${link.key}` : ""}`;
        const where = link.url ? `: ${link.url}` : "";
        return created
          ? `Created ticket ${name} for issue ${issue.id}${where}. It carries the issue's counts, evidence and key events (redacted); a regression will comment on it.`
          : `Issue ${issue.id} already has ticket ${name}${where}: no second one was made.`;
      } catch (error) {
        return `Could not make a ticket for issue ${input.issue_id}: ${failureText(context, "create_ticket", error)}`;
      }
    },
    {
      name: "create_ticket",
      description:
        'Sends a tracked issue to the team\'s tracker (a GitHub or Linear issue, or a webhook) with its evidence: use it for "file issue 12 on GitHub". ' +
        "One ticket per issue: asked again, it returns the existing link.",
      schema: CreateTicketInput,
    },
  );
}
