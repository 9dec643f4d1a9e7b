import { describe, expect, it } from "vitest";
import type { Labels } from "../../src/domain/labels.ts";
import type { Report, ReportPattern } from "../../src/domain/report.ts";
import type { KeyAction, SessionSummary } from "../../src/domain/summary.ts";
import { describeEvaluation, flatFigures } from "../../src/cli/eval.ts";
import { evaluate } from "../../src/eval/score.ts";
import { computeOutcomes } from "../../src/report/present.ts";

const T = "2026-11-01T10:00:10.000Z";
const issue = (kind: Labels["sessions"][string]["issues"][number]["kind"], pattern_key: string) => ({ kind, pattern_key, visible: true, timestamp: T, description: kind });

type Flags = Partial<Pick<KeyAction, "exception" | "confusion" | "abandonment" | "slow" | "event">>;

function summaryWith(sessionId: string, flags: Flags[], sessionSuccess = false): SessionSummary {
  const actions: KeyAction[] = flags.map((f, i) => ({
    event_id: `0000000${i}`,
    description: "x",
    exception: f.exception ?? null,
    confusion: f.confusion ?? false,
    abandonment: f.abandonment ?? false,
    slow: f.slow ?? false,
    event_uuid: `${sessionId}-${i}`,
    event: f.event ?? "$exception",
    timestamp: T,
    ms_since_start: 0,
    event_index: i,
  }));
  return {
    session_id: sessionId,
    start: T,
    duration_s: 60,
    segments: [
      {
        index: 0,
        name: "s",
        start_event_id: "00000000",
        end_event_id: "00000000",
        start: T,
        end: T,
        key_actions: actions,
        outcome: { success: false, summary: "x" },
        stats: { duration_s: 1, duration_ratio: 1, key_action_count: 0, failure_count: 0, exception_count: 0, confusion_count: 0, abandonment_count: 0 },
      },
    ],
    session_outcome: { success: sessionSuccess, summary: "x" },
    analyst: { kind: "heuristic", label: "offline analyst" },
  };
}

function pattern(name: string, sessions: string[], flags: Flags): ReportPattern {
  return {
    id: 1,
    slug: name,
    name,
    description: name,
    severity: "high",
    indicators: ["x"],
    stats: { occurrences: sessions.length, sessions_affected: sessions.length, sessions_affected_ratio: 0.5, segments_success_ratio: 0 },
    examples: sessions.map((session_id) => ({
      session_id,
      session_start: T,
      session_duration_s: 60,
      segment_index: 0,
      segment_name: "s",
      segment_outcome: "x",
      segment_success: false,
      target: summaryWith(session_id, [flags]).segments[0]!.key_actions[0]!,
      before: [],
      after: [],
    })),
  };
}

const labels: Labels = {
  version: 1,
  sessions: {
    // the error and the abandonment it caused label the same session: each pattern must match one of them
    a: { outcome: "failure", issues: [issue("blocking_exception", "order-throws"), issue("abandonment", "checkout-abandoned")] },
    b: { outcome: "failure", issues: [issue("blocking_exception", "order-throws")] },
    c: { outcome: "failure", issues: [issue("visible_api_failure", "search-500")] },
    d: { outcome: "success", issues: [issue("benign_exception", "widget-noise")] },
    e: { outcome: "success", issues: [issue("invisible_api_failure", "recs-503")] },
    f: { outcome: "abandoned", issues: [issue("dead_click", "fake-button"), issue("abandonment", "checkout-abandoned")] },
    g: { outcome: "abandoned", issues: [issue("confusion", "coupon"), issue("abandonment", "checkout-abandoned")] },
    h: { outcome: "success", issues: [] },
    unsummarized: { outcome: "failure", issues: [issue("blocking_exception", "order-throws")] },
  },
};

const summaries = new Map(
  [
    summaryWith("a", [{ exception: "blocking" }]),
    summaryWith("b", [{ exception: "non-blocking" }]), // missed blocker
    summaryWith("c", [{ exception: "blocking" }]),
    summaryWith("d", [{ exception: "blocking" }]), // false blocking on noise
    summaryWith("e", [{ exception: "non-blocking" }]),
    summaryWith("f", [{ confusion: true }, { abandonment: true }]),
    summaryWith("g", [{ abandonment: true }]),
    summaryWith("h", [{ confusion: true }]), // false confusion
  ].map((s) => [s.session_id, s]),
);

const report = {
  sessions: { requested: 9, summarized: [...summaries.keys()], failed: [{ id: "unsummarized", stage: "summarize", error: "x" }], skipped: [] },
  patterns: [
    pattern("Order fails", ["a", "b"], { exception: "blocking" }),
    pattern("Leaving checkout", ["f", "g"], { abandonment: true }),
    pattern("Checkout mess", ["f", "g", "h"], { abandonment: true }),
  ],
} as unknown as Report;

