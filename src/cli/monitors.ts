import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import { ConfigError, describeIssues, SessionSummariesError } from "../domain/errors.ts";
import { MonitorDefinitionSchema, type AlertRule, type Monitor, type MonitorDefinition, type MonitorDefinitionInput, type SweepRecord } from "../domain/monitor.ts";
import type { SweepOptions } from "../service/watch/types.ts";
import { waitForStop } from "./stop-signal.ts";
import { openSweeper, withWatchStore, type WatchCommandOptions, type WatchContext } from "./watch-context.ts";
import { formatEstimate, formatSweepLine, issuesTable, OPEN_STATES, plural, shortTime, SweepProgressLines, sweepsTable, usd } from "./watch-output.ts";
import { formatTable } from "./output.ts";

/** A watch command given something it cannot use: an unknown monitor, a bad flag value, a refused backfill. */
export class WatchCommandError extends SessionSummariesError {}

/** Sweeps `monitors show` lists. */
const SHOWN_SWEEPS = 10;

// ---- monitors add

/** The flags of `monitors add` (commander's camelCase names). */
export interface MonitorAddFlags {
  file?: string;
  name?: string;
  focus?: string;
  firstUrl?: string;
  visitedUrl?: string;
  event?: string;
  person?: string;
  hasException?: boolean;
  minDuration?: number;
  limit?: number;
  question?: string;
  answer?: string;
  tags?: string[];
  interval?: number;
  dailyUsd?: number;
  dailyCalls?: number;
  webhook?: string[];
  secretRef?: string;
  slack?: string[];
  rule?: string[];
  cooldown?: number;
  minSessions?: number;
  resolveAfterSweeps?: number;
  minIssueSessions?: number;
  resolveAfterHours?: number;
}

/** Flags that define a monitor: with `--file`, none of them may be given. */
const DEFINITION_FLAGS: Record<Exclude<keyof MonitorAddFlags, "file">, string> = {
  name: "--name",
  focus: "--focus",
  firstUrl: "--first-url",
  visitedUrl: "--visited-url",
  event: "--event",
  person: "--person",
  hasException: "--has-exception",
  minDuration: "--min-duration",
  limit: "--limit",
  question: "--question",
  answer: "--answer",
  tags: "--tags",
  interval: "--interval",
  dailyUsd: "--daily-usd",
  dailyCalls: "--daily-calls",
  webhook: "--webhook",
  secretRef: "--secret-ref",
  slack: "--slack",
  rule: "--rule",
  cooldown: "--cooldown",
  minSessions: "--min-sessions",
  resolveAfterSweeps: "--resolve-after-sweeps",
  minIssueSessions: "--min-issue-sessions",
  resolveAfterHours: "--resolve-after-hours",
};

/** The flag that set each field of the definition, so an error names what the person typed. */
const FIELD_FLAGS: Record<string, string> = {
  name: "--name",
  focus_area: "--focus",
  "filter.first_url_contains": "--first-url",
  "filter.visited_url_contains": "--visited-url",
  "filter.event": "--event",
  "filter.person": "--person",
  "filter.has_exception": "--has-exception",
  "filter.min_duration_ms": "--min-duration",
  "filter.limit": "--limit",
  "question.text": "--question",
  "question.answer": "--answer",
  "question.tags": "--tags",
  interval_minutes: "--interval",
  "budget.daily_usd": "--daily-usd",
  "budget.daily_model_calls": "--daily-calls",
  "alerts.cooldown_minutes": "--cooldown",
  "alerts.min_sessions": "--min-sessions",
  resolve_after_sweeps: "--resolve-after-sweeps",
  min_issue_sessions: "--min-issue-sessions",
  resolve_after_hours: "--resolve-after-hours",
};

/**
 * The definition the flags describe (or the file holds), checked with `MonitorDefinitionSchema`.
 * Errors name the flag (or, for a file, the file and the field) and what was wrong.
 */
