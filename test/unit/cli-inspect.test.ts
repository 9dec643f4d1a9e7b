import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = path.join(ROOT, "src/cli/bin.mjs");
const SAMPLE = path.join(ROOT, "examples/sample");
const PLACE_ORDER = "0192fbc6-ed7a-75d1-8728-6727dca6639a";

/** Runs the real command in a child process, as a user would. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Inspection {
  session_id: string;
  events: number;
  raw_issues: { exceptions: number; rageclicks: number };
  tokens: { raw_json: number; compact: number; ratio: number };
  recording: { replayable: boolean; windows: number } | null;
  error?: string;
}

describe("session-summaries inspect", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "ss-cli-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("summarizes every session of the sample as JSON, with the encoding far smaller than raw JSON", async () => {
    const { code, stdout } = await cli("inspect", SAMPLE, "--json");
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { sessions: Inspection[] };
    expect(report.sessions).toHaveLength(5);
    const placeOrder = report.sessions.find((s) => s.session_id === PLACE_ORDER)!;
    expect(placeOrder.raw_issues).toMatchObject({ exceptions: 5, rageclicks: 1 });
    expect(placeOrder.recording).toMatchObject({ replayable: true, windows: 1 });
    for (const session of report.sessions) {
      expect(session.error).toBeUndefined();
      expect(session.tokens.compact).toBeGreaterThan(0);
      expect(session.tokens.ratio).toBeLessThan(0.1);
    }
  });

  it("prints a table by default", async () => {
    const { code, stdout } = await cli("inspect", SAMPLE);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^session\s+start\s+dur s\s+events/m);
    expect(stdout).toContain(PLACE_ORDER);
    expect(stdout).toMatch(/5 sessions, 0 unreadable; tokens: \d+ as raw JSON, \d+ encoded \(ratio 0\.0\d+\)/);
  });

  it("prints one session's encoded prompt table, with no real event uuids in it", async () => {
    const { code, stdout } = await cli("inspect", SAMPLE, "--session", PLACE_ORDER);
    expect(code).toBe(0);
    expect(stdout).toContain('<untrusted_data name="events">');
    expect(stdout).toMatch(/^[0-9a-f]{8}\t\d+\t[\d.]+\twindow_1\turl_\d+\t\$exception\t.*TypeError/m);
    const events = gunzipSync(await readFile(path.join(SAMPLE, "sessions", PLACE_ORDER, "events.jsonl.gz"))).toString("utf8");
    const uuids = events
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { uuid: string }).uuid);
    expect(uuids.length).toBeGreaterThan(50);
    for (const uuid of uuids) expect(stdout).not.toContain(uuid);
  });

  it("names a dataset that does not exist, with exit code 2", async () => {
    const { code, stderr } = await cli("inspect", path.join(root, "missing"));
    expect(code).toBe(2);
    expect(stderr).toContain(`error: dataset directory ${path.join(root, "missing")} does not exist`);
  });

  it("names an unknown session", async () => {
    const { code, stderr } = await cli("inspect", SAMPLE, "--session", "0192ffff-0000-7000-8000-000000000000");
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown session id\(s\): 0192ffff/);
  });

  it("reports a broken session and still inspects the others", async () => {
    const dataset = path.join(root, "one-broken");
    await cp(SAMPLE, dataset, { recursive: true });
    const eventsFile = path.join(dataset, "sessions", PLACE_ORDER, "events.jsonl.gz");
    await writeFile(eventsFile, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]));
    const { code, stdout } = await cli("inspect", dataset);
    expect(code).toBe(0);
    expect(stdout).toContain("5 sessions, 1 unreadable");
    expect(stdout).toMatch(new RegExp(`${PLACE_ORDER}: error: .*events\\.jsonl\\.gz.*gzip data is corrupt or truncated`));
  });

  it("explains usage mistakes", async () => {
    const { code, stderr } = await cli("inspect");
    expect(code).toBe(2);
    expect(stderr).toContain("missing required argument 'dataset'");
  });
});
