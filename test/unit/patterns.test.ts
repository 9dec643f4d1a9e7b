import { describe, expect, it } from "vitest";
import type { RawPattern } from "../../src/domain/report.ts";
import type { KeyAction, Segment, SessionSummary } from "../../src/domain/summary.ts";
import { adjustSeverity, buildReportPatterns, packByTokens, patternExamples, patternStats, resolveAssignments, shortfall } from "../../src/patterns/index.ts";

const START = Date.parse("2026-11-01T10:00:00Z");

function action(eventId: string, flags: Partial<Pick<KeyAction, "exception" | "confusion" | "abandonment" | "slow">> = {}, facts: Partial<KeyAction> = {}): KeyAction {
  return {
    slow: flags.slow ?? false,
    event_id: eventId,
    description: `action ${eventId}`,
    abandonment: flags.abandonment ?? false,
    confusion: flags.confusion ?? false,
    exception: flags.exception ?? null,
    event_uuid: `uuid-${eventId}`,
    event: "$autocapture",
    timestamp: new Date(START).toISOString(),
    ms_since_start: 0,
    event_index: 0,
    ...facts,
  };
}

function segment(index: number, actions: KeyAction[], success: boolean): Segment {
  return {
    index,
    name: `segment ${index}`,
    start_event_id: actions[0]?.event_id ?? "00000000",
    end_event_id: actions.at(-1)?.event_id ?? "00000000",
    start: new Date(START).toISOString(),
    end: new Date(START + 1000).toISOString(),
    key_actions: actions,
    outcome: { success, summary: success ? "done" : "failed" },
    stats: { duration_s: 1, duration_ratio: 0.5, key_action_count: actions.length, failure_count: 0, exception_count: 0, confusion_count: 0, abandonment_count: 0 },
  };
}

function summary(sessionId: string, segments: Segment[]): SessionSummary {
  return {
    session_id: sessionId,
    start: new Date(START).toISOString(),
    duration_s: 60,
    segments,
    session_outcome: { success: false, summary: "x" },
    analyst: { kind: "heuristic", label: "offline analyst" },
  };
}

const pattern = (id: number, name: string, severity: RawPattern["severity"]): RawPattern => ({
  pattern_id: id,
  pattern_name: name,
  pattern_description: `${name} description`,
  severity,
  indicators: ["indicator"],
});

describe("packByTokens", () => {
  it("packs greedily in order, gives an oversized item its own chunk, and leaves out what can never fit", () => {
    const plan = packByTokens(
      [
        { id: "a", tokens: 40 },
        { id: "b", tokens: 40 },
        { id: "c", tokens: 30 },
        { id: "big", tokens: 150 },
        { id: "d", tokens: 10 },
        { id: "huge", tokens: 500 },
      ],
      { maxTokens: 110, baseTokens: 10, singleItemMaxTokens: 300 },
    );
    // "big" does not close the open chunk: "c" and "d" still share one.
    expect(plan.chunks).toEqual([["a", "b"], ["big"], ["c", "d"]]);
    expect(plan.tooLarge.map((i) => i.id)).toEqual(["huge"]);
  });
});

describe("shortfall", () => {
  it("needs ceil(total × ratio) successes and at least one", () => {
    expect(shortfall("summaries", 2, 3, 0.5)).toBeUndefined();
    expect(shortfall("summaries", 1, 3, 0.5)).toBe("summaries: only 1 of 3 succeeded, at least 2 (50%) are needed");
    expect(shortfall("chunks", 3, 4, 0.75)).toBeUndefined();
    expect(shortfall("chunks", 2, 4, 0.75)).toMatch(/at least 3/);
    expect(shortfall("anything", 0, 0, 0.5)).toMatch(/at least 1/);
  });
});

