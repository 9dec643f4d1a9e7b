import { execFile, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MonitorDefinitionSchema, type Monitor, type SweepRecord, type TrackedIssue } from "../../src/domain/monitor.ts";
import { definitionOf, parseRule, runBackfill, runMonitorsAdd, runMonitorsShow, WatchCommandError } from "../../src/cli/monitors.ts";
import type { WatchIo } from "../../src/cli/watch-context.ts";
import { readConfig } from "../../src/config/env.ts";
import { SIGNATURE_HEADER, verifySignature } from "../../src/watch/alerts/deliver.ts";
import { problemsOf, readLabels, releaseSessions } from "../fixtures/release-sessions.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = path.join(ROOT, "src/cli/bin.mjs");
const SOURCE = path.join(ROOT, "examples/dataset");
const SECRET = "cli-watch-secret-123";

let work: string;
let dataset: string;
let hook: { url: string; received: Array<{ body: Record<string, unknown>; signed: boolean }>; close(): Promise<void> };

/** The CLI as a process, on its own data dir; sessions are finished as soon as they end (idle 0). */
function env(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SESSION_SUMMARIES_DATA_DIR: path.join(work, "data"),
    SESSION_SUMMARIES_SESSION_IDLE_MINUTES: "0",
    SESSION_SUMMARIES_ALERT_SECRETS: `hooks=${SECRET}`,
  };
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: work, env: env(), maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function json<T>(...args: string[]): Promise<T> {
  const result = await cli(...args, "--json");
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

async function receiver() {
  const received: Array<{ body: Record<string, unknown>; signed: boolean }> = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      received.push({ body: JSON.parse(body) as Record<string, unknown>, signed: verifySignature(SECRET, body, req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Sessions of the committed dataset with one labelled problem shared by several, and clean ones. */
let picks: { withProblem: string[]; clean: string[] };

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "ss-cli-watch-"));
  dataset = path.join(work, "dataset");
  await mkdir(path.join(dataset, "sessions"), { recursive: true });
  hook = await receiver();
  const labels = await readLabels(SOURCE);
  const ids = Object.keys(labels.sessions).sort();
  const alone = new Map<string, string[]>();
  for (const id of ids) {
    const problems = problemsOf(labels, id);
    if (problems.length === 1) alone.set(problems[0]!, [...(alone.get(problems[0]!) ?? []), id]);
  }
  const [, withProblem] = [...alone.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0]!;
  picks = { withProblem, clean: ids.filter((id) => problemsOf(labels, id).length === 0 && labels.sessions[id]!.outcome === "success") };
  // Two old sessions, as they are: they ended long before any monitor existed.
  for (const id of picks.clean.slice(0, 2)) await cp(path.join(SOURCE, "sessions", id), path.join(dataset, "sessions", id), { recursive: true });
});
afterAll(async () => {
  await hook?.close();
  await rm(work, { recursive: true, force: true });
});

/** Releases committed sessions into the growing dataset as if they had just ended. */
async function release(ids: readonly string[], seed: string): Promise<string[]> {
  // Now: after the monitors were made (their watermark), and finished at once (idle 0).
  const endAt = new Date();
  return releaseSessions(
    SOURCE,
    dataset,
    ids.map((from, i) => ({ from, as: `${seed}/${i}`, endAt })),
  );
}

// Every step runs the CLI as a process (tsx start-up, a report over the released sessions): tens of seconds each on a loaded 2-core machine.
describe("session-summaries monitors, backfill, watch and issues, offline", { timeout: 300_000 }, () => {
  let monitorId: string;

  it("monitors add validates the definition, naming the flag or the file's field, and prints the new id", async () => {
    const bad = await cli("monitors", "add", "--name", "Shop", "--webhook", "not-a-url");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--webhook not-a-url: Invalid URL");
    const badRule = await cli("monitors", "add", "--name", "Shop", "--rule", "threshold:hours=2");
    expect(badRule.code).toBe(2);
    expect(badRule.stderr).toContain("a threshold needs sessions=<n> or users=<n>");
    await writeFile(path.join(work, "monitor.json"), JSON.stringify({ name: "From file", interval_minutes: 0 }));
    const badFile = await cli("monitors", "add", "--file", "monitor.json");
    expect(badFile.code).toBe(2);
    expect(badFile.stderr).toMatch(/monitor\.json: invalid monitor: interval_minutes: /);

    const added = await cli("monitors", "add", "--name", "Shop", "--rule", "new_issue:low", "--rule", "regression", "--webhook", hook.url, "--secret-ref", "hooks", "--daily-usd", "5");
    expect(added.code, added.stderr).toBe(0);
    monitorId = added.stdout.trim();
    expect(monitorId).toMatch(/^mon_[0-9a-f]+$/);
    const listed = await json<Array<Monitor & { open_issues: number; last_sweep?: SweepRecord }>>("monitors", "list");
    expect(listed).toEqual([expect.objectContaining({ id: monitorId, name: "Shop", paused: false, open_issues: 0, budget: { daily_usd: 5 } })]);
    expect(listed[0]!.last_sweep).toBeUndefined();
    expect(listed[0]!.alerts.channels).toEqual([{ kind: "webhook", url: hook.url, secret_ref: "hooks" }]);
  });

  it("backfill prints its estimate first; without a terminal it refuses unless --yes, and --dry-run sweeps nothing", async () => {
    const dry = await cli("backfill", monitorId, "--since", "2020-01-01", "--dry-run", "--dataset", dataset);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Backfill of Shop since 2020-01-01T00:00:00.000Z: 2 sessions, 0 model calls, 0 input \+ 0 output tokens, \$0\.00/);
    expect(dry.stdout).toMatch(/offline analyst[:,] no model calls, \$0\.00/);
    const refused = await cli("backfill", monitorId, "--since", "2020-01-01", "--dataset", dataset);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/2 sessions/);
    expect(refused.stderr).toContain("backfill needs a confirmation: run it on a terminal, or add --yes");
    const noDataset = await cli("monitors", "run-once", monitorId);
    expect(noDataset.code).toBe(2);
    expect(noDataset.stderr).toContain("pass --dataset <dir> or set SESSION_SUMMARIES_DATASET");
    const shown = await json<{ sweeps: SweepRecord[] }>("monitors", "show", monitorId);
    expect(shown.sweeps).toEqual([]);
  });

  it("watch --once sweeps only the sessions that finished since the monitor was made, alerts once per new issue, and records it all", async () => {
    const released = await release([...picks.withProblem.slice(0, 3), picks.clean[2]!], "first");
    const watched = await cli("watch", "--once", "--dataset", dataset, "--validate", "off");
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stderr).toContain("Sweeping the due monitors of 1 active monitor once");
    expect(watched.stderr).toMatch(/Shop: sweeping/);
    expect(watched.stderr).toMatch(/Shop: Watching sessions 4\/4/);
    expect(watched.stdout).toMatch(/Shop: sweep sweep-\S+ done: 4 sessions, 0 model calls, 0 tokens, \$0\.00 \(offline analyst: no model calls, \$0\.00/);

    const shown = await json<{ monitor: Monitor; sweeps: SweepRecord[]; open_issues: TrackedIssue[] }>("monitors", "show", monitorId);
    expect(shown.sweeps).toEqual([expect.objectContaining({ status: "done", sessions: 4, cost_usd: 0, model_calls: 0 })]);
    expect(shown.open_issues.length).toBeGreaterThan(0);
    expect(shown.monitor.watermark).toBeDefined();
    const issues = await json<TrackedIssue[]>("issues", "list");
    expect(issues.map((issue) => issue.id).sort()).toEqual(shown.open_issues.map((issue) => issue.id).sort());
    const examples = new Set(issues.flatMap((issue) => issue.examples.map((example) => example.session_id)));
    for (const id of examples) expect(released).toContain(id);
    // One new_issue alert per issue, signed, delivered once.
    const newIssueAlerts = hook.received.filter((r) => r.body.kind === "new_issue");
    expect(newIssueAlerts.length).toBe(issues.length);
    expect(hook.received.every((r) => r.signed)).toBe(true);

    // Not due again before its interval: a second round sweeps nothing.
    const again = await cli("watch", "--once", "--dataset", dataset, "--validate", "off");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe("");
    expect((await json<{ sweeps: SweepRecord[] }>("monitors", "show", monitorId)).sweeps).toHaveLength(1);
  });

  it("issues show, resolve, snooze and the issues page", async () => {
    const [issue] = await json<TrackedIssue[]>("issues", "list", "--state", "open", "--monitor", monitorId);
    expect(issue).toBeDefined();
    const shown = await json<{ issue: TrackedIssue; days: Array<{ sessions: number }>; alerts: Array<{ kind: string }> }>("issues", "show", String(issue!.id));
    expect(shown.issue.id).toBe(issue!.id);
    expect(shown.days.reduce((n, d) => n + d.sessions, 0)).toBe(issue!.sessions_total);
    expect(shown.alerts.map((a) => a.kind)).toContain("new_issue");

    const resolved = await cli("issues", "resolve", String(issue!.id));
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(resolved.stdout).toContain(`Issue ${issue!.id}`);
    expect(resolved.stdout).toContain("is now resolved");
    const snoozedPast = await cli("issues", "snooze", String(issue!.id), "--until", "2020-01-01");
    expect(snoozedPast.code).toBe(2);
    expect(snoozedPast.stderr).toContain("must be in the future");
    const missing = await cli("issues", "mute", "999999");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no issue 999999 in project "local"');
    const resolvedNow = await json<TrackedIssue[]>("issues", "list", "--state", "resolved");
    expect(resolvedNow.map((i) => i.id)).toEqual([issue!.id]);

    const page = await cli("issues", "page", "--out", "page/issues.html");
    expect(page.code, page.stderr).toBe(0);
    const html = await readFile(path.join(work, "page", "issues.html"), "utf8");
    expect(html).toContain("<!doctype html>");
    expect(html).toContain("Issues · local");
    expect(html).toContain(/^[\w ]+/.exec(issue!.title)![0].trim());
  });

  it("backfill --yes takes the older sessions, and none twice; run-once then finds nothing new", async () => {
    const backfill = await cli("backfill", monitorId, "--since", "2020-01-01", "--yes", "--dataset", dataset, "--validate", "off");
    expect(backfill.code, backfill.stderr).toBe(0);
    // Only the two old sessions: the four released ones were taken by the watch.
    expect(backfill.stdout).toMatch(/Backfill of Shop since \S+: 2 sessions/);
    expect(backfill.stdout).toMatch(/sweep \S+ done: 2 sessions/);
    const once = await cli("monitors", "run-once", monitorId, "--dataset", dataset, "--validate", "off");
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout).toMatch(/sweep \S+ nothing_new: 0 sessions/);
    const sweeps = (await json<{ sweeps: SweepRecord[] }>("monitors", "show", monitorId)).sweeps;
    expect(sweeps.map((s) => s.sessions).sort()).toEqual([0, 2, 4]);
  });

  it("monitors pause and resume; an unknown id is a clear error", async () => {
    expect((await cli("monitors", "pause", monitorId)).stdout).toContain("paused");
    const paused = await cli("watch", "--once", "--dataset", dataset);
    expect(paused.code).toBe(0);
    expect(paused.stderr).toContain("Every monitor is paused: nothing to sweep.");
    expect((await cli("monitors", "resume", monitorId)).stdout).toContain("resumed");
    const unknown = await cli("monitors", "show", "mon_nope");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no monitor "mon_nope" in project "local"');
  });

  it("watch runs in the foreground until Ctrl-C, and a sweep it stopped is finished by the next run without counting a session twice; remove", async () => {
    const added = await cli("monitors", "add", "--name", "Errors", "--interval", "1");
    expect(added.code, added.stderr).toBe(0);
    const errorsId = added.stdout.trim();
    const released = await release([...picks.withProblem.slice(3, 6), ...picks.clean.slice(3, 8)], "second");
    const child = spawn(process.execPath, [BIN, "watch", "--dataset", dataset, "--validate", "off"], { cwd: work, env: env() });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    const sweeping = new Promise<void>((resolve) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
        if (/Errors: (sweeping|Watching sessions)/.test(stderr)) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await sweeping;
    expect(stderr).toMatch(/Watching 2 active monitors of project local: looking for due sweeps every 30 s, 2 at once\. Ctrl-C stops\./);
    child.kill("SIGINT");
    expect(await exited, stderr).toBe(0);
    expect(stderr).toContain("Stopping (SIGINT)");
    expect(stderr).toMatch(/Stopped\.\n$/);

    // Whether the sweep finished before the stop or was left open, the next round ends with every released session taken once.
    const next = await cli("watch", "--once", "--dataset", dataset, "--validate", "off");
    expect(next.code, next.stderr).toBe(0);
    if (stderr.includes("Errors: sweep stopped; the next run finishes it")) expect(next.stderr).toContain("Errors: finishing the sweep a stopped run left open");
    else expect(stdout).toMatch(new RegExp(`Errors: sweep \\S+ done: ${released.length} sessions`));
    const sweeps = (await json<{ sweeps: SweepRecord[] }>("monitors", "show", errorsId)).sweeps;
    expect(sweeps.every((s) => s.status !== "running")).toBe(true);
    expect(sweeps.reduce((n, s) => n + s.sessions, 0)).toBe(released.length);
    expect(stdout + next.stdout).toMatch(/Errors: sweep \S+ done: \d+ sessions/);

    const removed = await cli("monitors", "remove", errorsId);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`Monitor ${errorsId} (Errors) removed.`);
    expect((await json<Monitor[]>("monitors", "list")).map((m) => m.name)).toEqual(["Shop"]);
  });
});