export async function definitionOf(flags: MonitorAddFlags): Promise<MonitorDefinition> {
  if (flags.file !== undefined) {
    const given = (Object.keys(DEFINITION_FLAGS) as Array<keyof typeof DEFINITION_FLAGS>).filter((key) => flags[key] !== undefined);
    if (given.length > 0)
      throw new WatchCommandError("conflicting_flags", `--file holds the whole definition: leave out ${given.map((key) => DEFINITION_FLAGS[key]).join(", ")} (or put them in the file)`);
    let text: string;
    try {
      text = await readFile(flags.file, "utf8");
    } catch (error) {
      throw new WatchCommandError("unreadable_file", `--file ${flags.file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new WatchCommandError("invalid_json", `${flags.file}: not JSON: ${(error as Error).message}`, { cause: error });
    }
    const parsed = MonitorDefinitionSchema.safeParse(json);
    if (!parsed.success) throw new WatchCommandError("invalid_monitor", `${flags.file}: invalid monitor: ${describeIssues(parsed.error.issues, 5)}`);
    return parsed.data;
  }
  if (flags.name === undefined) throw new WatchCommandError("missing_name", "monitors add needs --name <name> (or --file <monitor.json>)");
  const input = definitionInputOf(flags);
  const parsed = MonitorDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => `${flagOfPath(issue.path, input)}: ${issue.message}`);
    throw new WatchCommandError("invalid_monitor", `invalid monitor: ${problems.join("; ")}`);
  }
  return parsed.data;
}

function definitionInputOf(flags: MonitorAddFlags): MonitorDefinitionInput {
  const filter = {
    ...(flags.firstUrl !== undefined ? { first_url_contains: flags.firstUrl } : {}),
    ...(flags.visitedUrl !== undefined ? { visited_url_contains: flags.visitedUrl } : {}),
    ...(flags.event !== undefined ? { event: flags.event } : {}),
    ...(flags.person !== undefined ? { person: flags.person } : {}),
    ...(flags.hasException ? { has_exception: true } : {}),
    ...(flags.minDuration !== undefined ? { min_duration_ms: flags.minDuration * 1000 } : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
  };
  if (flags.question === undefined && (flags.answer !== undefined || flags.tags !== undefined)) {
    throw new WatchCommandError("missing_question", `${flags.answer !== undefined ? "--answer" : "--tags"} is the answer of a question: give the question with --question "..."`);
  }
  const answer = flags.answer ?? (flags.tags ? "tags" : "yes_no");
  if (flags.question !== undefined && answer !== "tags" && flags.tags !== undefined) throw new WatchCommandError("conflicting_flags", `--tags goes with --answer tags, not --answer ${answer}`);
  const channels = [
    ...(flags.webhook ?? []).map((url) => ({ kind: "webhook" as const, url, ...(flags.secretRef !== undefined ? { secret_ref: flags.secretRef } : {}) })),
    ...(flags.slack ?? []).map((url) => ({ kind: "slack" as const, url })),
  ];
  if (flags.secretRef !== undefined && !flags.webhook?.length) throw new WatchCommandError("conflicting_flags", "--secret-ref names the secret that signs --webhook deliveries: give a --webhook too");
  const alerts = {
    ...(flags.rule ? { rules: flags.rule.map(parseRule) } : {}),
    ...(channels.length > 0 ? { channels } : {}),
    ...(flags.cooldown !== undefined ? { cooldown_minutes: flags.cooldown } : {}),
    ...(flags.minSessions !== undefined ? { min_sessions: flags.minSessions } : {}),
  };
  return {
    name: flags.name!,
    ...(Object.keys(filter).length > 0 ? { filter } : {}),
    ...(flags.focus !== undefined ? { focus_area: flags.focus } : {}),
    ...(flags.question !== undefined ? { question: { text: flags.question, answer, ...(flags.tags ? { tags: flags.tags } : {}) } as MonitorDefinitionInput["question"] } : {}),
    ...(flags.interval !== undefined ? { interval_minutes: flags.interval } : {}),
    ...(flags.dailyUsd !== undefined || flags.dailyCalls !== undefined
      ? { budget: { ...(flags.dailyUsd !== undefined ? { daily_usd: flags.dailyUsd } : {}), ...(flags.dailyCalls !== undefined ? { daily_model_calls: flags.dailyCalls } : {}) } }
      : {}),
    ...(Object.keys(alerts).length > 0 ? { alerts: alerts as MonitorDefinitionInput["alerts"] } : {}),
    ...(flags.resolveAfterSweeps !== undefined ? { resolve_after_sweeps: flags.resolveAfterSweeps } : {}),
    ...(flags.minIssueSessions !== undefined ? { min_issue_sessions: flags.minIssueSessions } : {}),
    ...(flags.resolveAfterHours !== undefined ? { resolve_after_hours: flags.resolveAfterHours } : {}),
  };
}

function flagOfPath(path: readonly PropertyKey[], input: MonitorDefinitionInput): string {
  const parts = path.map(String);
  if (parts[0] === "alerts" && parts[1] === "channels" && parts[2] !== undefined) {
    const channel = input.alerts?.channels?.[Number(parts[2])];
    if (parts[3] === "secret_ref") return "--secret-ref";
    return channel?.kind === "slack" ? `--slack ${channel.url}` : `--webhook ${channel?.url ?? ""}`.trim();
  }
  if (parts[0] === "alerts" && parts[1] === "rules" && parts[2] !== undefined) return `--rule #${Number(parts[2]) + 1}${parts[3] ? ` (${parts.slice(3).join(".")})` : ""}`;
  const joined = parts.join(".");
  return FIELD_FLAGS[joined] ?? FIELD_FLAGS[parts.slice(0, 2).join(".")] ?? (joined || "monitor");
}

const RULE_FORMS = "new_issue[:<min severity>], regression, threshold:sessions=<n>[,users=<n>][,hours=<h>], yes_rate:<ratio>[,hours=<h>]";

/**
 * One `--rule`: `new_issue`, `new_issue:high`, `regression`, `threshold:sessions=10,hours=24`,
 * `threshold:users=5`, `yes_rate:0.3,hours=12`. Values are checked by the schema afterwards.
 */
export function parseRule(text: string): AlertRule {
  const [kind, rest = ""] = text.split(/:(.*)/s, 2) as [string, string | undefined];
  const bad = (why: string) => new WatchCommandError("invalid_rule", `--rule ${JSON.stringify(text)}: ${why}; forms: ${RULE_FORMS}`);
  const params = new Map<string, string>();
  const bare: string[] = [];
  for (const part of rest
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, value] = part.split("=", 2);
    if (value === undefined) bare.push(key!);
    else params.set(key!.trim(), value.trim());
  }
  const number = (key: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (value === "" || !Number.isFinite(n)) throw bad(`${key} must be a number, got ${JSON.stringify(value)}`);
    return n;
  };
  const unknown = (allowed: string[]) => {
    const extra = [...params.keys()].filter((key) => !allowed.includes(key));
    if (extra.length > 0) throw bad(`unknown ${extra.join(", ")} (allowed: ${allowed.join(", ") || "none"})`);
  };
  switch (kind.trim()) {
    case "new_issue":
      unknown([]);
      if (bare.length > 1) throw bad("give one minimum severity");
      return (bare[0] ? { kind: "new_issue", min_severity: bare[0] } : { kind: "new_issue" }) as AlertRule;
    case "regression":
      if (rest.trim()) throw bad("regression takes no parameters");
      return { kind: "regression" };
    case "threshold": {
      unknown(["sessions", "users", "hours"]);
      if (bare.length > 0) throw bad(`expected key=value, got ${JSON.stringify(bare[0])}`);
      const sessions = number("sessions", params.get("sessions"));
      const users = number("users", params.get("users"));
      const hours = number("hours", params.get("hours"));
      if (sessions === undefined && users === undefined) throw bad("a threshold needs sessions=<n> or users=<n>");
      return { kind: "threshold", ...(sessions !== undefined ? { sessions } : {}), ...(users !== undefined ? { users } : {}), ...(hours !== undefined ? { window_hours: hours } : {}) } as AlertRule;
    }
    case "yes_rate": {
      unknown(["ratio", "hours"]);
      if (bare.length > 1) throw bad("give one ratio");
      const ratio = number("ratio", bare[0] ?? params.get("ratio"));
      if (ratio === undefined) throw bad("a yes_rate rule needs the ratio, e.g. yes_rate:0.3");
      const hours = number("hours", params.get("hours"));
      return { kind: "yes_rate", ratio, ...(hours !== undefined ? { window_hours: hours } : {}) } as AlertRule;
    }
    default:
      throw bad(`unknown rule ${JSON.stringify(kind)}`);
  }
}

export async function runMonitorsAdd(flags: MonitorAddFlags, options: WatchCommandOptions = {}): Promise<number> {
  const definition = await definitionOf(flags);
  return withWatchStore(options, async ({ store, project, clock, io }) => {
    const monitor = await store.createMonitor(project, definition, clock.now());
    if (options.json) {
      io.out(JSON.stringify(monitor));
    } else {
      io.out(monitor.id);
      io.err(
        `Monitor ${JSON.stringify(monitor.name)} added: swept every ${plural(monitor.interval_minutes, "minute")} by \`watch\`, from sessions that finish from now on (older ones only with \`backfill ${monitor.id} --since <date>\`).`,
      );
    }
    return 0;
  });
}

// ---- list, show, pause, resume, remove

async function monitorOf(context: WatchContext, id: string): Promise<Monitor> {
  const monitor = await context.store.getMonitor(context.project, id);
  if (!monitor) throw new WatchCommandError("monitor_not_found", `no monitor ${JSON.stringify(id)} in project ${JSON.stringify(context.project)} (see \`monitors list\`)`);
  return monitor;
}

export async function runMonitorsList(options: WatchCommandOptions = {}): Promise<number> {
  return withWatchStore(options, async ({ store, project, io }) => {
    const monitors = await store.listMonitors(project);
    const rows = await Promise.all(
      monitors.map(async (monitor) => ({
        monitor,
        last_sweep: (await store.listSweeps(project, monitor.id, 1))[0],
        open_issues: (await store.listIssues(project, { monitor_id: monitor.id, states: OPEN_STATES })).length,
      })),
    );
    if (options.json) {
      io.out(JSON.stringify(rows.map(({ monitor, last_sweep, open_issues }) => ({ ...monitor, ...(last_sweep ? { last_sweep } : {}), open_issues }))));
      return 0;
    }
    if (rows.length === 0) {
      io.out("No monitors yet: add one with `monitors add --name <name>`.");
      return 0;
    }
    io.out(
      formatTable(
        ["id", "name", "every", "state", "watermark", "last sweep", "open issues"],
        rows.map(({ monitor, last_sweep, open_issues }) => [
          monitor.id,
          monitor.name,
          `${monitor.interval_minutes} min`,
          monitor.paused ? "paused" : "active",
          shortTime(monitor.watermark ?? monitor.created_at),
          last_sweep ? `${shortTime(last_sweep.started_at)} ${last_sweep.status}` : "-",
          open_issues,
        ]),
      ),
    );
    return 0;
  });
}

export async function runMonitorsShow(id: string, options: WatchCommandOptions = {}): Promise<number> {
  return withWatchStore(options, async (context) => {
    const { store, project, io } = context;
    const monitor = await monitorOf(context, id);
    const sweeps = await store.listSweeps(project, monitor.id, SHOWN_SWEEPS);
    const issues = await store.listIssues(project, { monitor_id: monitor.id, states: OPEN_STATES });
    if (options.json) {
      io.out(JSON.stringify({ monitor, sweeps, open_issues: issues }));
      return 0;
    }
    const { id: _id, project: _project, created_at, watermark, paused, name, ...definition } = monitor;
    io.out(`Monitor ${monitor.id}: ${name} (${paused ? "paused" : "active"}, every ${plural(monitor.interval_minutes, "minute")})`);
    io.out(`Created ${shortTime(created_at)}; takes sessions that finished after ${shortTime(watermark ?? created_at)}${watermark ? "" : " (its creation: nothing swept yet)"}`);
    const budget = [
      monitor.budget.daily_usd !== undefined ? `${usd(monitor.budget.daily_usd)} a day` : undefined,
      monitor.budget.daily_model_calls !== undefined ? `${plural(monitor.budget.daily_model_calls, "model call")} a day` : undefined,
    ].filter(Boolean);
    io.out(`Budget: ${budget.length > 0 ? budget.join(", ") : "none"}`);
    if (monitor.question) io.out(`Question (${monitor.question.answer}${monitor.question.answer === "tags" ? `: ${monitor.question.tags.join(", ")}` : ""}): ${monitor.question.text}`);
    io.out(`\nDefinition:\n${JSON.stringify(definition, null, 2)}`);
    io.out(sweeps.length > 0 ? `\nLast ${plural(sweeps.length, "sweep")}:\n${sweepsTable(sweeps)}` : "\nNo sweep yet.");
    io.out(issues.length > 0 ? `\nOpen issues:\n${issuesTable(issues)}` : "\nNo open issue.");
    return 0;
  });
}

export async function runMonitorsSetPaused(id: string, paused: boolean, options: WatchCommandOptions = {}): Promise<number> {
  return withWatchStore(options, async (context) => {
    const monitor = await monitorOf(context, id);
    await context.store.updateMonitor(context.project, monitor.id, { paused });
    context.io.out(`Monitor ${monitor.id} (${monitor.name}) ${paused ? "paused: `watch` skips it until it is resumed" : "resumed: `watch` sweeps it again"}.`);
    return 0;
  });
}

export async function runMonitorsRemove(id: string, options: WatchCommandOptions = {}): Promise<number> {
  return withWatchStore(options, async (context) => {
    const monitor = await monitorOf(context, id);
    if (!(await context.store.deleteMonitor(context.project, monitor.id))) throw new WatchCommandError("monitor_not_found", `monitor ${JSON.stringify(id)} was removed meanwhile`);
    context.io.out(`Monitor ${monitor.id} (${monitor.name}) removed.`);
    return 0;
  });
}

// ---- sweeps: run-once, estimate, backfill

/**
 * Runs `sweep` with progress on stderr; Ctrl-C (or SIGTERM) stops it, leaving it to be finished by
 * the next run (a second Ctrl-C quits at once). Prints the summary line and returns the exit code.
 */
async function sweepInForeground(context: WatchContext, monitor: Monitor, json: boolean | undefined, sweep: (options: SweepOptions) => Promise<SweepRecord | undefined>): Promise<number> {
  const { io } = context;
  const stop = new AbortController();
  const finished = new AbortController();
  void waitForStop(finished.signal).then((why) => {
    if (finished.signal.aborted) return;
    io.err(`Stopping (${why}): the sweep stays open and the next run-once or watch finishes it. Ctrl-C again quits at once.`);
    stop.abort();
  });
  const lines = new SweepProgressLines(io.err);
  try {
    const record = await sweep({ signal: stop.signal, onProgress: (progress) => lines.show(progress, "  ") });
    if (record) io.out(json ? JSON.stringify(record) : formatSweepLine(record));
    return 0;
  } catch (error) {
    if (stop.signal.aborted) {
      io.err(`Stopped: sweep of ${monitor.name} left open; \`monitors run-once ${monitor.id}\` or \`watch\` finishes it.`);
      return 1;
    }
    // Bad input or configuration (exit 2 with its message), not a failed sweep.
    if (error instanceof WatchCommandError || error instanceof ConfigError) throw error;
    io.err(`error: the sweep of ${monitor.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    finished.abort();
  }
}

export async function runMonitorsRunOnce(id: string, options: WatchCommandOptions = {}): Promise<number> {
  return withWatchStore(options, async (context) => {
    const monitor = await monitorOf(context, id);
    const opened = openSweeper(context, options);
    try {
      context.io.err(`Sweeping ${monitor.name} (${monitor.id}): sessions that finished since ${shortTime(monitor.watermark ?? monitor.created_at)}`);
      return await sweepInForeground(context, monitor, options.json, (sweepOptions) => opened.sweeper.runSweep(context.project, monitor.id, sweepOptions));
    } finally {
      await opened.close();
    }
  });
}

export async function runMonitorsEstimate(id: string, options: WatchCommandOptions = {}): Promise<number> {
  return withWatchStore(options, async (context) => {
    const monitor = await monitorOf(context, id);
    const opened = openSweeper(context, options);
    try {
      const estimate = await opened.sweeper.estimateSweep(context.project, monitor.id);
      context.io.out(options.json ? JSON.stringify(estimate) : formatEstimate(`Next sweep of ${monitor.name}`, estimate));
      return 0;
    } finally {
      await opened.close();
    }
  });
}

export interface BackfillOptions extends WatchCommandOptions {
  since: string;
  dryRun?: boolean;
  yes?: boolean;
  /** Whether a person can answer the confirmation (default: stdin is a terminal). */
  interactive?: boolean;
  /** Asks the question, resolves with the answer (default: a prompt on the terminal). */
  confirm?: (question: string) => Promise<boolean>;
}

/**
 * `backfill <monitor> --since <date>`: the estimate first, then (unless `--dry-run`) the sweep of the
 * sessions that finished since the date, after a confirmation on a terminal or `--yes`. Without a
 * terminal and without `--yes` it refuses: nobody agreed to the cost.
 */
export async function runBackfill(id: string, options: BackfillOptions): Promise<number> {
  return withWatchStore(options, async (context) => {
    const { io, project } = context;
    const monitor = await monitorOf(context, id);
    const opened = openSweeper(context, options);
    try {
      const { estimate } = await opened.sweeper.backfill(project, monitor.id, { since: options.since, dryRun: true });
      const described = formatEstimate(`Backfill of ${monitor.name} since ${options.since}`, estimate);
      // With --json, stdout holds one JSON value: the estimate of a dry run, else the sweep.
      if (!options.json) io.out(described);
      else if (options.dryRun) io.out(JSON.stringify(estimate));
      else io.err(described);
      if (options.dryRun) return 0;
      if (estimate.sessions === 0) {
        io.err("Nothing to backfill: no finished session since then that this monitor has not taken.");
        return 0;
      }
      if (!options.yes) {
        const interactive = options.interactive ?? process.stdin.isTTY === true;
        if (!interactive) {
          throw new WatchCommandError("confirmation_needed", `backfill needs a confirmation: run it on a terminal, or add --yes to accept the estimate above (--dry-run only estimates)`);
        }
        const agreed = await (options.confirm ?? confirmOnTerminal)(`Backfill ${plural(estimate.sessions, "session")} for about ${usd(estimate.cost_usd)}? [y/N] `);
        if (!agreed) {
          io.err("Backfill cancelled.");
          return 1;
        }
      }
      return await sweepInForeground(context, monitor, options.json, async (sweepOptions) => (await opened.sweeper.backfill(project, monitor.id, { ...sweepOptions, since: options.since })).sweep);
    } finally {
      await opened.close();
    }
  });
}

async function confirmOnTerminal(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(question)).trim());
  } finally {
    terminal.close();
  }
}
