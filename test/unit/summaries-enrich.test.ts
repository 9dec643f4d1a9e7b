import { describe, expect, it } from "vitest";
import type { RawSessionSummary } from "../../src/domain/summary.ts";
import type { EventRef } from "../../src/encode/types.ts";
import { enrichSummary, hasBlockingIssue } from "../../src/summaries/enrich.ts";

const START = Date.parse("2026-11-01T10:00:00Z");
const ref = (id: string, offsetMs: number, event = "$autocapture"): [string, EventRef] => [
  id,
  { sessionId: "s1", uuid: `uuid-${id}`, index: offsetMs / 1000, timestampMs: START + offsetMs, event, windowId: "w1", url: "https://shop.test/checkout?token=real" },
];
const idMap = new Map([ref("00000001", 5_000, "$pageview"), ref("00000002", 20_000), ref("00000003", 30_000, "$exception"), ref("00000004", 50_000, "$pageleave")]);
const analyst = { kind: "heuristic" as const, label: "offline analyst" };

const raw: RawSessionSummary = {
  segments: [
    {
      name: "Checkout",
      start_event_id: "00000001",
      end_event_id: "00000004",
      key_actions: [
        { event_id: "00000003", description: "Place order threw", exception: "blocking", confusion: false, abandonment: false },
        { event_id: "00000002", description: "Filled the form", exception: null, confusion: false, abandonment: false },
        { event_id: "deadbeef", description: "made up", exception: null, confusion: true, abandonment: false },
        { event_id: "00000004", description: "Left", exception: null, confusion: false, abandonment: true },
      ],
      outcome: { success: false, summary: "Could not order" },
    },
  ],
  session_outcome: { success: false, summary: "Blocked at checkout" },
};

describe("enrichSummary", () => {
  const summary = enrichSummary(raw, { sessionId: "s1", distinctId: "u1", startMs: START, endMs: START + 60_000, idMap }, analyst, "checkout");

  it("re-attaches the real events, in time order, and drops actions citing unknown ids", () => {
    const actions = summary.segments[0]!.key_actions;
    expect(actions.map((a) => [a.event_id, a.event_uuid, a.ms_since_start, a.event])).toEqual([
      ["00000002", "uuid-00000002", 20_000, "$autocapture"],
      ["00000003", "uuid-00000003", 30_000, "$exception"],
      ["00000004", "uuid-00000004", 50_000, "$pageleave"],
    ]);
    expect(actions[0]!.current_url).toBe("https://shop.test/checkout?token=real");
  });

  it("computes segment times and counts in code", () => {
    expect(summary.segments[0]).toMatchObject({
      start: "2026-11-01T10:00:05.000Z",
      end: "2026-11-01T10:00:50.000Z",
      stats: { duration_s: 45, duration_ratio: 0.75, key_action_count: 3, failure_count: 2, exception_count: 1, confusion_count: 0, abandonment_count: 1 },
    });
    expect(summary).toMatchObject({ session_id: "s1", distinct_id: "u1", duration_s: 60, focus_area: "checkout", analyst });
    expect(hasBlockingIssue(summary)).toBe(true);
  });

  it("falls back to key action times when segment boundaries are unknown", () => {
    const unknownBounds = { ...raw, segments: [{ ...raw.segments[0]!, start_event_id: "aaaaaaaa", end_event_id: "bbbbbbbb" }] };
    const s = enrichSummary(unknownBounds, { sessionId: "s1", startMs: START, endMs: START + 60_000, idMap }, analyst);
    expect(s.segments[0]).toMatchObject({ start: "2026-11-01T10:00:20.000Z", end: "2026-11-01T10:00:50.000Z" });
  });
});
