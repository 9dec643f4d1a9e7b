import { setMaxListeners } from "node:events";
import { TRIAGE_MODES, type TriageMode } from "../domain/triage.ts";
import type { SpeedSettings } from "../config/env.ts";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { SessionSummariesError } from "../domain/errors.ts";
import { parseSelection, SelectionError, type SessionSelection } from "../domain/selection.ts";
import { runCapture } from "./capture.ts";
import { runInspect } from "./inspect.ts";
import { runSummarize } from "./summarize.ts";
import { runQueuesStatus } from "./queues.ts";
import { runWorker } from "./worker.ts";
import { runEval } from "./eval.ts";
import { runGenerate } from "./generate.ts";
import { runIssueAction, runIssuesList, runIssuesPage, runIssuesShow, runIssuesTicket } from "./issues.ts";
import { runBackfill, runMonitorsAdd, runMonitorsEstimate, runMonitorsList, runMonitorsRemove, runMonitorsRunOnce, runMonitorsSetPaused, runMonitorsShow, type MonitorAddFlags } from "./monitors.ts";
import { runWatch } from "./watch.ts";
import { parseModelOverrides } from "../config/models.ts";
import { VALIDATION_MODES, type ValidationMode } from "../domain/validation-mode.ts";
// Imported once when the CLI loads, so --version names the package this code was installed from.
import packageJson from "../../package.json" with { type: "json" };

