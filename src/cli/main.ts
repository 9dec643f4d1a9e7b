import { Command, CommanderError } from "commander";
import { SessionSummariesError } from "../domain/errors.ts";
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

  return program;
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
