import { readFile } from "node:fs/promises";
import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram, main } from "../../src/cli/main.ts";

const PACKAGE_JSON = new URL("../../package.json", import.meta.url);

/** Parses argv with the real program, catching what it writes instead of letting it reach the terminal. */
async function parse(...args: string[]): Promise<{ stdout: string; stderr: string; error?: CommanderError }> {
  let stdout = "";
  let stderr = "";
  const program = buildProgram().configureOutput({
    writeOut: (text) => (stdout += text),
    writeErr: (text) => (stderr += text),
  });
  try {
    await program.parseAsync(["node", "session-summaries", ...args]);
    return { stdout, stderr };
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return { stdout, stderr, error };
  }
}

describe("session-summaries --version", () => {
  it.each(["--version", "-V"])("%s prints the name and version of package.json and exits cleanly", async (flag) => {
    const { name, version } = JSON.parse(await readFile(PACKAGE_JSON, "utf8")) as { name: string; version: string };
    const { stdout, stderr, error } = await parse(flag);
    expect(stdout).toBe(`${name} ${version}\n`);
    expect(stderr).toBe("");
    expect(error?.code).toBe("commander.version");
    expect(error?.exitCode).toBe(0);
  });

  it("main() maps --version to exit code 0, without running a command", async () => {
    const write = process.stdout.write;
    const written: string[] = [];
    process.stdout.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(await main(["node", "session-summaries", "--version"])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(written.join("")).toMatch(/^session-summaries \d+\.\d+\.\d+/);
  });

  it("is listed in --help", async () => {
    const { stdout } = await parse("--help");
    expect(stdout).toMatch(/-V, --version\s+print the name and version, then exit/);
  });
});
