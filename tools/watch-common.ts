import type { IssueState, Monitor, TrackedIssue } from "../src/domain/monitor.ts";
import { DAY_MS, HOUR_MS, utcDay } from "../src/watch/clock.ts";
import type { WatchStore } from "../src/watch/store/types.ts";
import { oneLine } from "./context.ts";

/** What the watch tools share: naming monitors, times and issue states the same way in every answer. */

/** `2026-12-02 14:05 UTC`: short enough for a list, and says which zone. */
export function shortTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** `3 hours ago`, `2 days ago`: how old a time is, from the context's now. */
export function ago(iso: string, now: Date): string {
  const elapsed = now.getTime() - Date.parse(iso);
  if (Number.isNaN(elapsed)) return "at an unknown time";
  if (elapsed < HOUR_MS) return "within the last hour";
  if (elapsed < DAY_MS) return plural(Math.floor(elapsed / HOUR_MS), "hour") + " ago";
  return plural(Math.floor(elapsed / DAY_MS), "day") + " ago";
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** What a state means to a person asking "is it back?". */
export function stateMeaning(issue: TrackedIssue): string {
  const meanings: Record<IssueState, string> = {
    candidate: "a candidate: seen in too few sessions so far to be an issue",
    new: "new: first seen by the latest sweeps",
    ongoing: "ongoing: still being seen",
    resolved: "resolved: not seen for a while",
    regressed: "regressed: it was resolved and has been seen again",
    snoozed: `snoozed until ${issue.snoozed_until ? shortTime(issue.snoozed_until) : "a date"} (still counted, no alerts)`,
    muted: "muted (still counted, no alerts)",
  };
  return meanings[issue.state];
}

/**
 * The monitor a tool input names, by id or by name (case-insensitive), among the project's monitors;
 * a status text naming the project's monitors when there is no such monitor.
 */
export function pickMonitor(monitors: readonly Monitor[], wanted: string): Monitor | string {
  const text = wanted.trim().toLowerCase();
  const found = monitors.find((m) => m.id === wanted.trim()) ?? monitors.find((m) => m.name.toLowerCase() === text) ?? monitors.find((m) => m.name.toLowerCase().includes(text));
  if (found) return found;
  const names = monitors.map((m) => `${JSON.stringify(oneLine(m.name, 60))} (${m.id})`).join(", ");
  return `There is no monitor ${JSON.stringify(wanted)} in this project; ${monitors.length === 0 ? "it has no monitors yet" : `its monitors: ${names}`}.`;
}

/** Sessions of an issue counted on days from `since` on (UTC days: the day of `since` counts whole). */
export async function sessionsSince(store: WatchStore, issueId: number, since: Date): Promise<number> {
  const from = utcDay(since);
  return (await store.issueDays(issueId)).filter((d) => d.day >= from).reduce((sum, d) => sum + d.sessions, 0);
}

/** One issue as a line of a list: id, state, title, severity, sessions, first/last seen. */
export function issueLine(issue: TrackedIssue, monitorName: string | undefined, recent?: { sessions: number; label: string }): string {
  const sessions = recent ? `${plural(recent.sessions, "session")} ${recent.label} (${issue.sessions_total} in all)` : plural(issue.sessions_total, "session");
  const monitor = monitorName ? ` | monitor ${JSON.stringify(oneLine(monitorName, 60))}` : "";
  return (
    `Issue ${issue.id} [${issue.state}${issue.state === "snoozed" && issue.snoozed_until ? ` until ${shortTime(issue.snoozed_until)}` : ""}] ${JSON.stringify(oneLine(issue.title, 120))} | ` +
    `${issue.kind}, ${issue.severity} | ${sessions} | first seen ${shortTime(issue.first_seen)}, last seen ${shortTime(issue.last_seen)}${monitor}`
  );
}

/** Monitor names by id, for the lines of a list. */
export function monitorNames(monitors: readonly Monitor[]): Map<string, string> {
  return new Map(monitors.map((m) => [m.id, m.name]));
}