describe("resolveAssignments", () => {
  const s1 = summary("s1", [segment(0, [action("aaaaaaaa", { exception: "blocking" }), action("bbbbbbbb"), action("cccccccc", { exception: "non-blocking" })], false)]);
  const s2 = summary("s2", [segment(0, [action("dddddddd", { confusion: true }), action("aaaaaaaa", { abandonment: true })], false)]);
  const summaries = new Map([
    ["s1", s1],
    ["s2", s2],
  ]);

  it("keeps flagged events and counts every reason an id was not used", () => {
    const { evidence, skips } = resolveAssignments(
      [
        {
          sessionIds: ["s1"],
          assignments: [
            { pattern_id: 1, event_ids: ["aaaaaaaa", "bbbbbbbb", "cccccccc", "eeeeeeee"] },
            { pattern_id: 9, event_ids: ["aaaaaaaa"] },
          ],
        },
        { sessionIds: ["s1", "s2"], assignments: [{ pattern_id: 2, event_ids: ["dddddddd", "aaaaaaaa"] }] },
      ],
      summaries,
      new Set([1, 2]),
    );
    expect(evidence.get(1)!.map((e) => [e.sessionId, e.action.event_id])).toEqual([["s1", "aaaaaaaa"]]);
    expect(evidence.get(2)!.map((e) => [e.sessionId, e.action.event_id])).toEqual([["s2", "dddddddd"]]);
    expect(skips).toEqual({ unknown: 1, ambiguous: 1, unflagged: 1, nonBlockingOnly: 1, unknownPattern: 1 });
  });

  it("treats an id found in three sessions of a chunk as ambiguous too", () => {
    const s3 = summary("s3", [segment(0, [action("aaaaaaaa", { confusion: true })], false)]);
    const { evidence, skips } = resolveAssignments([{ sessionIds: ["s1", "s2", "s3"], assignments: [{ pattern_id: 1, event_ids: ["aaaaaaaa"] }] }], new Map([...summaries, ["s3", s3]]), new Set([1]));
    expect(evidence.get(1)).toBeUndefined();
    expect(skips.ambiguous).toBe(1);
  });

  it("gives an event to the first pattern that claims it only", () => {
    const { evidence } = resolveAssignments(
      [
        {
          sessionIds: ["s1"],
          assignments: [
            { pattern_id: 1, event_ids: ["aaaaaaaa"] },
            { pattern_id: 2, event_ids: ["aaaaaaaa"] },
          ],
        },
      ],
      summaries,
      new Set([1, 2]),
    );
    expect(evidence.get(1)).toHaveLength(1);
    expect(evidence.get(2)).toBeUndefined();
  });
});

describe("stats and examples", () => {
  const seg0 = segment(
    0,
    [action("a0000001"), action("a0000002"), action("a0000003"), action("a0000004"), action("a0000005", { exception: "blocking" }), action("a0000006"), action("a0000007", { exception: "blocking" })],
    false,
  );
  const seg1 = segment(1, [action("a0000008", { confusion: true })], true);
  const one = summary("one", [seg0, seg1]);
  one.visual_checks = [{ event_id: "a0000005", verdict: "confirmed", method: "dom", evidence: ["'Payment failed' became visible"], changes: [] }];
  const two = summary("two", [segment(0, [action("b0000001", { exception: "blocking" })], true)]);
  const summaries = new Map([
    ["one", one],
    ["two", two],
  ]);
  const evidence = [
    { sessionId: "one", segment: seg0, action: seg0.key_actions[4]! },
    { sessionId: "one", segment: seg0, action: seg0.key_actions[6]! },
    { sessionId: "one", segment: seg1, action: seg1.key_actions[0]! },
    { sessionId: "two", segment: two.segments[0]!, action: two.segments[0]!.key_actions[0]! },
  ];

  it("counts occurrences, sessions and the success of affected segments", () => {
    expect(patternStats(evidence, 8)).toEqual({
      occurrences: 4,
      sessions_affected: 2,
      sessions_affected_ratio: 0.25,
      // segments: one/0 failed, one/1 succeeded, two/0 succeeded
      segments_success_ratio: 0.67,
    });
  });

  it("gives one example per session with up to 3 key actions around it and its validation", () => {
    const examples = patternExamples(evidence, summaries);
    expect(examples.map((e) => e.session_id)).toEqual(["one", "two"]);
    expect(examples[0]!.before.map((a) => a.event_id)).toEqual(["a0000002", "a0000003", "a0000004"]);
    expect(examples[0]!.after.map((a) => a.event_id)).toEqual(["a0000006", "a0000007"]);
    expect(examples[0]!.validation).toMatchObject({ verdict: "confirmed", method: "dom" });
    expect(examples[1]!.validation).toBeUndefined();
  });
});