export function buildProgram(): Command {
  const program = new Command()
    .name("session-summaries")
    .description("Watches a product's user sessions so nobody has to, and says what went wrong, with evidence.")
    .version(`${packageJson.name} ${packageJson.version}`, "-V, --version", "print the name and version, then exit")
    .exitOverride()
    .showHelpAfterError();

  program
    .command("inspect")
    .description("Show what each session of a dataset holds, and what it costs in tokens raw vs encoded")
    .argument("<dataset>", "dataset directory (sessions/<id>/{meta.json,events.jsonl[.gz],recording.jsonl[.gz]})")
    .option("--session <id>", "inspect one session and print its encoded prompt table")
    .option("--json", "print JSON instead of tables")
    .action(async (dataset: string, options: { session?: string; json?: boolean }) => {
      program.setOptionValue("exitCode", await runInspect(dataset, options));
    });

  program
    .command("summarize")
    .description("Summarize sessions and group their issues into patterns; writes report.md, report.json and report.html")
    .argument("<dataset>", "dataset directory")
    .option("--sessions <ids>", "comma-separated session ids", (value: string) =>
      value
        .split(",")
        .map((id) => id.trim())
        .filter(Boolean),
    )
    .option("--limit <n>", "at most this many sessions (newest first)", parsePositiveInt)
    .option("--first-url <text>", "sessions whose first page's URL contains this (case-insensitive)")
    .option("--visited-url <text>", "sessions that visited a page whose URL contains this, at any point (case-insensitive)")
    .option("--event <name>", "sessions with an event of this name, e.g. $rageclick")
    .option("--person <text>", "sessions of this person (distinct id, or part of it)")
    .addOption(new Option("--url-contains <text>", "removed: use --visited-url or --first-url").hideHelp())
    .option("--has-exception", "only sessions with an exception")
    .option("--from <date>", "sessions that started at or after this date (ISO)", parseDate)
    .option("--to <date>", "sessions that started before this date (ISO)", parseDate)
    .option("--min-duration <seconds>", "sessions at least this long", parsePositiveInt)
    .option("--focus <text>", 'what to look at, e.g. "checkout"')
    .option("--title <text>", "report title")
    .option("--model <role=provider:model>", "model for a role (summarizer, reasoner, vision, chat); repeatable", (value: string, all: string[] = []) => [...all, value])
    .option("--out <dir>", "where to write the report files (default reports/<run id>)")
    .option("--run-id <id>", "resume this run (same id) or name a new one")
    .option("--concurrency <n>", "sessions summarized at once", parsePositiveInt)
    .option("--validate <mode>", "check flagged issues against the replay: off | blocking | all-issues (default blocking, or SESSION_SUMMARIES_VALIDATE)", parseValidationMode)
    .option("--dry-run", "only print the sessions it would take and the estimated model calls, tokens and cost; run nothing")
    .option("--triage <mode>", "with a model: signals (sessions without an issue signal are summarized offline, never sent; the default) | off", parseTriageMode)
    .option("--batch", "with a model: several small sessions per summarizer call")
    .option("--hedge", "with a model: a duplicate of a call slower than its stage's p90, and a gather that does not wait for the last stragglers")
    .option("--fast", "with a model: triage, batching and hedging on")
    .action(async (dataset: string, o: SummarizeFlags) => {
      const exitCode = await runSummarize({
        ...(o.dryRun ? { dryRun: true } : {}),
        dataset,
        selection: selectionOfFlags(o),
        title: o.title,
        focus: o.focus,
        models: o.model ? parseModelOverrides(o.model) : undefined,
        out: o.out,
        runId: o.runId,
        concurrency: o.concurrency,
        validation: o.validate,
        speed: speedOfFlags(o),
      });
      program.setOptionValue("exitCode", exitCode);
    });

  program
    .command("eval")
    .description("Score a report over a labelled dataset (labels.json): issue precision and recall, false blocking, pattern recovery")
    .argument("<dataset>", "dataset directory with labels.json")
    .option("--json", "print the figures as one JSON line")
    .option("--model <role=provider:model>", "model for a role; repeatable", (value: string, all: string[] = []) => [...all, value])
    .option("--run-id <id>", "score this run (resumed or read if it exists)")
    .option("--concurrency <n>", "sessions summarized at once", parsePositiveInt)
    .option("--validate <mode>", "check flagged issues against the replay: off | blocking | all-issues", parseValidationMode)
    .option("--triage <mode>", "with a model: signals | off", parseTriageMode)
    .option("--batch", "with a model: several small sessions per summarizer call")
    .option("--hedge", "with a model: hedged calls and an early gather")
    .option("--fast", "with a model: triage, batching and hedging on")
    .action(async (dataset: string, o: { json?: boolean; model?: string[]; runId?: string; concurrency?: number; validate?: ValidationMode } & SpeedFlags) => {
      const exitCode = await runEval({
        dataset,
        json: o.json,
        models: o.model ? parseModelOverrides(o.model) : undefined,
        runId: o.runId,
        concurrency: o.concurrency,
        validation: o.validate,
        speed: speedOfFlags(o),
      });
      program.setOptionValue("exitCode", exitCode);
    });

  program
    .command("generate")
    .description("Record sessions of scripted users on a demo app in Debian's Chromium, with posthog-js and the capture server, and label them")
    .requiredOption("--out <dataset>", "dataset directory to write (an existing one is continued)")
    .option("--app <name>", "demo app the users visit: shop or campaigns", "shop")
    .option("--sessions <n>", "how many sessions", parsePositiveInt, 10)
    .option("--seed <n>", "seed for personas and variants", (v: string) => Number.parseInt(v, 10), 1)
    .option("--concurrency <n>", "browser contexts at once", parsePositiveInt, 3)
    .option("--personas <names>", "run these personas in order (name or name:variant, comma-separated)", (v: string) =>
      v
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .option("--short", "shorter sessions (20–45 s)")
    .option("--chromium <path>", "Chromium binary")
    .action(async (o: { out: string; app: string; sessions: number; seed: number; concurrency: number; personas?: string[]; short?: boolean; chromium?: string }) => {
      program.setOptionValue("exitCode", await runGenerate(o));
    });

  program
    .command("capture")
    .description("Run a local capture server that posthog-js can send to, writing a dataset directory")
    .requiredOption("--out <dataset>", "dataset directory to write (created if missing; an existing one is continued)")
    .option("--port <port>", "port to listen on", parsePort, 8010)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--token <token>", "accept only this project token (others get 401)")
    .option("--gzip", "gzip events and recordings when stopping")
    .action(async (options: { out: string; port: number; host: string; token?: string; gzip?: boolean }) => {
      program.setOptionValue("exitCode", await runCapture(options));
    });

  program
    .command("serve")
    .description("Serve the chat and reports API (Server-Sent Events) and the report pages")
    .option("--port <port>", "port to listen on (default 8020, SESSION_SUMMARIES_PORT)", parsePort)
    .option("--host <host>", "address to listen on (default 127.0.0.1, SESSION_SUMMARIES_HOST)")
    .option("--dataset <dir>", "dataset of the projects in SESSION_SUMMARIES_API_KEYS (or of the keyless local project)")
    .option("--config <file>", 'JSON file of projects: { "projects": { "<name>": { "dataset": "<dir>", "api_keys": ["<key>"] } } }')
    .action(async (o: { port?: number; host?: string; dataset?: string; config?: string }) => {
      // Loaded on demand: the server pulls in the chat graph, which other commands do not need.
      const { runServe } = await import("./serve.ts");
      program.setOptionValue("exitCode", await runServe(o));
    });
  program
    .command("chat")
    .description("Chat about the sessions of a dataset: summarize, then ask follow-ups; the thread is kept and can be resumed")
    .option("--dataset <dir>", "dataset directory (default SESSION_SUMMARIES_DATASET)")
    .option("--thread <id>", "resume this conversation")
    .option("--model <role=provider:model>", "model for a role (chat, summarizer, reasoner, vision); repeatable", (value: string, all: string[] = []) => [...all, value])
    .option("--validate <mode>", "check flagged issues against the replay: off | blocking | all-issues", parseValidationMode)
    .action(async (o: { dataset?: string; thread?: string; model?: string[]; validate?: ValidationMode }) => {
      // Loaded on demand, like serve: the chat graph is not needed by other commands.
      const { runChat } = await import("./chat.ts");
      program.setOptionValue(
        "exitCode",
        await runChat({ dataset: o.dataset, thread: o.thread, ...(o.model ? { models: parseModelOverrides(o.model) } : {}), ...(o.validate ? { validation: o.validate } : {}) }),
      );
    });
  program
    .command("mcp")
    .description("Serve the chat tools, the reports and a triage prompt to MCP clients (Claude, Cursor…): over stdio, or Streamable HTTP with --http")
    .option("--http", "Streamable HTTP on /mcp (API keys as for serve) instead of stdio")
    .option("--port <port>", "with --http: port to listen on (default 8030)", parsePort)
    .option("--host <host>", "with --http: address to listen on (default 127.0.0.1, SESSION_SUMMARIES_HOST)")
    .option("--dataset <dir>", "dataset directory (default SESSION_SUMMARIES_DATASET)")
    .option("--project <name>", "over stdio: the project served (default local, the CLI's)")
    .option("--config <file>", "with --http: the projects file of serve --config")
    .action(async (o: { http?: boolean; port?: number; host?: string; dataset?: string; project?: string; config?: string }) => {
      // Loaded on demand, like serve: the MCP SDK and the chat tools are not needed by other commands.
      const { runMcp } = await import("./mcp.ts");
      program.setOptionValue("exitCode", await runMcp(o));
    });

  registerWatchCommands(program);

  return program;
}

/** Flags every watch command that sweeps or estimates takes. */
interface SweepFlags {
  dataset?: string;
  validate?: ValidationMode;
  json?: boolean;
}

function sweepOptionsOf(o: SweepFlags) {
  return { ...(o.dataset ? { dataset: o.dataset } : {}), ...(o.validate ? { validation: o.validate } : {}), ...(o.json ? { json: true } : {}) };
}

/** `monitors …`, `backfill`, `watch` and `issues …`: watching the terminal's project (`local`, as `serve` without API keys). */
function registerWatchCommands(program: Command): void {
  const setExit = (code: number): void => {
    program.setOptionValue("exitCode", code);
  };
  const datasetOption = () => new Option("--dataset <dir>", "dataset directory of the sessions (default SESSION_SUMMARIES_DATASET)");
  const validateOption = () => new Option("--validate <mode>", "check flagged issues against the replay: off | blocking | all-issues").argParser(parseValidationMode);
  const repeatable = (value: string, all: string[] = []) => [...all, value];

  const monitors = program
    .command("monitors")
    .description("Saved monitors: which sessions to watch, a question to ask of each, how often, the budget and the alerts")
    .addHelpText(
      "after",
      `
Example:
  $ session-summaries monitors add --name Checkout --visited-url /checkout --question "Did the user pay?" --answer yes_no --daily-usd 5 --webhook https://hooks.example/x --secret-ref hooks
  $ session-summaries backfill <id> --since 2026-11-01 --dry-run --dataset examples/dataset
  $ session-summaries watch --dataset examples/dataset`,
    );

  monitors
    .command("add")
    .description("Add a monitor (from flags, or --file monitor.json) and print its id; it sweeps sessions that finish from now on")
    .option("--file <monitor.json>", "the whole definition as JSON (checked like the API's)")
    .option("--name <name>", "what to call it")
    .option("--focus <text>", 'what to look at, e.g. "checkout"')
    .option("--first-url <text>", "only sessions whose first page's URL contains this")
    .option("--visited-url <text>", "only sessions that visited a page whose URL contains this")
    .option("--event <name>", "only sessions with an event of this name, e.g. $rageclick")
    .option("--person <text>", "only sessions of this person (distinct id, or part of it)")
    .option("--has-exception", "only sessions with an exception")
    .option("--min-duration <seconds>", "only sessions at least this long", parsePositiveInt)
    .option("--limit <n>", "at most this many sessions per sweep (the rest wait for the next)", parsePositiveInt)
    .option("--question <text>", "a question asked of every session, answered with evidence")
    .option("--answer <type>", "the question's answer: yes_no (default), tags or score (1-5)")
    .option("--tags <a,b>", "the tags a tags answer chooses from", parseList)
    .option("--interval <minutes>", "minutes between sweeps (default 15)", parsePositiveInt)
    .option("--daily-usd <usd>", "stop the day's work at this cost (UTC day)", parseNonNegativeNumber)
    .option("--daily-calls <n>", "stop the day's work at this many model calls", parseNonNegativeInt)
    .option("--webhook <url>", "send alerts as signed JSON to this URL; repeatable", repeatable)
    .option("--secret-ref <name>", "name of the secret (SESSION_SUMMARIES_ALERT_SECRETS) that signs --webhook deliveries")
    .option("--slack <url>", "send alerts to this Slack incoming webhook; repeatable", repeatable)
    .option("--rule <rule>", "alert rule, repeatable: new_issue[:severity], regression, threshold:sessions=N[,users=N][,hours=H], yes_rate:R[,hours=H] (default new_issue, regression)", repeatable)
    .option("--cooldown <minutes>", "no second alert of a rule for an issue within this (default 60)", parseNonNegativeInt)
    .option("--min-sessions <n>", "threshold and yes-rate alerts need this many sessions in their window (default 3)", parsePositiveInt)
    .option("--resolve-after-sweeps <n>", "an issue unseen for this many sweeps (and --resolve-after-hours) is resolved (default 3)", parsePositiveInt)
    .option("--min-issue-sessions <n>", "sessions (counted across sweeps) a problem needs to become an issue; before that it is a candidate (default 2)", parsePositiveInt)
    .option("--resolve-after-hours <hours>", "... and for at least this many hours (default 24)", parseNonNegativeNumber)
    .option("--json", "print the monitor as JSON")
    .action(async (o: MonitorAddFlags & { json?: boolean }) => {
      const { json, ...flags } = o;
      setExit(await runMonitorsAdd(flags, json ? { json } : {}));
    });

  monitors
    .command("list")
    .description("List the monitors with their last sweep and open issues")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => setExit(await runMonitorsList(o)));

  monitors
    .command("show")
    .description("Show a monitor: its definition, watermark, last sweeps (status, sessions, cost) and open issues")
    .argument("<id>", "monitor id")
    .option("--json", "print JSON")
    .action(async (id: string, o: { json?: boolean }) => setExit(await runMonitorsShow(id, o)));

  monitors
    .command("pause")
    .description("Pause a monitor: watch skips it")
    .argument("<id>", "monitor id")
    .action(async (id: string) => setExit(await runMonitorsSetPaused(id, true)));

  monitors
    .command("resume")
    .description("Resume a paused monitor")
    .argument("<id>", "monitor id")
    .action(async (id: string) => setExit(await runMonitorsSetPaused(id, false)));

  monitors
    .command("remove")
    .description("Remove a monitor with its sweeps, issues and alerts")
    .argument("<id>", "monitor id")
    .action(async (id: string) => setExit(await runMonitorsRemove(id)));

  monitors
    .command("run-once")
    .description("Sweep a monitor now (sessions finished since its watermark), with progress on stderr, then a summary line")
    .argument("<id>", "monitor id")
    .addOption(datasetOption())
    .addOption(validateOption())
    .option("--json", "print the sweep as JSON")
    .action(async (id: string, o: SweepFlags) => setExit(await runMonitorsRunOnce(id, sweepOptionsOf(o))));

  monitors
    .command("estimate")
    .description("What the monitor's next sweep would take and cost: sessions, model calls, tokens, USD")
    .argument("<id>", "monitor id")
    .addOption(datasetOption())
    .addOption(validateOption())
    .option("--json", "print JSON")
    .action(async (id: string, o: SweepFlags) => setExit(await runMonitorsEstimate(id, sweepOptionsOf(o))));

  program
    .command("backfill")
    .description("Sweep sessions that finished since a date (a monitor never does on its own): prints the estimate first, then asks")
    .argument("<monitor-id>", "monitor id")
    .requiredOption("--since <date>", "sessions that finished at or after this date (ISO)", parseDate)
    .option("--dry-run", "only print the estimate")
    .option("--yes", "do not ask for confirmation (needed without a terminal)")
    .addOption(datasetOption())
    .addOption(validateOption())
    .option("--json", "print the estimate (--dry-run) or the sweep as JSON")
    .action(async (id: string, o: SweepFlags & { since: string; dryRun?: boolean; yes?: boolean }) => {
      setExit(await runBackfill(id, { ...sweepOptionsOf(o), since: o.since, ...(o.dryRun ? { dryRun: true } : {}), ...(o.yes ? { yes: true } : {}) }));
    });

  program
    .command("watch")
    .description("Run the scheduler in the foreground: sweep every due monitor, with a line per sweep; Ctrl-C stops cleanly")
    .addOption(datasetOption())
    .addOption(validateOption())
    .option("--once", "sweep the due monitors once, then exit")
    .option("--concurrency <n>", "sweeps at once (default 2)", parsePositiveInt)
    .action(async (o: SweepFlags & { once?: boolean; concurrency?: number }) => {
      setExit(await runWatch({ ...sweepOptionsOf(o), ...(o.once ? { once: true } : {}), ...(o.concurrency ? { concurrency: o.concurrency } : {}) }));
    });

  program
    .command("worker")
    .description("Process session and render jobs from the BullMQ queues on SESSION_SUMMARIES_QUEUE until SIGTERM (then finish the active ones and exit 0)")
    .option("--queues <names>", "queues to serve, comma-separated: sessions,render, sessions, or render (clips, in one Chromium)", "sessions,render")
    .option("--concurrency <n>", "session jobs run at once by this process (default 1)", parsePositiveInt)
    .option("--render-concurrency <n>", "clips rendering at once in its Chromium (CPU-bound; default 1)", parsePositiveInt)
    .option("--dataset <dirs>", "dataset directory of the sessions, or several separated by commas (default SESSION_SUMMARIES_DATASET)")
    .option("--prefix <prefix>", "the deployment's queue prefix (default SESSION_SUMMARIES_QUEUE_PREFIX, else session-summaries-queue)")
    .action(async (o: { queues: string; concurrency?: number; renderConcurrency?: number; dataset?: string; prefix?: string }) => {
      program.setOptionValue(
        "exitCode",
        await runWorker({
          queues: o.queues,
          ...(o.concurrency ? { concurrency: o.concurrency } : {}),
          ...(o.renderConcurrency ? { renderConcurrency: o.renderConcurrency } : {}),
          ...(o.dataset ? { dataset: o.dataset } : {}),
          ...(o.prefix ? { prefix: o.prefix } : {}),
        }),
      );
    });

  const queues = program.command("queues").description("The BullMQ queues of the workers (SESSION_SUMMARIES_QUEUE): job counts and failures");
  queues
    .command("status")
    .description("Waiting, active, delayed, completed and failed jobs per queue, and the latest failures with their reasons")
    .option("--json", "print JSON")
    .option("--failures <n>", "latest failures to list per queue (default 5)", parsePositiveInt)
    .action(async (o: { json?: boolean; failures?: number }) => {
      program.setOptionValue("exitCode", await runQueuesStatus({ ...(o.json ? { json: true } : {}), ...(o.failures !== undefined ? { failures: o.failures } : {}) }));
    });

  const issues = program.command("issues").description("Issues tracked over time by the monitors' sweeps: list, show, snooze, mute, resolve, reopen, and the issues page");

  issues
    .command("list")
    .description("List issues (oldest first), with state, severity, sessions and users affected")
    .option("--state <states>", "open, or some of new, ongoing, resolved, regressed, snoozed, muted (comma-separated; repeatable)", repeatable)
    .option("--monitor <id>", "only this monitor's issues")
    .option("--json", "print JSON")
    .action(async (o: { state?: string[]; monitor?: string; json?: boolean }) => {
      setExit(await runIssuesList({ ...(o.state ? { states: o.state } : {}), ...(o.monitor ? { monitor: o.monitor } : {}) }, o.json ? { json: true } : {}));
    });

  issues
    .command("show")
    .description("Show an issue: state, counts per day, examples with their replay checks, alerts")
    .argument("<id>", "issue id")
    .option("--json", "print JSON")
    .action(async (id: string, o: { json?: boolean }) => setExit(await runIssuesShow(id, o)));

  issues
    .command("snooze")
    .description("Snooze an issue until a date: no alerts until then")
    .argument("<id>", "issue id")
    .requiredOption("--until <date>", "ISO date or time in the future", parseDate)
    .action(async (id: string, o: { until: string }) => setExit(await runIssueAction(id, "snooze", { until: o.until })));

  for (const [action, description] of [
    ["mute", "Mute an issue: tracked, never alerted"],
    ["resolve", "Mark an issue resolved (seen again, it is regressed)"],
    ["reopen", "Reopen an issue"],
  ] as const) {
    issues
      .command(action)
      .description(description)
      .argument("<id>", "issue id")
      .action(async (id: string) => setExit(await runIssueAction(id, action, {})));
  }

  issues
    .command("page")
    .description("Write the self-contained issues page (states, trend per issue, examples) to a file")
    .requiredOption("--out <file>", "HTML file to write")
    .option("--monitor <id>", "only this monitor's issues")
    .option("--days <n>", "days the trend charts cover (default 30)", parsePositiveInt)
    .action(async (o: { out: string; monitor?: string; days?: number }) => {
      setExit(await runIssuesPage(o.out, { ...(o.monitor ? { monitor: o.monitor } : {}), ...(o.days ? { days: o.days } : {}) }));
    });

  issues
    .command("ticket")
    .description("Send an issue to your tracker (GitHub, Linear or a webhook) with its evidence: once; asked again, the same link")
    .argument("<id>", "issue id")
    .option("--to <tracker>", "github, linear or webhook (default: the first set up)")
    .option("--json", "print JSON")
    .action(async (id: string, o: { to?: string; json?: boolean }) => setExit(await runIssuesTicket(id, o.to !== undefined ? { to: o.to } : {}, o.json ? { json: true } : {})));
}

