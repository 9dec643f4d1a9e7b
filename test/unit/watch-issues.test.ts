import { describe, expect, it } from "vitest";
import type { IssueState, Monitor, TrackedIssue } from "../../src/domain/monitor.ts";
import type { PatternExample, ReportPattern } from "../../src/domain/report.ts";
import type { KeyAction } from "../../src/domain/summary.ts";
import { HOUR_MS, ManualClock } from "../../src/watch/clock.ts";
import { bestExamples, IssueTrackingError, trackIssues, withIssueIds, type TrackIssuesInput } from "../../src/watch/issues.ts";
import { keyAction } from "../fixtures/key-action.ts";

const monitor: Pick<Monitor, "id" | "project" | "resolve_after_sweeps" | "resolve_after_hours"> = { id: "m1", project: "p1", resolve_after_sweeps: 2, resolve_after_hours: 6 };

function example(sessionId: string, target: Partial<KeyAction>, extra: Partial<PatternExample> = {}): PatternExample {
  return {
    session_id: sessionId,
    distinct_id: `user-${sessionId}`,
    session_start: "2026-11-01T10:00:00.000Z",
    session_duration_s: 120,
    segment_index: 0,
    segment_name: "Checkout",
    segment_outcome: "failed",
    segment_success: false,
    target: {
      ...keyAction("a1b2c3d4", "Clicking \"Place order\" on /checkout threw TypeError: Cannot read properties of undefined (reading 'total').", {
        exception: "blocking",
        current_url: "https://shop.test/checkout?step=2",
      }),
      ...target,
    },
    before: [],
    after: [],
    ...extra,
  };
}

function pattern(id: number, name: string, examples: PatternExample[], severity: ReportPattern["severity"] = "high"): ReportPattern {
  return {
    id,
    slug: name.toLowerCase().replace(/\W+/g, "-"),
    name,
    description: `${name}.`,
    severity,
    indicators: [name],
    stats: { occurrences: examples.length, sessions_affected: examples.length, sessions_affected_ratio: 0.1, segments_success_ratio: 0 },
    examples,
  };
}

const checkoutError = (...sessions: string[]) =>
  pattern(
    1,
    "Place order fails with TypeError on /checkout",
    sessions.map((s) => example(s, {})),
  );
const searchError = (...sessions: string[]) =>
  pattern(
    2,
    "Search returns HTTP 500 on /search",
    sessions.map((s) => example(s, { description: "Loading /search threw ApiError: GET /api/search failed with 500: upstream timeout.", current_url: `https://shop.test/search?q=${s}` })),
  );

/** Runs sweeps like a store would: saves new issues with ids, keeps the rest. */
class Tracker {
  issues: TrackedIssue[] = [];
  private nextId = 1;
  constructor(readonly clock: ManualClock) {}

  sweep(patterns: ReportPattern[], sessions: string[], extra: Partial<TrackIssuesInput> = {}) {
    const result = trackIssues({ monitor, existing: this.issues, patterns, report_id: `r${this.nextId}`, sweepAt: this.clock.now(), sessionsInSweep: sessions, ...extra });
    const saved = new Map(this.issues.map((issue) => [issue.fingerprint, issue]));
    for (const issue of result.issues) saved.set(issue.fingerprint, issue.id === 0 ? { ...issue, id: this.nextId++ } : issue);
    this.issues = [...saved.values()];
    return withIssueIds(result, this.issues);
  }

  state(title: string): IssueState | undefined {
    return this.issues.find((issue) => issue.title === title)?.state;
  }
}

const CHECKOUT = "Place order fails with TypeError on /checkout";