describe("evaluate", () => {
  const e = evaluate(labels, report, summaries);

  it("scores each kind at session level, ignoring unsummarized sessions", () => {
    expect(e.sessions_scored).toBe(8);
    expect(e.sessions_failed).toBe(1);
    expect(e.kinds.blocking).toEqual({ true_positives: 2, false_positives: 1, false_negatives: 1, precision: 0.667, recall: 0.667 });
    expect(e.kinds.confusion).toMatchObject({ true_positives: 1, false_positives: 1, false_negatives: 1 });
    // session a's abandonment was not flagged
    expect(e.kinds.abandonment).toMatchObject({ true_positives: 2, false_negatives: 1, precision: 1, recall: 0.667 });
  });

  it("counts blocking flags on noise-only sessions", () => {
    expect(e.noise_sessions).toBe(2);
    expect(e.false_blocking_rate).toBe(0.5);
  });

  it("recovers a labelled pattern only when exactly one pattern has 2+ examples of it, pure enough, matched by kind and time", () => {
    expect(e.patterns).toEqual([
      // "Leaving checkout" is pure; "Checkout mess" has h, which has no such issue (2 of 3 = 0.67 < 0.8).
      // "Order fails" does not count for it although session a carries both keys: its examples are errors.
      { pattern_key: "checkout-abandoned", sessions: 3, recovered: true, matches: 1, pattern: "Leaving checkout", purity: 1 },
      { pattern_key: "order-throws", sessions: 2, recovered: true, matches: 1, pattern: "Order fails", purity: 1 },
    ]);
    expect(evaluate(labels, report, summaries, 0.6).patterns[0]).toMatchObject({ pattern_key: "checkout-abandoned", recovered: false, matches: 2 });
  });
});

describe("evaluate: one pattern per root problem, as a reader sees the report", () => {
  const consequence = (kind: Labels["sessions"][string]["issues"][number]["kind"], root: string) => ({ ...issue(kind, root), consequence_of: root });
  const v2: Labels = {
    version: 2,
    sessions: {
      // The abandonment after the error is its consequence: scored per session, not a pattern to find.
      a: { outcome: "failure", issues: [issue("blocking_exception", "order-throws"), consequence("abandonment", "order-throws")] },
      b: { outcome: "failure", issues: [issue("blocking_exception", "order-throws"), consequence("abandonment", "order-throws")] },
      c: { outcome: "success", issues: [issue("slow_page", "confirmation-slow")] },
      d: { outcome: "success", issues: [issue("slow_page", "confirmation-slow")] },
      e: { outcome: "success", issues: [issue("dead_click", "fake-button")] },
      f: { outcome: "success", issues: [] },
    },
  };
  const sums = new Map(
    [
      summaryWith("a", [{ exception: "blocking" }, { abandonment: true }]),
      summaryWith("b", [{ exception: "blocking" }, { abandonment: true }]),
      summaryWith("c", [{ slow: true, event: "$pageview" }]),
      summaryWith("d", [{}]), // slow page missed
      summaryWith("e", [{ confusion: true, event: "$autocapture" }]), // the click near the labelled dead click
      summaryWith("f", [{ confusion: true, event: "$dead_click" }]), // a dead click nobody labelled
    ].map((s) => [s.session_id, s]),
  );
  const reportOf = (...patterns: ReportPattern[]) => ({ sessions: { requested: 6, summarized: [...sums.keys()], failed: [], skipped: [] }, patterns }) as unknown as Report;

  it("scores slow pages by the slow flag and dead clicks by a confusion flag on a $dead_click or near the labelled one", () => {
    const e = evaluate(v2, reportOf(), sums);
    expect(e.kinds.slow_page).toEqual({ true_positives: 1, false_positives: 0, false_negatives: 1, precision: 1, recall: 0.5 });
    expect(e.kinds.dead_click).toEqual({ true_positives: 1, false_positives: 1, false_negatives: 0, precision: 0.5, recall: 1 });
    // Consequences still count per session by their kind.
    expect(e.kinds.abandonment).toMatchObject({ true_positives: 2, false_positives: 0, false_negatives: 0 });
  });

  it("recovers root problems only; a pattern of the error's consequences is a duplicate, not a second problem", () => {
    const root = pattern("Order fails", ["a", "b"], { exception: "blocking" });
    const e = evaluate(v2, reportOf(root), sums);
    expect(e.patterns.map((p) => [p.pattern_key, p.recovered])).toEqual([
      ["confirmation-slow", false],
      ["order-throws", true],
    ]);
    expect(e).toMatchObject({ patterns_labelled: 2, patterns_reported: 1, duplicate_patterns: [], pattern_precision: 1 });

    // The abandonment told apart: its examples are of the root too, so the root is split and the pair is a duplicate.
    const split = evaluate(v2, reportOf(root, pattern("Leaving checkout", ["a", "b"], { abandonment: true })), sums);
    expect(split.duplicate_patterns).toEqual([{ a: "Order fails", b: "Leaving checkout", overlap: 1 }]);
    expect(split.patterns.find((p) => p.pattern_key === "order-throws")).toMatchObject({ recovered: false, matches: 2 });
    expect(split.pattern_precision).toBe(1);
  });

  it("pattern precision: reported patterns that match no labelled root problem count against it", () => {
    const e = evaluate(v2, reportOf(pattern("Order fails", ["a", "b"], { exception: "blocking" }), pattern("Clicks on nothing", ["e", "f"], { confusion: true })), sums);
    // fake-button is in one session only: not a root problem to recover, so the pattern matches none.
    expect(e.patterns_unmatched).toEqual(["Clicks on nothing"]);
    expect(e.pattern_precision).toBe(0.5);
  });
});