/** The speed levers on the command line; unset ones keep the configuration's (SESSION_SUMMARIES_TRIAGE, _BATCH, _HEDGE). */
interface SpeedFlags {
  triage?: TriageMode;
  batch?: boolean;
  hedge?: boolean;
  fast?: boolean;
}

function speedOfFlags(o: SpeedFlags): Partial<SpeedSettings> {
  return {
    ...(o.fast ? { triage: "signals" as const, batch: true, hedge: true } : {}),
    ...(o.triage ? { triage: o.triage } : {}),
    ...(o.batch ? { batch: true } : {}),
    ...(o.hedge ? { hedge: true } : {}),
  };
}

function parseTriageMode(value: string): TriageMode {
  if (!(TRIAGE_MODES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${TRIAGE_MODES.join(", ")}`);
  return value as TriageMode;
}

interface SummarizeFlags extends SpeedFlags {
  dryRun?: boolean;
  sessions?: string[];
  limit?: number;
  firstUrl?: string;
  visitedUrl?: string;
  event?: string;
  person?: string;
  urlContains?: string;
  hasException?: boolean;
  from?: string;
  to?: string;
  minDuration?: number;
  focus?: string;
  title?: string;
  model?: string[];
  out?: string;
  runId?: string;
  concurrency?: number;
  validate?: ValidationMode;
}

/** Flag names of the selection's fields, so an error names the flag the person typed. */
const SELECTION_FLAGS: Record<string, string> = {
  ids: "--sessions",
  from: "--from",
  to: "--to",
  first_url_contains: "--first-url",
  visited_url_contains: "--visited-url",
  event: "--event",
  person: "--person",
  has_exception: "--has-exception",
  min_duration_ms: "--min-duration",
  limit: "--limit",
};

/**
 * The flags as the one session selection, checked like the API's and the chat's. `--url-contains`
 * is refused: it meant the first URL here and any visited page elsewhere.
 */
export function selectionOfFlags(o: SummarizeFlags): SessionSelection {
  if (o.urlContains !== undefined) {
    throw new SelectionError(
      `--url-contains was removed (it matched only the first URL): use --visited-url ${JSON.stringify(o.urlContains)} for sessions that visited such a page, or --first-url for sessions that started on one`,
    );
  }
  try {
    return parseSelection({
      ...(o.sessions ? { ids: o.sessions } : {}),
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
      ...(o.firstUrl !== undefined ? { first_url_contains: o.firstUrl } : {}),
      ...(o.visitedUrl !== undefined ? { visited_url_contains: o.visitedUrl } : {}),
      ...(o.event !== undefined ? { event: o.event } : {}),
      ...(o.person !== undefined ? { person: o.person } : {}),
      ...(o.hasException ? { has_exception: true } : {}),
      ...(o.from ? { from: o.from } : {}),
      ...(o.to ? { to: o.to } : {}),
      ...(o.minDuration !== undefined ? { min_duration_ms: o.minDuration * 1000 } : {}),
    });
  } catch (error) {
    if (!(error instanceof SelectionError)) throw error;
    // The schema names fields; the person typed flags.
    const flagOf = (field: string): string => SELECTION_FLAGS[field] ?? field;
    throw new SelectionError(
      error.message
        .replace(/\b(ids|from|to|first_url_contains|visited_url_contains|event|person|has_exception|min_duration_ms|limit)(?=:)/g, flagOf)
        // The "(also given: a, b)" list names fields too.
        .replace(/\(also given: ([^)]*)\)/g, (_whole, list: string) => `(also given: ${list.split(", ").map(flagOf).join(", ")})`),
    );
  }
}

function parseValidationMode(value: string): ValidationMode {
  if (!(VALIDATION_MODES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${VALIDATION_MODES.join(", ")}`);
  return value as ValidationMode;
}

function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`not a whole number: ${value}`);
  return n;
}

function parseNonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`not a non-negative number: ${value}`);
  return n;
}

function parseList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`not a positive whole number: ${value}`);
  return n;
}

function parseDate(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`not a date: ${value} (use ISO, e.g. 2026-11-01 or 2026-11-01T10:00:00Z)`);
  return new Date(ms).toISOString();
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError(`not a port number: ${value}`);
  return port;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 nothing usable, 2 bad input or usage. */
export async function main(argv: string[]): Promise<number> {
  // A report fans out to many concurrent model calls, each listening on the run's abort signal.
  setMaxListeners(256);
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return (program.getOptionValue("exitCode") as number | undefined) ?? 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof SessionSummariesError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
