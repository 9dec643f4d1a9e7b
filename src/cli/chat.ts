import { openWatchStore } from "../watch/store/open.ts";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { createInterface, type Interface } from "node:readline";
import type { Readable } from "node:stream";
import { compileChatGraph, readChatThread, streamChatTurn } from "../../graph/chat/index.ts";
import type { LoadModelOptions, ModelOverrides } from "../llm/models.ts";
import { createPipeline } from "../../graph/pipeline.ts";
import { readConfig, type AppConfig } from "../config/env.ts";
import { ConfigError, SessionSummariesError } from "../domain/errors.ts";
import type { Report } from "../domain/report.ts";
import type { RunStage } from "../domain/progress.ts";
import { DatasetSource } from "../sources/dataset.ts";
import { createCheckpointer } from "../store/checkpointer.ts";
import type { ValidationMode } from "../domain/validation-mode.ts";
import { RunProgress } from "./run-progress.ts";
import { writeReport } from "./summarize.ts";
import { fileExists } from "../io/open.ts";

/** The terminal's project: the same as the keyless local project of `serve`. */
const LOCAL_PROJECT = "local";
const THREAD_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export interface ChatCommandOptions {
  dataset?: string;
  /** Resume this thread. */
  thread?: string;
  models?: ModelOverrides;
  validation?: ValidationMode;
  /** For tests: the lines to read, where answers and progress go, the configuration, the model factory. */
  input?: Readable;
  output?: NodeJS.WriteStream;
  errors?: NodeJS.WriteStream;
  config?: AppConfig;
  modelOptions?: LoadModelOptions;
  /** Where the chat's reports are written, one folder per report (default `reports/`, as `summarize`). */
  reportsDir?: string;
}

/** Why a terminal turn stopped: the person pressed Ctrl-C while it answered. */
export class TurnCancelledError extends SessionSummariesError {
  constructor() {
    super("cancelled", "cancelled with Ctrl-C");
  }
}

/** The chat graph's checkpoint thread of a terminal thread; the same scheme as the API's threads. */
export function terminalThreadId(threadId: string): string {
  return `${LOCAL_PROJECT}/chat/${threadId}`;
}

/**
 * `session-summaries chat`: the chat agent in the terminal, on the embedded checkpointer, so a
 * thread can be resumed with `--thread`. Reads one request per line (typed, or piped), streams the
 * answer to stdout, progress and tool calls to stderr. Returns the exit code.
 */
