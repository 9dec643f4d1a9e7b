import { SWEEP_STATUSES, type Monitor, type SweepRecord, type TrackedIssue } from "../domain/monitor.ts";
import type { SweepEstimate, SweepProgress } from "../service/watch/types.ts";
import { formatTable } from "./output.ts";

/** Terminal formats shared by the watch commands (`monitors`, `backfill`, `watch`, `issues`). */

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function usd(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

/** `2026-11-02 09:15` (UTC), or `-`. */
export function shortTime(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : "-";
}

/** The estimate's lines: counts first, then what they mean (the offline analyst costs $0 and says so). */
export function formatEstimate(title: string, estimate: SweepEstimate): string {
  const lines = [
    `${title}: ${plural(estimate.sessions, "session")}, ${plural(estimate.model_calls, "model call")}, ${estimate.input_tokens} input + ${estimate.output_tokens} output tokens, ${usd(estimate.cost_usd)}`,
    `  ${estimate.note}`,
  ];
  if (estimate.over_budget > 0) lines.push(`  ${plural(estimate.over_budget, "more session")} wait for the daily budget`);
  return lines.join("\n");
}

/** A sweep in one line, for people: `done: 12 sessions, 0 model calls, $0.00 (…)`. */
export function formatSweepLine(sweep: SweepRecord): string {
  return `sweep ${sweep.id} ${sweep.status}: ${plural(sweep.sessions, "session")}, ${plural(sweep.model_calls, "model call")}, ${sweep.input_tokens + sweep.output_tokens} tokens, ${usd(sweep.cost_usd)}${sweep.message ? ` (${sweep.message})` : ""}`;
}

export function sweepsTable(sweeps: readonly SweepRecord[]): string {
  return formatTable(
    ["started", "status", "sessions", "calls", "tokens", "cost", "message"],
    sweeps.map((sweep) => [shortTime(sweep.started_at), sweep.status, sweep.sessions, sweep.model_calls, sweep.input_tokens + sweep.output_tokens, usd(sweep.cost_usd), sweep.message ?? ""]),
  );
}

/** States in which an issue still asks for attention. */
export const OPEN_STATES = ["new", "ongoing", "regressed"] as const;

export function issuesTable(issues: readonly TrackedIssue[], monitors?: ReadonlyMap<string, Monitor>): string {
  const withMonitor = monitors !== undefined;
  return formatTable(
    ["id", "state", "severity", "kind", ...(withMonitor ? ["monitor"] : []), "sessions", "users", "first seen", "last seen", "title"],
    issues.map((issue) => [
      issue.id,
      issue.state === "snoozed" && issue.snoozed_until ? `snoozed until ${shortTime(issue.snoozed_until)}` : issue.state,
      issue.severity,
      issue.kind,
      ...(withMonitor ? [monitors.get(issue.monitor_id)?.name ?? issue.monitor_id] : []),
      issue.sessions_total,
      issue.users_total,
      shortTime(issue.first_seen),
      shortTime(issue.last_seen),
      truncate(issue.title, 70),
    ]),
  );
}

export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `done:`, `failed:` …: how the sweeper's closing progress line goes on after `Sweep <id> `. */
const CLOSING_STATUS = new RegExp(`^(${SWEEP_STATUSES.filter((status) => status !== "running").join("|")}):`);

/**
 * Progress of sweeps as plain lines: each stage once, and a stage's count (`Watching sessions 3/40`)
 * only when it crosses another tenth, so a sweep of a thousand sessions prints a few dozen lines.
 */

export class SweepProgressLines {
  private readonly shown = new Map<string, number>();

  constructor(private readonly write: (line: string) => void) {}

  show(progress: SweepProgress, prefix = ""): void {
    // The sweep's closing line: the commands print the finished sweep themselves, on stdout.
    if (progress.message.startsWith(`Sweep ${progress.sweep_id} `) && CLOSING_STATUS.test(progress.message.slice(`Sweep ${progress.sweep_id} `.length))) return;
    const count = /(\d+)\/(\d+)/.exec(progress.message);
    const key = `${progress.sweep_id}\u0000${progress.message.replace(/\d+/g, "#")}`;
    const step = count ? (Number(count[2]) === 0 ? 10 : Math.floor((Number(count[1]) / Number(count[2])) * 10)) : 0;
    if (this.shown.get(key) === step) return;
    this.shown.set(key, step);
    this.write(`${prefix}${progress.message}`);
  }
}
