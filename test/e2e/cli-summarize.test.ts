import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportSchema } from "../../src/domain/report.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = path.join(ROOT, "src/cli/bin.mjs");
const SAMPLE = path.join(ROOT, "examples/sample");
const DATASET = path.join(ROOT, "examples/dataset");
let work: string;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SESSION_SUMMARIES_DATA_DIR: path.join(work, "data") },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "ss-cli-summarize-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

// Each test runs the CLI as a process (tsx start-up, Chromium for replay checks): up to tens of seconds on a loaded 2-core machine.
describe("session-summaries summarize and eval, offline", { timeout: 90_000 }, () => {
  it("writes the three report files and prints the patterns", async () => {
    // Replay checks are covered below on two sessions; all 64 would render a dozen clips.
    const { code, stdout, stderr } = await cli("summarize", DATASET, "--out", "out", "--run-id", "first", "--title", "Shop week", "--validate", "off");
    expect(code, stderr).toBe(0);
    expect(stderr).toContain("Run first with offline analyst");
    expect(stderr).toMatch(/Watching sessions: 0\/64/);
    expect(stdout).toMatch(/Shop week: 64 sessions summarized by offline analyst, 0 failed, 0 skipped, 0 model calls/);
    const report = ReportSchema.parse(JSON.parse(await readFile(path.join(work, "out", "report.json"), "utf8")));
    expect(report.analyst).toEqual({ kind: "heuristic", label: "offline analyst" });
    expect(report.patterns.length).toBeGreaterThan(0);
    const markdown = await readFile(path.join(work, "out", "report.md"), "utf8");
    expect(markdown).toContain(`# Shop week`);
    expect(markdown).toContain(report.patterns[0]!.name);
    const html = await readFile(path.join(work, "out", "report.html"), "utf8");
    expect(html).toContain(`id="${report.patterns[0]!.slug}"`);
  });

  it("re-running a finished run id reads it instead of running again", async () => {
    const { code, stderr } = await cli("summarize", DATASET, "--out", "out2", "--run-id", "first");
    expect(code).toBe(0);
    expect(stderr).toContain("Run first already finished");
    const again = ReportSchema.parse(JSON.parse(await readFile(path.join(work, "out2", "report.json"), "utf8")));
    expect(again.id).toBe("first");
  });

  it("checks blocking issues against the replay by default, offline, and the report shows the verdicts", async () => {
    const searchFailed = "01a20170-bf59-7213-9510-ebb6db15b947";
    const placeOrderThrows = "01a2016f-c6fe-781f-b4a1-13fc729afc48";
    const { code, stderr } = await cli("summarize", DATASET, "--sessions", `${searchFailed},${placeOrderThrows}`, "--out", "checked");
    expect(code, stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(await readFile(path.join(work, "checked", "report.json"), "utf8")));
    expect(report.validation).toMatchObject({ method: "dom", mode: "blocking", failed: 0 });
    expect(report.validation!.confirmed).toBeGreaterThanOrEqual(2);
    const markdown = await readFile(path.join(work, "checked", "report.md"), "utf8");
    expect(markdown).toMatch(/checked against the replay \(dom\): \d+ checked, \d+ confirmed/);
    const wrong = await cli("summarize", DATASET, "--validate", "sometimes");
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("expected one of off, blocking, all-issues");
  }, 90_000);

  it("eval prints its figures as one JSON line", async () => {
    const { code, stdout, stderr } = await cli("eval", SAMPLE, "--json");
    expect(code, stderr).toBe(0);
    const figures = JSON.parse(stdout.trim().split("\n").at(-1)!);
    // The sample's one repeated key was an abandonment after different problems: in labels version 2
    // those are consequences, and no root problem spans two sessions.
    expect(figures).toMatchObject({ analyst: "offline analyst", sessions_scored: 5, sessions_failed: 0, patterns_labelled: 0, duplicate_patterns: 0 });
    for (const key of [
      "blocking_precision",
      "blocking_recall",
      "false_blocking_rate",
      "patterns_recovered",
      "patterns_reported",
      "pattern_precision",
      "confusion_precision",
      "abandonment_recall",
      "slow_page_recall",
      "dead_click_recall",
    ]) {
      expect(figures).toHaveProperty(key);
    }
  });

  it("--visited-url picks the sessions that visited the page, not only those that started there", async () => {
    const { code, stdout, stderr } = await cli("summarize", DATASET, "--visited-url", "checkout", "--has-exception", "--limit", "3", "--out", "visited", "--validate", "off");
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/: 3 sessions summarized by offline analyst/);
    const report = ReportSchema.parse(JSON.parse(await readFile(path.join(work, "visited", "report.json"), "utf8")));
    expect(report.sessions.requested).toBe(3);
  });

  it("refuses a bad selection naming the flag; --url-contains names both replacements", async () => {
    // --url-contains meant the first URL here and any visited page elsewhere.
    const removed = await cli("summarize", DATASET, "--url-contains", "checkout");
    expect(removed.code).toBe(2);
    expect(removed.stderr).toMatch(/^error: --url-contains was removed .*--visited-url "checkout".*--first-url/m);
    const backwards = await cli("summarize", SAMPLE, "--from", "2026-11-02", "--to", "2026-11-01");
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/--to: must be after from/);
  }, 30_000);

  it("says clearly what is wrong with the input", async () => {
    const missing = await cli("summarize", path.join(work, "nope"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`dataset directory ${path.join(work, "nope")} does not exist`);
    const unknown = await cli("summarize", SAMPLE, "--sessions", "nope-1,nope-2");
    expect(unknown.stderr).toMatch(/unknown session id\(s\): nope-1, nope-2/);
    expect(unknown.code).not.toBe(0);
    const empty = await cli("summarize", SAMPLE, "--visited-url", "/no-such-page");
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/no sessions in dataset .* match the selection \(that visited a page containing "\/no-such-page"\)/);
    const badModel = await cli("summarize", SAMPLE, "--model", "summarizer=nope:x");
    expect(badModel.code).toBe(2);
    expect(badModel.stderr).toMatch(/nope/);
    const noLabels = await cli("eval", path.join(work, "out"));
    expect(noLabels.code).toBe(2);
    expect(noLabels.stderr).toContain("labels.json is missing");
  }, 90_000);
});