describe("trackIssues: the state machine", () => {
  it("goes new → ongoing → resolved (after enough sweeps AND hours) → regressed → ongoing", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    let r = t.sweep([checkoutError("s1", "s2")], ["s1", "s2", "s3"]);
    expect(r.transitions.map(({ from, to }) => [from, to])).toEqual([[null, "new"]]);
    expect(t.state(CHECKOUT)).toBe("new");

    clock.advance(HOUR_MS);
    r = t.sweep([checkoutError("s4", "s5")], ["s4", "s5"]);
    expect(r.transitions.map(({ from, to }) => [from, to])).toEqual([["new", "ongoing"]]);

    // Two sweeps without it, but only 2 h: not yet resolved (resolve_after_hours is 6).
    clock.advance(HOUR_MS);
    t.sweep([], ["s6"]);
    clock.advance(HOUR_MS);
    r = t.sweep([], ["s7"]);
    expect(r.transitions).toEqual([]);
    expect(t.issues[0]!.sweeps_unseen).toBe(2);

    clock.advance(4 * HOUR_MS);
    r = t.sweep([], ["s8"]);
    expect(r.transitions.map(({ from, to }) => [from, to])).toEqual([["ongoing", "resolved"]]);

    clock.advance(HOUR_MS);
    r = t.sweep([checkoutError("s9", "s10")], ["s9", "s10"]);
    expect(r.transitions.map(({ from, to }) => [from, to])).toEqual([["resolved", "regressed"]]);
    expect(r.transitions[0]!.issue.id).toBe(1);

    clock.advance(HOUR_MS);
    r = t.sweep([checkoutError("s11", "s12")], ["s11", "s12"]);
    expect(r.transitions.map(({ from, to }) => [from, to])).toEqual([["regressed", "ongoing"]]);
    expect(t.issues).toHaveLength(1);
    expect(t.issues[0]!.sessions_total).toBe(8);
    expect(t.issues[0]!.first_seen).toBe("2026-12-01T08:00:00.000Z");
  });

  it("does not count a sweep that took no sessions as a sweep without the issue", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    t.sweep([checkoutError("s1", "s2")], ["s1", "s2"]);
    for (let i = 0; i < 5; i += 1) {
      clock.advance(24 * HOUR_MS);
      expect(t.sweep([], []).issues).toEqual([]);
    }
    expect(t.state(CHECKOUT)).toBe("new");
    expect(t.issues[0]!.sweeps_unseen).toBe(0);
  });

  it("keeps a snoozed issue snoozed (still counted) until the date passes, then wakes it when seen", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    t.sweep([checkoutError("s1", "s2")], ["s1", "s2"]);
    t.issues = t.issues.map((issue) => ({ ...issue, state: "snoozed", snoozed_until: "2026-12-02T08:00:00.000Z" }));
    clock.advance(HOUR_MS);
    let r = t.sweep([checkoutError("s3", "s4")], ["s3", "s4"]);
    expect(r.transitions).toEqual([]);
    expect(t.state(CHECKOUT)).toBe("snoozed");
    expect(t.issues[0]!.sessions_total).toBe(4);

    clock.set("2026-12-02T09:00:00Z");
    r = t.sweep([checkoutError("s5", "s6")], ["s5", "s6"]);
    expect(r.transitions.map(({ from, to }) => [from, to])).toEqual([["snoozed", "ongoing"]]);
    expect(t.issues[0]!.snoozed_until).toBeUndefined();
  });

  it("wakes a snoozed issue as regressed when it would have resolved meanwhile", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    t.sweep([checkoutError("s1", "s2")], ["s1", "s2"]);
    t.issues = t.issues.map((issue) => ({ ...issue, state: "snoozed", snoozed_until: "2026-12-05T00:00:00.000Z" }));
    for (const day of ["02", "03", "04"]) {
      clock.set(`2026-12-${day}T08:00:00Z`);
      t.sweep([], [`x${day}`]);
    }
    expect(t.state(CHECKOUT)).toBe("snoozed");
    clock.set("2026-12-06T08:00:00Z");
    const r = t.sweep([checkoutError("s3", "s4")], ["s3", "s4"]);
    expect(r.transitions.map(({ from, to }) => [from, to])).toEqual([["snoozed", "regressed"]]);
  });

  it("keeps a muted issue muted, seen or not, and still counts it", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    t.sweep([checkoutError("s1", "s2")], ["s1", "s2"]);
    t.issues = t.issues.map((issue) => ({ ...issue, state: "muted" }));
    for (let i = 0; i < 4; i += 1) {
      clock.advance(12 * HOUR_MS);
      t.sweep([], [`x${i}`]);
    }
    clock.advance(HOUR_MS);
    const r = t.sweep([checkoutError("s3")], ["s3"]);
    expect(r.transitions).toEqual([]);
    expect(t.state(CHECKOUT)).toBe("muted");
    expect(t.issues[0]!.sessions_total).toBe(3);
  });
});

