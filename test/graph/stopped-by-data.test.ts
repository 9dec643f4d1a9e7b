import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { MemorySaver } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PipelineError } from "../../src/runtime/errors.ts";
import { readConfig } from "../../src/config/env.ts";
import { describeStop, runSummarize } from "../../src/cli/summarize.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";

/**
 * Runs stopped by their data (nothing usable in the selected sessions) say what is wrong with the
 * sessions and offer no `--run-id` resume; short sessions keep their events and are analysed.
 */
const START = Date.parse("2026-11-20T10:00:00.000Z");
const SHOP = "https://shop.example.test";
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "ss-stopped-by-data-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function event(sessionId: string, atMs: number, name: string, properties: Record<string, unknown> = {}) {
  return {
    uuid: `0193${String(atMs).padStart(4, "0")}-0000-7000-8000-${sessionId.slice(-12)}`,
    event: name,
    timestamp: new Date(START + atMs).toISOString(),
    distinct_id: "user-1",
    properties: { $session_id: sessionId, $window_id: "w1", $current_url: `${SHOP}/cart`, ...properties },
  };
}

function click(sessionId: string, atMs: number, text: string) {
  return event(sessionId, atMs, "$autocapture", {
    $event_type: "click",
    $elements_chain: `button:text="${text}"nth-child="1"nth-of-type="1"`,
  });
}

/** Writes a session without a recording (the events alone are analysed); `events` may be raw file text. */
async function writeSession(dataset: string, sessionId: string, durationMs: number, events: object[] | string): Promise<void> {
  const dir = path.join(dataset, "sessions", sessionId);
  await mkdir(dir, { recursive: true });
  const meta = { session_id: sessionId, distinct_id: "user-1", start: new Date(START).toISOString(), end: new Date(START + durationMs).toISOString(), first_url: `${SHOP}/cart` };
  await writeFile(path.join(dir, "meta.json"), JSON.stringify(meta));
  await writeFile(path.join(dir, "events.jsonl"), typeof events === "string" ? events : events.map((e) => JSON.stringify(e)).join("\n") + "\n");
}

async function summarize(dataset: string) {
  const stderr: string[] = [];
  const stdout: string[] = [];
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  try {
    const code = await runSummarize({
      dataset,
      selection: {},
      out: path.join(dataset, "out"),
      runId: "run-test",
      config: readConfig({}),
      validation: "off",
      pipeline: { blobs: new MemoryBlobStore(), checkpointer: new MemorySaver() },
      out_stream: (line) => stdout.push(line),
    });
    return { code, stderr: stderr.join(""), stdout: stdout.join("\n") };
  } finally {
    spy.mockRestore();
  }
}

describe("a run stopped by its data", () => {
  it("names each session and what is wrong with it, and does not suggest resuming", async () => {
    const dataset = path.join(root, "unusable");
    const edgesOnly = "a0000000-0000-7000-8000-000000000001";
    const noiseOnly = "a0000000-0000-7000-8000-000000000002";
    const unreadable = "a0000000-0000-7000-8000-000000000003";
    // Every event of this 12 s session is at its very start or end.
    await writeSession(dataset, edgesOnly, 12_000, [event(edgesOnly, 200, "$pageview"), click(edgesOnly, 900, "Checkout"), event(edgesOnly, 11_900, "$pageleave")]);
    await writeSession(dataset, noiseOnly, 30_000, [event(noiseOnly, 10_000, "$feature_flag_called"), event(noiseOnly, 12_000, "$web_vitals")]);
    await writeSession(dataset, unreadable, 30_000, 'not json\n{"also": "not an event"}\n');

    const { code, stderr } = await summarize(dataset);
    expect(code).toBe(1);
    expect(stderr).toMatch(/stopped because of the selected sessions' data/);
    expect(stderr).toContain(`${edgesOnly}: no event left to analyse (3 events: 3 at the very start or end of the replay)`);
    expect(stderr).toContain(`${noiseOnly}: no event left to analyse (2 events: 2 tracking noise`);
    expect(stderr).toMatch(new RegExp(`${unreadable}: .*events.jsonl: file contains no valid event`));
    expect(stderr).toMatch(/none of the 3 selected session\(s\) can be analysed\. What is wrong with them: /);
    expect(stderr).toMatch(/change the data or the selection/);
    const stopMessage = stderr.slice(stderr.indexOf("error:"));
    expect(stopMessage).not.toMatch(/--run-id|resume|go on/);
  });

  it("says so too when every session was skipped", async () => {
    const dataset = path.join(root, "all-skipped");
    const id = "a0000000-0000-7000-8000-000000000004";
    await writeSession(dataset, id, 12_000, [event(id, 100, "$pageview"), event(id, 11_950, "$pageleave")]);
    const { code, stderr } = await summarize(dataset);
    expect(code).toBe(1);
    const stopMessage = stderr.slice(stderr.indexOf("error:"));
    expect(stopMessage).toContain(`none of the 1 selected session(s) has anything to analyse: ${id}: no event left to analyse (2 events: 2 at the very start or end of the replay)`);
    expect(stopMessage).not.toMatch(/--run-id|resume|go on/);
  });

  it("keeps the resume hint for failures a retry can fix", async () => {
    const transient = new PipelineError("too_many_failed_chunks", "extraction: only 0 of 2 succeeded");
    expect(transient.stoppedBy).toBe("run");
    expect(describeStop(transient, "run-x", "run")).toMatch(/re-run with --run-id run-x/);
  });
});

describe("a short session", () => {
  it("keeps its events: a 12 s session is analysed, not skipped", async () => {
    const dataset = path.join(root, "short");
    const id = "b0000000-0000-7000-8000-000000000001";
    await writeSession(dataset, id, 12_000, [
      event(id, 200, "$pageview"),
      // All outside 5–7 s, where 5 s cutoffs would have left nothing.
      click(id, 3_500, "Apply coupon"),
      click(id, 4_200, "Apply coupon"),
      click(id, 8_000, "Apply coupon"),
      click(id, 8_600, "Apply coupon"),
      event(id, 11_900, "$pageleave"),
    ]);
    const { code, stdout, stderr } = await summarize(dataset);
    expect(stderr).not.toMatch(/error:/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/1 sessions summarized by .*, 0 failed, 0 skipped/);
  });
});

describe("nothing fits in a pattern prompt", () => {
  it("is a stop by the run's settings, not by the data (changing the data or the selection cannot help)", () => {
    expect(new PipelineError("nothing_fits", "no summary fits in a pattern prompt").stoppedBy).toBe("run");
  });
});
