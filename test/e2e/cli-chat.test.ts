import { spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = path.join(ROOT, "src/cli/bin.mjs");
const DATASET = path.join(ROOT, "examples/dataset");
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "ss-cli-chat-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `session-summaries chat …` with `input` piped to stdin, offline, its store under the work directory. */
function chat(input: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "chat", ...args], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SESSION_SUMMARIES_DATA_DIR: path.join(work, "data"), SESSION_SUMMARIES_VALIDATE: "off" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe("session-summaries chat (piped, offline)", () => {
  it("summarizes, answers a follow-up, and resumes the thread in a new process", async () => {
    const first = await chat("summarize sessions with errors on checkout\nwhich pattern affects most sessions?\n", "--dataset", DATASET);
    expect(first.stderr).not.toMatch(/^error/m);
    expect(first.code).toBe(0);
    const threadId = /Thread (\S+), kept in sqlite /.exec(first.stderr)?.[1];
    expect(threadId).toBeDefined();
    // Progress as plain lines (not a terminal), in order.
    const progress = first.stderr.split("\n").filter((line) => /^(Watching sessions|Extracting patterns|Assigning examples|Writing the report|Report ready)/.test(line));
    expect(progress[0]).toMatch(/^Watching sessions: 0\/\d+$/);
    expect(progress.at(-1)).toMatch(/^Report ready: \d+ patterns$/);
    expect(first.stderr).toContain('[summarize_sessions {"has_exception":true,"visited_url_contains":"checkout"}]');
    const reportId = /\(report (report-\S+?): /.exec(first.stdout)?.[1];
    expect(reportId).toBeDefined();
    expect(first.stdout).toContain(`Report ${reportId} is ready:`);
    // The terminal chat says where its report is, and the page is there.
    const page = path.join(work, "reports", reportId!, "report.html");
    expect(first.stdout).toContain(`(report ${reportId}: ${page})`);
    expect(first.stdout).toContain(`Report page: ${page}`);
    expect((await stat(page)).size).toBeGreaterThan(1000);
    expect(first.stdout).toMatch(new RegExp(`Pattern \\d+ of report ${reportId} \\(it affects the most sessions`));
    expect(first.stderr).toContain(`session-summaries chat --thread ${threadId}`);
    expect((await stat(path.join(work, "data", "checkpoints.sqlite"))).size).toBeGreaterThan(0);

    const second = await chat("show pattern 1\n", "--dataset", DATASET, "--thread", threadId!);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`Resuming thread ${threadId}: 2 earlier requests, latest report ${reportId}.`);
    expect(second.stderr).not.toContain("Watching sessions");
    expect(second.stdout).toMatch(new RegExp(`^Pattern 1 of report ${reportId}:`));
    expect(second.stdout).toContain(`Report page: ${path.join(work, "reports", reportId!, "report.html")}`);
  }, 60_000);

  it("refuses a bad thread id and a missing dataset with a clear message", async () => {
    const badThread = await chat("", "--dataset", DATASET, "--thread", "../etc");
    expect(badThread.code).toBe(2);
    expect(badThread.stderr).toContain('--thread: expected letters, digits, - and _ (up to 100), got "../etc"');
    const noDataset = await chat("");
    expect(noDataset.code).toBe(2);
    expect(noDataset.stderr).toContain("chat needs a dataset: pass --dataset <dir> or set SESSION_SUMMARIES_DATASET");
  }, 30_000);
});

/** The chat with stdin left open, as a person at a terminal: lines are written when the test says. */
function interactiveChat(dataDir: string) {
  const child = spawn(process.execPath, [BIN, "chat", "--dataset", DATASET], {
    cwd: work,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SESSION_SUMMARIES_DATA_DIR: dataDir, SESSION_SUMMARIES_VALIDATE: "off" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const until = async (pattern: RegExp, where: () => string = () => stderr) => {
    for (let i = 0; i < 600 && !pattern.test(where()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(where()).toMatch(pattern);
  };
  return { child, exited, until, output: () => ({ stdout, stderr }) };
}

describe("session-summaries chat and Ctrl-C", () => {
  it("when idle, Ctrl-C ends the chat cleanly (exit 0, the thread's resume hint)", async () => {
    const chat = interactiveChat(path.join(work, "data-idle"));
    await chat.until(/Thread \S+, kept in sqlite/);
    chat.child.kill("SIGINT");
    expect(await chat.exited).toBe(0);
    expect(chat.output().stderr).toMatch(/continue it with {2}session-summaries chat --thread \S+/);
    expect(chat.output().stderr).not.toMatch(/^error/m);
  }, 30_000);

  it("while a turn answers, Ctrl-C cancels that turn only; the next request works, and Ctrl-C again leaves", async () => {
    const chat = interactiveChat(path.join(work, "data-turn"));
    await chat.until(/Thread \S+, kept in sqlite/);
    chat.child.stdin.write("summarize all sessions\n");
    await chat.until(/Watching sessions: 0\/\d+/);
    chat.child.kill("SIGINT");
    await chat.until(/\(cancelled: ask again, or Ctrl-C once more to leave\)/);
    expect(chat.child.exitCode).toBeNull();
    chat.child.stdin.write("find sessions with errors on checkout\n");
    await chat.until(/\d+ sessions match \(with errors, that visited a page containing "checkout"\)/, () => chat.output().stdout);
    chat.child.kill("SIGINT");
    expect(await chat.exited).toBe(0);
    expect(chat.output().stderr).not.toMatch(/^error/m);
    expect(chat.output().stderr).not.toMatch(/Report ready/);
  }, 60_000);
});