describe("adjustSeverity", () => {
  const stats = (sessions: number, total: number) => ({
    occurrences: sessions,
    sessions_affected: sessions,
    sessions_affected_ratio: Math.round((sessions / total) * 100) / 100,
    segments_success_ratio: 0,
  });
  it("raises very frequent medium patterns, lowers rare blockers, and leaves the rest", () => {
    expect(adjustSeverity("medium", stats(60, 100), 100)).toEqual({ severity: "high", reason: "affects 60% of sessions" });
    expect(adjustSeverity("medium", stats(50, 100), 100).severity).toBe("medium");
    expect(adjustSeverity("critical", stats(2, 100), 100)).toEqual({ severity: "high", reason: "seen in only 2 sessions (2%)" });
    expect(adjustSeverity("critical", stats(3, 100), 100).severity).toBe("critical");
    expect(adjustSeverity("critical", stats(2, 10), 10).severity).toBe("critical");
  });

  it("compares exact shares, not the rounded ones shown", () => {
    // 2 of 39 is 5.13%: above the 5% line although it shows as 0.05
    expect(adjustSeverity("critical", stats(2, 39), 39).severity).toBe("critical");
    expect(adjustSeverity("critical", stats(2, 40), 40).severity).toBe("high");
    // 126 of 250 is 50.4%: above half although it shows as 0.5
    expect(adjustSeverity("medium", stats(126, 250), 250).severity).toBe("high");
  });
});

describe("buildReportPatterns", () => {
  it("drops single-session and low patterns, orders by severity then reach, numbers them with unique slugs", () => {
    // The confusion comes two minutes after the error: another moment of the session, not a duplicate of it.
    const sessions = ["s1", "s2", "s3", "s4"].map((id) =>
      summary(id, [segment(0, [action(`${id.slice(1)}0000000`, { exception: "blocking" }), action(`${id.slice(1)}0000001`, { confusion: true }, { ms_since_start: 120_000 })], false)]),
    );
    const byId = new Map(sessions.map((s) => [s.session_id, s]));
    const ev = (ids: string[], actionIndex: number) => ids.map((id) => ({ sessionId: id, segment: byId.get(id)!.segments[0]!, action: byId.get(id)!.segments[0]!.key_actions[actionIndex]! }));
    const { patterns, dropped } = buildReportPatterns(
      [pattern(1, "Coupon rejected", "medium"), pattern(2, "Order fails", "critical"), pattern(3, "Lonely issue", "high"), pattern(4, "Noise", "low"), pattern(5, "Order fails", "high")],
      new Map([
        [1, ev(["s1", "s2", "s3"], 1)],
        [2, ev(["s1", "s2"], 0)],
        [3, ev(["s4"], 0)],
        [4, ev(["s3", "s4"], 0)],
        [5, ev(["s3", "s4"], 0)],
      ]),
      byId,
      4,
    );
    expect(patterns.map((p) => [p.id, p.slug, p.severity, p.stats.sessions_affected])).toEqual([
      [1, "order-fails", "critical", 2],
      [2, "coupon-rejected", "high", 3],
      [3, "order-fails-2", "high", 2],
    ]);
    expect(patterns[1]!.severity_adjustment).toEqual({ from: "medium", reason: "affects 75% of sessions" });
    expect(dropped).toEqual([
      { name: "Lonely issue", reason: "evidence from 1 session(s), 2 needed" },
      { name: "Noise", reason: "low severity" },
    ]);
  });
});

