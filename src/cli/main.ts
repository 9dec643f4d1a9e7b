import { Command, CommanderError, InvalidArgumentError } from "commander";
import { SessionSummariesError } from "../domain/errors.ts";
import { runCapture } from "./capture.ts";
import { runInspect } from "./inspect.ts";

export function buildProgram(): Command {
  const program = new Command()
    .name("session-summaries")
    .description("Watches a product's user sessions so nobody has to, and says what went wrong, with evidence.")
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

  return program;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError(`not a port number: ${value}`);
  return port;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 nothing usable, 2 bad input or usage. */
export async function main(argv: string[]): Promise<number> {
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
