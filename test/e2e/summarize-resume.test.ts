import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportSchema } from "../../src/domain/report.ts";
import { cloneDataset } from "../fixtures/clone-dataset.ts";
import { FakeOpenAiServer } from "../fakes/openai-server.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = path.join(ROOT, "src/cli/bin.mjs");
const SESSIONS = 12;
const CONCURRENCY = 2;

let work: string;
let server: FakeOpenAiServer;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "ss-resume-"));
  await cloneDataset(path.join(ROOT, "examples/sample"), path.join(work, "dataset"), SESSIONS);
  server = await new FakeOpenAiServer({ latencyMs: { summarize: 300 } }).start();
});

afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

/** The real CLI in a child process, configured like a user would: an OpenAI-compatible server and the embedded SQLite checkpointer. */
function summarize(runId: string) {
  const child = spawn(process.execPath, [BIN, "summarize", path.join(work, "dataset"), "--run-id", runId, "--out", path.join(work, "out"), "--concurrency", String(CONCURRENCY)], {
    cwd: work,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OPENAI_API_KEY: "test-key",
      OPENAI_BASE_URL: server.url,
      // Every session goes to the model: the test counts what it is asked before and after the kill.
      SESSION_SUMMARIES_TRIAGE: "off",
      SESSION_SUMMARIES_SUMMARIZER: "openai:fake-summarizer",
      SESSION_SUMMARIES_REASONER: "openai:fake-reasoner",
      SESSION_SUMMARIES_DATA_DIR: path.join(work, "data"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe("summarize, killed and resumed", () => {
  it("completes after SIGKILL without summarizing finished sessions again", async () => {
    const first = summarize("run-kill");
    // Kill once a few sessions are done, mid-run.
    for (let waited = 0; server.count("summarize", true) < 5 && waited < 60_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    first.child.kill("SIGKILL");
    await first.exited;
    const beforeKill = server.calls.filter((c) => c.purpose === "summarize").map((c) => c.prompt);
    expect(beforeKill.length).toBeGreaterThanOrEqual(5);
    expect(beforeKill.length).toBeLessThan(SESSIONS);

    const second = summarize("run-kill");
    const code = await second.exited;
    expect(code, second.output()).toBe(0);
    expect(second.output()).toContain("Resuming run run-kill");

    const afterKill = server.calls
      .filter((c) => c.purpose === "summarize")
      .slice(beforeKill.length)
      .map((c) => c.prompt);
    const repeated = afterKill.filter((prompt) => beforeKill.includes(prompt));
    // Only sessions still in flight at the kill may be asked again; every session is summarized once more at most.
    expect(repeated.length).toBeLessThanOrEqual(CONCURRENCY);
    expect(new Set([...beforeKill, ...afterKill]).size).toBe(SESSIONS);
    expect(beforeKill.length + afterKill.length).toBeLessThanOrEqual(SESSIONS + CONCURRENCY);

    const report = ReportSchema.parse(JSON.parse(await readFile(path.join(work, "out", "report.json"), "utf8")));
    expect(report.sessions.summarized).toHaveLength(SESSIONS);
    expect(report.analyst).toMatchObject({ kind: "model" });
    expect(report.patterns.length, JSON.stringify({ failures: report.chunk_failures, calls: server.calls.map((c) => c.purpose) })).toBeGreaterThan(0);
  }, 120_000);
});