export async function runChat(options: ChatCommandOptions = {}): Promise<number> {
  const out = options.output ?? process.stdout;
  const err = options.errors ?? process.stderr;
  const config = options.config ?? readConfig();
  const dataset = options.dataset ?? config.datasetDir;
  if (!dataset) throw new ConfigError("missing_dataset", "chat needs a dataset: pass --dataset <dir> or set SESSION_SUMMARIES_DATASET");
  if (options.thread !== undefined && !THREAD_ID.test(options.thread)) {
    throw new ConfigError("invalid_thread", `--thread: expected letters, digits, - and _ (up to 100), got ${JSON.stringify(options.thread)}`);
  }
  const threadId = options.thread ?? randomUUID();
  const checkpointer = await createCheckpointer(config.store.checkpointer);
  const models: LoadModelOptions = { ...options.modelOptions, ...(options.models ? { overrides: options.models } : {}) };
  let closePipeline = async () => {};
  let closeWatch = async () => {};
  const input = options.input ?? process.stdin;
  // Ctrl-C while a turn answers cancels that turn (the thread stays usable); when idle, it ends the chat.
  let turn: AbortController | undefined;
  let lines: Interface | undefined;
  let stopped = false;
  const interrupt = () => {
    if (turn && !turn.signal.aborted) {
      turn.abort(new TurnCancelledError());
      return;
    }
    stopped = true;
    lines?.close();
  };
  process.on("SIGINT", interrupt);
  try {
    const pipeline = await createPipeline({
      config,
      source: new DatasetSource(path.resolve(dataset)),
      project: LOCAL_PROJECT,
      checkpointer: checkpointer.saver,
      models,
      ...(options.validation ? { validation: options.validation } : {}),
    });
    closePipeline = () => pipeline.close();
    // The terminal has no server: a report made or read here is written where `summarize` writes its own.
    const reportsDir = path.resolve(options.reportsDir ?? "reports");
    const reportLocation = async (report: Report): Promise<string> => {
      const file = reportFile(reportsDir, report.id);
      if (!(await fileExists(file))) await writeReport(report, path.dirname(file), pipeline.runtime);
      return file;
    };
    // Monitors and issues of this machine (`monitors`, `watch`): the chat's watch tools read and update them.
    const watch = await openWatchStore(config);
    closeWatch = () => watch.close();
    const graph = compileChatGraph({ runtime: pipeline.runtime, config, checkpointer: checkpointer.saver, models, reportLocation, watch });
    const checkpointThread = terminalThreadId(threadId);

    const existing = await readChatThread(graph, checkpointThread);
    if (options.thread !== undefined && !existing) err.write(`Thread ${threadId} has no messages yet: starting it.\n`);
    if (existing) {
      err.write(`Resuming thread ${threadId}: ${existing.messages.filter((m) => m.role === "user").length} earlier requests${existing.report_id ? `, latest report ${existing.report_id}` : ""}.\n`);
    } else {
      err.write(`Thread ${threadId}, kept in ${checkpointer.description} (resume it with --thread ${threadId}). Ask e.g. "summarize sessions with errors on checkout".\n`);
    }

    const interactive = input === process.stdin && process.stdin.isTTY === true;
    lines = createInterface({ input, terminal: false });
    if (stopped) lines.close();
    if (interactive) out.write("> ");
    for await (const raw of lines) {
      const message = raw.trim();
      if (message === "") {
        if (interactive) out.write("> ");
        continue;
      }
      if (message === "exit" || message === "quit") break;
      turn = new AbortController();
      try {
        await chatTurn(graph, checkpointThread, message, out, err, turn.signal, reportsDir);
      } finally {
        turn = undefined;
      }
      if (stopped) break;
      if (interactive) out.write("> ");
    }
    lines.close();
    err.write(`\nThread ${threadId}: continue it with  session-summaries chat --thread ${threadId}${options.dataset ? ` --dataset ${options.dataset}` : ""}\n`);
    return 0;
  } finally {
    process.off("SIGINT", interrupt);
    lines?.close();
    await closePipeline();
    await closeWatch();
    await checkpointer.close();
  }
}

/** Where the terminal chat writes a report's page. */
export function reportFile(reportsDir: string, reportId: string): string {
  return path.join(reportsDir, reportId, "report.html");
}

async function chatTurn(
  graph: ReturnType<typeof compileChatGraph>,
  threadId: string,
  message: string,
  out: NodeJS.WriteStream,
  err: NodeJS.WriteStream,
  signal: AbortSignal,
  reportsDir: string,
): Promise<void> {
  const progress = new RunProgress(err, (line) => err.write(`${line}\n`));
  let lastStage: string | undefined;
  let streamed = false;
  let madeReport = false;
  let preliminaryShown = false;
  for await (const event of streamChatTurn(graph, { threadId, message, signal })) {
    switch (event.type) {
      case "preliminary":
        // Once: the first list arrives within seconds; the report replaces it.
        if (preliminaryShown) break;
        preliminaryShown = true;
        progress.finish();
        err.write(`${event.message}\n`);
        break;
      case "token":
        out.write(event.text);
        streamed = true;
        break;
      case "tool_call":
        err.write(`[${event.name} ${JSON.stringify(event.args)}]\n`);
        break;
      case "progress": {
        const started = event.stage !== lastStage || event.done === 0;
        lastStage = event.stage;
        progress.show({ stage: event.stage as RunStage, message: event.message, started, done: event.done, total: event.total, detail: "" });
        break;
      }
      case "tool_result":
        progress.finish();
        if (event.name === "summarize_sessions") madeReport = true;
        break;
      case "final":
        if (!streamed) out.write(event.message);
        // Whatever the model wrote, a turn that made a report ends with where to open it.
        out.write(madeReport && event.report_id ? `\n(report ${event.report_id}: ${reportFile(reportsDir, event.report_id)})\n\n` : "\n\n");
        break;
      case "error":
        progress.finish();
        err.write(signal.aborted ? "\n(cancelled: ask again, or Ctrl-C once more to leave)\n" : `error (${event.code}): ${event.message}\n`);
        break;
    }
  }
}
