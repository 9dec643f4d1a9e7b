import { describe, expect, it } from "vitest";
import type { Labels } from "../../src/domain/labels.ts";
import type { Report, ReportPattern } from "../../src/domain/report.ts";
import type { KeyAction, SessionSummary } from "../../src/domain/summary.ts";
import { evaluate } from "../../src/eval/score.ts";

const T = "2026-11-01T10:00:10.000Z";
const issue = (kind: Labels["sessions"][string]["issues"][number]["kind"], pattern_key: string) => ({ kind, pattern_key, visible: true, timestamp: T, description: kind });

function summaryWith(sessionId: string, flags: Array<Partial<Pick<KeyAction, "exception" | "confusion" | "abandonment">>>): SessionSummary {
  const actions: KeyAction[] = flags.map((f, i) => ({
    event_id: `0000000${i}`,
    description: "x",
    exception: f.exception ?? null,
    confusion: f.confusion ?? false,
    abandonment: f.abandonment ?? false,
    event_uuid: `${sessionId}-${i}`,
    event: "$exception",
    timestamp: T,
    ms_since_start: 0,
    event_index: i,
  }));
  return {
    session_id: sessionId,
    start: T,
    duration_s: 60,
    segments: [{ index: 0, name: "s", start_event_id: "00000000", end_event_id: "00000000", start: T, end: T, key_actions: actions, outcome: { success: false, summary: "x" }, stats: { duration_s: 1, duration_ratio: 1, key_action_count: 0, failure_count: 0, exception_count: 0, confusion_count: 0, abandonment_count: 0 } }],
    session_outcome: { success: false, summary: "x" },
    analyst: { kind: "heuristic", label: "offline analyst" },
  };
}

function pattern(name: string, sessions: string[], flags: Partial<Pick<KeyAction, "exception" | "confusion" | "abandonment">>): ReportPattern {
  return {
    id: 1,
    slug: name,
    name,
    description: name,
    severity: "high",
    indicators: ["x"],
    stats: { occurrences: sessions.length, sessions_affected: sessions.length, sessions_affected_ratio: 0.5, segments_success_ratio: 0 },
    examples: sessions.map((session_id) => ({ session_id, session_start: T, session_duration_s: 60, segment_index: 0, segment_name: "s", segment_outcome: "x", segment_success: false, target: summaryWith(session_id, [flags]).segments[0]!.key_actions[0]!, before: [], after: [] })),
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