describe("evaluate: session outcomes as the report gives them", () => {
  const outcomes: Labels = {
    version: 2,
    sessions: {
      // Reached the goal despite an error on the way: the report counts it succeeded, as the label does.
      ok: { outcome: "success", issues: [issue("benign_exception", "widget-noise")] },
      stopped: { outcome: "failure", issues: [issue("blocking_exception", "save-throws")] },
      left: { outcome: "abandoned", issues: [issue("abandonment", "form-left")] },
      // The analyst missed the blocker: not succeeded and nothing blocking reads as giving up.
      missed: { outcome: "failure", issues: [issue("blocking_exception", "save-throws")] },
      // Saved and moved on, yet summarized as not reaching the goal.
      undersold: { outcome: "success", issues: [] },
      unsummarized: { outcome: "success", issues: [] },
    },
  };
  const sums = new Map(
    [
      summaryWith("ok", [{ exception: "blocking" }], true),
      summaryWith("stopped", [{ exception: "blocking" }]),
      summaryWith("left", [{ abandonment: true }]),
      summaryWith("missed", [{ exception: "non-blocking" }]),
      summaryWith("undersold", [{ confusion: true }]),
    ].map((s) => [s.session_id, s]),
  );
  const reportOf = { sessions: { requested: 6, summarized: [...sums.keys()], failed: [], skipped: [] }, patterns: [] } as unknown as Report;
  const e = evaluate(outcomes, reportOf, sums);

  it("compares the report's outcome (succeeded / failed / gave up) with the label's, over scored sessions", () => {
    expect(e.outcome_accuracy).toBe(0.6);
    expect(e.outcome_mismatches).toEqual([
      { session_id: "missed", labelled: "failure", reported: "abandoned" },
      { session_id: "undersold", labelled: "success", reported: "abandoned" },
    ]);
    expect(e.outcome_matrix).toEqual({
      success: { success: 1, failure: 0, abandoned: 1 },
      failure: { success: 0, failure: 1, abandoned: 1 },
      abandoned: { success: 0, failure: 0, abandoned: 1 },
    });
  });

  it("agrees with the report's headline counts", () => {
    const headline = computeOutcomes(sums.values());
    const column = (outcome: "success" | "failure" | "abandoned") => Object.values(e.outcome_matrix).reduce((sum, row) => sum + row[outcome], 0);
    expect([column("success"), column("failure"), column("abandoned")]).toEqual([headline.succeeded, headline.failed, headline.gave_up]);
  });

  it("has no accuracy without scored sessions", () => {
    expect(evaluate(outcomes, reportOf, new Map()).outcome_accuracy).toBeNull();
  });

  it("prints the accuracy in the JSON line and the matrix with the mismatched sessions in the text", () => {
    const figures = flatFigures(e, "offline analyst");
    expect(figures.outcome_accuracy).toBe(0.6);
    expect(figures.outcome_mismatches).toEqual(["missed: failure, reported abandoned", "undersold: success, reported abandoned"]);
    const text = describeEvaluation(e, "offline analyst");
    expect(text).toContain("Session outcomes as the report gives them, against the labels: 0.60 right");
    expect(text).toMatch(/^failure\s+0\s+1\s+1$/m);
    expect(text).toContain("Mismatched sessions:\n  missed: failure, reported abandoned\n  undersold: success, reported abandoned");
  });
});
