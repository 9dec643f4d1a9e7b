import { describe, expect, it } from "vitest";
import type { Pipeline } from "../../graph/pipeline.ts";
import type { RunEvent } from "../../src/domain/progress.ts";
import { ServiceError } from "../../src/service/errors.ts";
import { ReportRuns, type ReportRunStatus } from "../../src/service/report-runs.ts";

/**
 * `ReportRuns.follow` over a fake report graph that streams synthetic events: the preliminary issues
 * of many sessions go out together (not one status per session), the status carries them while the
 * run is under way, and a failed run keeps them.
 */

const SESSIONS = 30;

function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** A pipeline whose graph streams `SESSIONS` sessions' triage signals, waits for `proceed`, then fails. */
function fakePipeline(project: string, proceed: Promise<void>): Pipeline {
  async function* stream(): AsyncIterable<[string[], string, RunEvent]> {
    yield [[], "custom", { kind: "sessions_resolved", total: SESSIONS }];
    for (let i = 0; i < SESSIONS; i++) {
      const signals = [
        { kind: "exception" as const, description: "TypeError on Pay click", page: "/checkout" },
        ...(i % 3 === 0 ? [{ kind: "rage_click" as const, description: "Rage clicks on Pay" }] : []),
      ];
      yield [["session:1"], "custom", { kind: "preliminary_issues", session_id: `s${String(i).padStart(2, "0")}`, signals }];
    }
    await proceed;
    yield [["session:1"], "custom", { kind: "session_done", session_id: "s00", status: "summarized", cached: false }];
    throw new ServiceError("model_unavailable", "the model is down");
  }
  return {
    runtime: { project, blobs: { getJson: async () => undefined }, settings: {} },
    graph: { stream: async () => stream(), getState: async () => ({ values: {}, next: [] }) },
  } as unknown as Pipeline;
}

describe("ReportRuns.follow", () => {
  it("yields the run's preliminary issues grouped and coalesced while it runs, and ends with its outcome", async () => {
    const proceed = gate();
    const runs = new ReportRuns({ pipelineFor: (project) => fakePipeline(project, proceed.opened), followIntervalMs: 50, newReportId: () => "r1" });
    runs.start("a", { title: "t", selection: {} });
    const seen: ReportRunStatus[] = [];
    for await (const status of runs.follow("a", "r1", new AbortController().signal)) {
      seen.push(status);
      if (status.preliminary_issues?.sessions_with_signals === SESSIONS) {
        expect((await runs.status("a", "r1"))?.preliminary_issues).toEqual(status.preliminary_issues);
        proceed.open();
      }
    }
    const withIssues = seen.filter((status) => status.preliminary_issues);
    // Thirty sessions' signals, a handful of statuses: changes within an interval go out together.
    expect(withIssues.length).toBeGreaterThan(0);
    expect(withIssues.length).toBeLessThan(SESSIONS);
    const during = withIssues.find((status) => status.status === "running")!;
    expect(during.preliminary_issues!.issues.map((issue) => [issue.kind, issue.sessions, issue.preliminary])).toEqual([
      ["exception", SESSIONS, true],
      ["rage_click", SESSIONS / 3, true],
    ]);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ status: "failed", error: { code: "model_unavailable" } });
    // The only answer the run gave: a failed run keeps it.
    expect(last.preliminary_issues?.sessions_with_signals).toBe(SESSIONS);
    // Another project does not see the run.
    const other: ReportRunStatus[] = [];
    for await (const status of runs.follow("b", "r1", new AbortController().signal)) other.push(status);
    expect(other).toEqual([]);
  });

  it("stops quietly when the follower goes away", async () => {
    const proceed = gate();
    const runs = new ReportRuns({ pipelineFor: (project) => fakePipeline(project, proceed.opened), followIntervalMs: 50, newReportId: () => "r2" });
    runs.start("a", { title: "t", selection: {} });
    const follower = new AbortController();
    const seen: ReportRunStatus[] = [];
    for await (const status of runs.follow("a", "r2", follower.signal)) {
      seen.push(status);
      follower.abort();
    }
    expect(seen).toHaveLength(1);
    expect((await runs.status("a", "r2"))?.status).toBe("running");
    proceed.open();
    await runs.close();
  });
});