describe("trackIssues: matching and counting", () => {
  it("merges two patterns of one sweep with the same fingerprint into one issue, each session once", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    const twin = { ...checkoutError("s2", "s3"), id: 3, name: "Checkout crashes on Place order", severity: "critical" as const };
    const r = t.sweep([checkoutError("s1", "s2"), twin, searchError("s4", "s5")], ["s1", "s2", "s3", "s4", "s5"]);
    expect(r.issues).toHaveLength(2);
    const checkout = t.issues.find((issue) => issue.title === CHECKOUT)!;
    expect(checkout.sessions_total).toBe(3);
    expect(checkout.users_total).toBe(3);
    expect(checkout.severity).toBe("critical");
    expect(r.days.find((day) => day.issue_id === checkout.id)).toEqual({ issue_id: checkout.id, day: "2026-12-01", sessions: 3, users: 3 });
  });

  it("matches by fingerprint, not by name: the same error with new ids and another name is the same issue", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    t.sweep([searchError("s1", "s2")], ["s1", "s2"]);
    clock.advance(HOUR_MS);
    const renamed = { ...searchError("s3", "s4"), name: "Search is down" };
    renamed.examples = renamed.examples.map((e) => ({ ...e, target: { ...e.target, description: "Loading /search threw ApiError: GET /api/search failed with 503: upstream timeout." } }));
    t.sweep([renamed], ["s3", "s4"]);
    expect(t.issues).toHaveLength(1);
    expect(t.issues[0]!.title).toBe("Search returns HTTP 500 on /search");
    expect(t.issues[0]!.state).toBe("ongoing");
  });

  it("matches model-written patterns by words only when told they are model-written, and only on the same kind and route", () => {
    const modelPattern = (sessions: string[], name: string, control: string) =>
      pattern(
        5,
        name,
        sessions.map((s) => example(s, { description: `The user pressed the ${control} button on checkout and the page showed an error; nothing happened.` })),
      );
    for (const modelWritten of [false, true]) {
      const clock = new ManualClock("2026-12-01T08:00:00Z");
      const t = new Tracker(clock);
      t.sweep([modelPattern(["s1", "s2"], "Place order button fails at checkout", '"Place order"')], ["s1", "s2"], { modelWritten });
      clock.advance(HOUR_MS);
      t.sweep([modelPattern(["s3", "s4"], "Checkout place order button fails", '"Place the order"')], ["s3", "s4"], { modelWritten });
      expect(t.issues).toHaveLength(modelWritten ? 1 : 2);
      // Another route is never the same problem, whatever the words.
      clock.advance(HOUR_MS);
      const elsewhere = modelPattern(["s5", "s6"], "Place order button fails at checkout", '"Place order"');
      elsewhere.examples = elsewhere.examples.map((e) => ({ ...e, target: { ...e.target, current_url: "https://shop.test/cart" } }));
      t.sweep([elsewhere], ["s5", "s6"], { modelWritten });
      expect(t.issues).toHaveLength(modelWritten ? 2 : 3);
    }
  });

  it("keeps a problem seen in one session as a candidate, and makes it new (one transition) when its sessions across sweeps reach the minimum", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    const first = t.sweep([searchError("s1")], ["s1", "s2"]);
    expect(t.issues.map((i) => [i.state, i.sessions_total])).toEqual([["candidate", 1]]);
    expect(first.transitions.map((x) => [x.from, x.to])).toEqual([[null, "candidate"]]);
    // Unseen for many sweeps and hours: a candidate never resolves (it was never shown).
    for (let n = 0; n < 4; n++) {
      clock.advance(12 * HOUR_MS);
      t.sweep([], ["other"]);
    }
    expect(t.issues[0]!.state).toBe("candidate");
    clock.advance(HOUR_MS);
    const second = t.sweep([searchError("s9")], ["s9"]);
    expect(t.issues.map((i) => [i.state, i.sessions_total])).toEqual([["new", 2]]);
    expect(second.transitions.map((x) => [x.from, x.to])).toEqual([["candidate", "new"]]);
    expect(t.issues[0]!.first_seen).toBe("2026-12-01T08:00:00.000Z");
    // A monitor asking for 1 session shows it at once.
    const eager = new Tracker(new ManualClock("2026-12-01T08:00:00Z"));
    eager.sweep([searchError("s1")], ["s1"], { monitor: { ...monitor, min_issue_sessions: 1 } });
    expect(eager.issues[0]!.state).toBe("new");
  });

  it("keeps one issue for the same error thrown on another page (a script that throws everywhere), but not for another error there", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    const onPage = (sessions: string[], url: string, error = "Cannot read properties of null (reading 'dataset')") =>
      pattern(
        7,
        "Currency switcher throws",
        sessions.map((s) => example(s, { description: `Loading the page threw TypeError: ${error}.`, exception: "non-blocking", current_url: url })),
        "low",
      );
    t.sweep([onPage(["s1", "s2"], "https://shop.test/product/pot")], ["s1", "s2"]);
    clock.advance(HOUR_MS);
    t.sweep([onPage(["s3", "s4"], "https://shop.test/")], ["s3", "s4"]);
    expect(t.issues).toHaveLength(1);
    expect(t.issues[0]).toMatchObject({ state: "ongoing", sessions_total: 4 });
    clock.advance(HOUR_MS);
    t.sweep([onPage(["s5", "s6"], "https://shop.test/", "Cannot read properties of null (reading 'text')")], ["s5", "s6"]);
    expect(t.issues).toHaveLength(2);
  });

  it("never merges by words two model-written patterns whose controls share no words, however alike their wording", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    const deadClick = (sessions: string[], control: string) =>
      pattern(
        8,
        `Clicked "${control}" and nothing happened`,
        sessions.map((s) =>
          example(s, { description: `Clicked "${control}" and nothing happened.`, exception: null, confusion: true, event: "$dead_click", current_url: "https://shop.test/product/pot" }),
        ),
        "medium",
      );
    t.sweep([deadClick(["s1", "s2"], "Add to cart")], ["s1", "s2"], { modelWritten: true });
    clock.advance(HOUR_MS);
    t.sweep([deadClick(["s3", "s4"], "Zoom")], ["s3", "s4"], { modelWritten: true });
    expect(t.issues.map((issue) => issue.title).sort()).toEqual(['Clicked "Add to cart" and nothing happened', 'Clicked "Zoom" and nothing happened']);
  });

  it("counts only the sweep's own sessions (occurrences from sessions another sweep took were counted there)", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    const r = t.sweep([checkoutError("s1", "s2", "old")], ["s1", "s2"]);
    expect(t.issues[0]!.sessions_total).toBe(2);
    expect(t.issues[0]!.examples.map((e) => e.session_id).sort()).toEqual(["s1", "s2"]);
    expect(r.days[0]!.sessions).toBe(2);
    // A pattern seen only in sessions outside the sweep is not seen by it.
    expect(t.sweep([checkoutError("old")], ["s9"]).transitions).toEqual([]);
  });

  it("uses the injected usersOf, and counts days by session start when asked", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    const p = checkoutError("s1", "s2", "s3");
    p.examples[2] = { ...p.examples[2]!, session_start: "2026-11-30T23:50:00.000Z" };
    const r = t.sweep([p], ["s1", "s2", "s3"], { usersOf: (ids) => Math.min(ids.length, 2), options: { dayOf: "session" } });
    expect(r.days).toEqual([
      { issue_id: 1, day: "2026-11-01", sessions: 2, users: 2 },
      { issue_id: 1, day: "2026-11-30", sessions: 1, users: 1 },
    ]);
    expect(t.issues[0]!.users_total).toBe(2);
  });

  it("keeps the best examples: confirmed replay checks first, then newest, one per session, at most maxExamples", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    const p = checkoutError("s1", "s2", "s3", "s4");
    const at = (i: number) => `2026-12-01T07:0${i}:00.000Z`;
    p.examples = p.examples.map((e, i) => ({ ...e, target: { ...e.target, timestamp: at(i) } }));
    p.examples[0] = { ...p.examples[0]!, validation: { verdict: "confirmed", method: "dom", evidence: ["error shown"], changes: [] } };
    p.examples[3] = { ...p.examples[3]!, validation: { verdict: "not_confirmed", method: "dom", evidence: [], changes: [] } };
    t.sweep([p], ["s1", "s2", "s3", "s4"], { options: { maxExamples: 3 } });
    expect(t.issues[0]!.examples.map((e) => [e.session_id, e.verdict])).toEqual([
      ["s1", "confirmed"],
      ["s3", undefined],
      ["s2", undefined],
    ]);
    expect(bestExamples([...t.issues[0]!.examples, ...t.issues[0]!.examples], 5).map((e) => e.session_id)).toEqual(["s1", "s3", "s2"]);
  });
});

describe("trackIssues: bad input", () => {
  it("refuses issues of another monitor, two issues with one fingerprint, and an invalid date", () => {
    const clock = new ManualClock("2026-12-01T08:00:00Z");
    const t = new Tracker(clock);
    t.sweep([checkoutError("s1", "s2")], ["s1", "s2"]);
    const base = { monitor, patterns: [], report_id: "r", sweepAt: clock.now(), sessionsInSweep: ["s3"] };
    expect(() => trackIssues({ ...base, existing: [{ ...t.issues[0]!, monitor_id: "other" }] })).toThrow(IssueTrackingError);
    expect(() => trackIssues({ ...base, existing: [t.issues[0]!, { ...t.issues[0]!, id: 9 }] })).toThrow(/two issues/);
    expect(() => trackIssues({ ...base, existing: [], sweepAt: new Date("nope") })).toThrow(IssueTrackingError);
    expect(() => withIssueIds(trackIssues({ ...base, existing: [], patterns: [searchError("s3")] }), [])).toThrow(/no saved issue/);
  });
});
