import { setMaxListeners } from "node:events";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { SessionSummariesError } from "../domain/errors.ts";
import { parseSelection, SelectionError, type SessionSelection } from "../domain/selection.ts";
import { runCapture } from "./capture.ts";
import { runInspect } from "./inspect.ts";
import { runSummarize } from "./summarize.ts";
import { runEval } from "./eval.ts";
import { runGenerate } from "./generate.ts";
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
    .action(async (dataset: string, o: SummarizeFlags) => {
      const exitCode = await runSummarize({
        dataset,
        selection: selectionOfFlags(o),
        title: o.title,
        focus: o.focus,
        models: o.model ? parseModelOverrides(o.model) : undefined,
        out: o.out,
        runId: o.runId,
        concurrency: o.concurrency,
        validation: o.validate,
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
    .action(async (dataset: string, o: { json?: boolean; model?: string[]; runId?: string; concurrency?: number; validate?: ValidationMode }) => {
      const exitCode = await runEval({
        dataset,
        json: o.json,
        models: o.model ? parseModelOverrides(o.model) : undefined,
        runId: o.runId,
        concurrency: o.concurrency,
        validation: o.validate,
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

  return program;
}

interface SummarizeFlags {
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
