import { describe, expect, it } from "vitest";
import { RunProgressTracker } from "../../src/runtime/progress.ts";
import { isRunEvent, type RunEvent } from "../../src/domain/progress.ts";
import { RunProgress } from "../../src/cli/run-progress.ts";

const RUN: RunEvent[] = [
  { kind: "sessions_resolved", total: 3 },
  { kind: "session_done", session_id: "a", status: "summarized", cached: false },
  { kind: "session_done", session_id: "b", status: "failed", cached: false, reason: "x" },
  { kind: "session_done", session_id: "c", status: "summarized", cached: true },
  { kind: "stage", stage: "extracting", total: 2 },
  { kind: "chunk_done", stage: "extracting", index: 0, ok: true },
  { kind: "chunk_done", stage: "extracting", index: 1, ok: false, error: "boom" },
  { kind: "stage", stage: "combining" },
  { kind: "stage", stage: "assigning", total: 1 },
  { kind: "chunk_done", stage: "assigning", index: 0, ok: true },
  { kind: "stage", stage: "reporting" },
  { kind: "report_ready", report_key: "p/reports/r", patterns: 4 },
];

describe("RunProgressTracker", () => {
  it("turns a run's events into the messages people read, in order", () => {
    const tracker = new RunProgressTracker();
    const updates = RUN.map((event) => tracker.handle(event));
    expect(updates.map((u) => u.message)).toEqual([
      "Watching sessions 0/3",
      "Watching sessions 1/3",
      "Watching sessions 2/3",
      "Watching sessions 3/3",
      "Extracting patterns 0/2",
      "Extracting patterns 1/2",
      "Extracting patterns 2/2",
      "Combining patterns",
      "Assigning examples 0/1",
      "Assigning examples 1/1",
      "Writing the report",
      "Report ready: 4 patterns",
    ]);
    expect(updates.map((u) => u.started)).toEqual([true, false, false, false, true, false, false, true, true, false, true, true]);
    expect(updates[3]).toMatchObject({ stage: "sessions", done: 3, total: 3, failed: 1, cached: 1, detail: "1 failed 1 cached", sessions_total: 3, sessions_done: 3 });
    expect(updates[6]).toMatchObject({ stage: "extracting", failed: 1, detail: "chunk 2 failed", sessions_done: 3 });
    expect(updates.at(-1)).toMatchObject({ stage: "done", patterns: 4, sessions_total: 3, sessions_done: 3 });
    expect(tracker.current).toBe(updates.at(-1));
  });

  it("counts sessions of a resumed run that announces no total", () => {
    const tracker = new RunProgressTracker();
    expect(tracker.handle({ kind: "session_done", session_id: "a", status: "summarized", cached: false }).message).toBe("Watching sessions 1");
    expect(tracker.handle({ kind: "report_ready", report_key: "k", patterns: 1 }).message).toBe("Report ready: 1 pattern");
  });

  it("recognises only the report graph's events", () => {
    expect(RUN.every(isRunEvent)).toBe(true);
    expect(isRunEvent({ kind: "report_progress" })).toBe(false);
    expect(isRunEvent(null)).toBe(false);
    expect(isRunEvent("stage")).toBe(false);
  });
});

describe("RunProgress (the CLI's view of the tracker)", () => {
  it("writes one line per stage and per tenth of the items when not on a terminal", () => {
    const lines: string[] = [];
    const progress = new RunProgress({ isTTY: false } as NodeJS.WriteStream, (line) => lines.push(line));
    for (const event of RUN) progress.handle(event);
    expect(lines).toEqual([
      "Watching sessions: 0/3",
      "  1/3",
      "  2/3 (1 failed)",
      "  3/3 (1 failed 1 cached)",
      "Extracting patterns: 0/2",
      "  1/2",
      "  2/2 (chunk 2 failed)",
      "Combining patterns",
      "Assigning examples: 0/1",
      "  1/1",
      "Writing the report",
      "Report ready: 4 patterns",
    ]);
  });
});