describe("monitors add: flags to a definition (in process)", () => {
  it("builds the filter, question, budget, channels and rules the flags name, with the schema's defaults", async () => {
    const definition = await definitionOf({
      name: "Checkout",
      visitedUrl: "/checkout",
      hasException: true,
      minDuration: 30,
      question: "Did the user pay?",
      tags: ["card", "paypal"],
      interval: 5,
      dailyUsd: 2.5,
      dailyCalls: 400,
      webhook: ["https://hooks.example/a"],
      secretRef: "hooks",
      slack: ["https://hooks.slack.com/services/x"],
      rule: ["new_issue:high", "threshold:sessions=10,hours=6", "yes_rate:0.3"],
      cooldown: 30,
    });
    expect(definition).toEqual({
      ...MonitorDefinitionSchema.parse({ name: "Checkout" }),
      filter: { visited_url_contains: "/checkout", has_exception: true, min_duration_ms: 30_000 },
      question: { text: "Did the user pay?", answer: "tags", tags: ["card", "paypal"] },
      interval_minutes: 5,
      budget: { daily_usd: 2.5, daily_model_calls: 400 },
      alerts: {
        rules: [
          { kind: "new_issue", min_severity: "high" },
          { kind: "threshold", sessions: 10, window_hours: 6 },
          { kind: "yes_rate", ratio: 0.3, window_hours: 24 },
        ],
        channels: [
          { kind: "webhook", url: "https://hooks.example/a", secret_ref: "hooks" },
          { kind: "slack", url: "https://hooks.slack.com/services/x" },
        ],
        cooldown_minutes: 30,
        min_sessions: 3,
      },
    });
    expect((await definitionOf({ name: "Slow to resolve", resolveAfterSweeps: 6, resolveAfterHours: 48 })).resolve_after_sweeps).toBe(6);
    expect((await definitionOf({ name: "Plain", question: "Was it slow?" })).question).toEqual({ text: "Was it slow?", answer: "yes_no" });
  });

  it("names the flag that was wrong", async () => {
    const message = async (flags: Parameters<typeof definitionOf>[0]) =>
      await definitionOf(flags).then(
        () => "",
        (error: unknown) => (error instanceof WatchCommandError ? error.message : `not a WatchCommandError: ${String(error)}`),
      );
    expect(await message({})).toContain("needs --name");
    expect(await message({ name: "" })).toMatch(/^invalid monitor: --name: /);
    expect(await message({ name: "Q", question: "Did they pay?", answer: "maybe" })).toMatch(/--answer: /);
    expect(await message({ name: "Q", answer: "score" })).toContain('give the question with --question "..."');
    expect(await message({ name: "Q", question: "Did they pay?", answer: "score", tags: ["a"] })).toContain("--tags goes with --answer tags");
    expect(await message({ name: "R", rule: ["new_issue", "new_issue:urgent"] })).toMatch(/--rule #2 \(min_severity\): /);
    expect(await message({ name: "R", rule: ["yes_rate:2"] })).toMatch(/--rule #1 \(ratio\): /);
    expect(await message({ name: "S", secretRef: "hooks" })).toContain("give a --webhook too");
    expect(await message({ name: "F", file: "monitor.json" })).toContain("--file holds the whole definition: leave out --name");
  });

  it("parses each rule form and refuses the others with the forms it takes", () => {
    expect(parseRule("regression")).toEqual({ kind: "regression" });
    expect(parseRule("new_issue")).toEqual({ kind: "new_issue" });
    expect(parseRule("threshold:users=5")).toEqual({ kind: "threshold", users: 5 });
    expect(parseRule("yes_rate:ratio=0.5,hours=12")).toEqual({ kind: "yes_rate", ratio: 0.5, window_hours: 12 });
    for (const bad of ["sometimes", "threshold", "threshold:sessions=many", "regression:now", "yes_rate", "new_issue:high,low"]) {
      expect(() => parseRule(bad), bad).toThrow(WatchCommandError);
    }
    expect(() => parseRule("page")).toThrow(/forms: new_issue\[:<min severity>\], regression, threshold:/);
  });
});

describe("backfill on a terminal (in process)", { timeout: 120_000 }, () => {
  it("asks before it sweeps: no means no sweep, yes sweeps the sessions the estimate counted", async () => {
    const home = await mkdtemp(path.join(tmpdir(), "ss-cli-backfill-"));
    try {
      const data = path.join(home, "dataset");
      for (const id of picks.clean.slice(0, 2)) await cp(path.join(SOURCE, "sessions", id), path.join(data, "sessions", id), { recursive: true });
      const lines: { out: string[]; err: string[] } = { out: [], err: [] };
      const io: WatchIo = { out: (line) => lines.out.push(line), err: (line) => lines.err.push(line) };
      const config = readConfig({ SESSION_SUMMARIES_DATA_DIR: path.join(home, "data") });
      const options = { config, io, dataset: data, validation: "off" as const };
      expect(await runMonitorsAdd({ name: "Terminal" }, options)).toBe(0);
      const id = lines.out.pop()!;
      const asked: string[] = [];
      const no = await runBackfill(id, { ...options, since: "2020-01-01", interactive: true, confirm: async (question) => (asked.push(question), false) });
      expect(no).toBe(1);
      expect(asked).toEqual(["Backfill 2 sessions for about $0.00? [y/N] "]);
      expect(lines.err).toContain("Backfill cancelled.");
      lines.out.length = 0;
      await runMonitorsShow(id, { ...options, json: true });
      expect((JSON.parse(lines.out.pop()!) as { sweeps: SweepRecord[] }).sweeps).toEqual([]);

      const yes = await runBackfill(id, { ...options, since: "2020-01-01", interactive: true, confirm: async () => true });
      expect(yes).toBe(0);
      expect(lines.out.at(-1)).toMatch(/^sweep \S+ done: 2 sessions, 0 model calls/);
      expect(lines.err.some((line) => /Watching sessions 2\/2/.test(line))).toBe(true);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