describe("one pattern per root problem", () => {
  const at = (path: string) => `https://app.example.com${path}`;
  /** A session where "Pay" throws at 10 s on /pay, the user retries, and (when `leaves`) gives up at 20 s. */
  function failedPayment(id: string, leaves: boolean, distinctId?: string): SessionSummary {
    const actions = [
      action(
        `${id}000001`,
        { exception: "blocking" },
        { ms_since_start: 10_000, current_url: at("/pay"), event: "$exception", description: 'Clicking "Pay" on /pay threw TypeError: x; the user tried again twice and it failed each time.' },
      ),
      action(`${id}000002`, { confusion: true }, { ms_since_start: 14_000, current_url: at("/pay"), description: 'Rage-clicked "Pay" on /pay.' }),
      ...(leaves ? [action(`${id}000003`, { abandonment: true }, { ms_since_start: 20_000, current_url: at("/pay?step=2"), description: "Left the payment page." })] : []),
    ];
    const s = summary(`s-${id}`, [segment(0, actions, !leaves)]);
    if (distinctId) s.distinct_id = distinctId;
    return s;
  }
  const evidenceOf = (summaries: SessionSummary[], pick: (a: KeyAction) => boolean) =>
    summaries.map((s) => ({ sessionId: s.session_id, segment: s.segments[0]!, action: s.segments[0]!.key_actions.find(pick)! }));

  it("counts what followed the problem on it: users who gave up, who retried, and the retries", () => {
    const summaries = [failedPayment("a", true, "user-1"), failedPayment("b", true, "user-1"), failedPayment("c", false, "user-2")];
    const byId = new Map(summaries.map((s) => [s.session_id, s]));
    const stats = patternStats(
      evidenceOf(summaries, (a) => a.exception === "blocking"),
      10,
      byId,
    );
    expect(stats.users_affected).toBe(2);
    // Each session: 2 retries told by the description + 1 rage click on the same page after it.
    expect(stats.consequences).toEqual({ sessions_abandoned: 2, sessions_retried: 3, retries: 9 });
  });

  it("merges a pattern made of another's consequences into it (same sessions, page and moment), keeping the cause's name", () => {
    const summaries = [failedPayment("a", true), failedPayment("b", true), failedPayment("c", true), failedPayment("d", false)];
    const byId = new Map(summaries.map((s) => [s.session_id, s]));
    const { patterns, dropped } = buildReportPatterns(
      [pattern(1, "Users abandon payment", "high"), pattern(2, "Pay throws TypeError", "critical"), pattern(3, "Rage clicks on Pay", "medium")],
      new Map([
        [1, evidenceOf(summaries.slice(0, 3), (a) => a.abandonment)],
        [2, evidenceOf(summaries, (a) => a.exception === "blocking")],
        [3, evidenceOf(summaries, (a) => a.confusion)],
      ]),
      byId,
      10,
    );
    expect(patterns.map((p) => [p.id, p.name, p.severity, p.stats.sessions_affected])).toEqual([[1, "Pay throws TypeError", "critical", 4]]);
    expect(patterns[0]!.stats.consequences).toMatchObject({ sessions_abandoned: 3, sessions_retried: 4 });
    expect([...dropped].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: "Rage clicks on Pay", reason: "merged into #1: same sessions, page and moment (one root problem)" },
      { name: "Users abandon payment", reason: "merged into #1: same sessions, page and moment (one root problem)" },
    ]);
  });

  it("keeps apart patterns that share sessions but happen on other pages or much later", () => {
    const summaries = ["a", "b", "c"].map((id) =>
      summary(`s-${id}`, [
        segment(
          0,
          [
            action(`${id}000001`, { exception: "blocking" }, { ms_since_start: 10_000, current_url: at("/pay") }),
            action(`${id}000002`, { confusion: true }, { ms_since_start: 15_000, current_url: at("/profile") }),
            action(`${id}000003`, { slow: true }, { ms_since_start: 600_000, current_url: at("/pay") }),
          ],
          false,
        ),
      ]),
    );
    const byId = new Map(summaries.map((s) => [s.session_id, s]));
    const { patterns, dropped } = buildReportPatterns(
      [pattern(1, "Pay throws", "critical"), pattern(2, "Profile confusing", "medium"), pattern(3, "Pay page slow", "high")],
      new Map([
        [1, evidenceOf(summaries, (a) => a.exception === "blocking")],
        [2, evidenceOf(summaries, (a) => a.confusion)],
        [3, evidenceOf(summaries, (a) => a.slow === true)],
      ]),
      byId,
      10,
    );
    expect(patterns.map((p) => p.name)).toEqual(["Pay throws", "Pay page slow", "Profile confusing"]);
    expect(dropped).toEqual([]);
  });
});
