import { describe, expect, it } from "vitest";
import type { AnalyticsEvent } from "../../src/domain/events.ts";
import type { RawSessionSummary } from "../../src/domain/summary.ts";
import type { EventRef } from "../../src/encode/types.ts";
import type { RecordingMetadata } from "../../src/replay/metadata.ts";
import { redactSignals, triageSession } from "../../src/triage/signals.ts";

let n = 0;
function event(name: string, properties: Record<string, unknown> = {}): AnalyticsEvent {
  n += 1;
  return { uuid: `u-${n}`, event: name, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), properties: { $current_url: "https://shop.test/checkout?email=a@b.co", ...properties } };
}

const quiet: AnalyticsEvent[] = [event("$pageview"), event("$autocapture", { $el_text: "Add to cart" }), event("order completed")];
const calm: RawSessionSummary = {
  segments: [
    {
      name: "Buy",
      start_event_id: "e1",
      end_event_id: "e2",
      key_actions: [{ event_id: "e1", description: "Adds a pot", exception: null, confusion: false, abandonment: false }],
      outcome: { success: true, summary: "Bought" },
    },
  ],
  session_outcome: { success: true, summary: "Bought a pot" },
};
const ids = new Map<string, EventRef>([["e1", { sessionId: "s", uuid: "u", index: 0, timestampMs: 0, event: "$autocapture", url: "https://shop.test/cart" }]]);

describe("triage", () => {
  it("keeps a session offline only when neither the events nor the offline rules show any issue", () => {
    expect(triageSession({ events: quiet, idMap: ids, offline: calm })).toEqual({ send: false, signals: [] });
  });

  it("sends a session for an exception, a rage or dead click, or an event whose name says a step failed, with the page", () => {
    for (const [extra, kind] of [
      [event("$exception", { $exception_type: "TypeError", $exception_message: "x is undefined" }), "exception"],
      [event("$rageclick", { $el_text: "Pay" }), "rage_click"],
      [event("$dead_click"), "dead_click"],
      [event("coupon rejected"), "failure_event"],
      [event("payment_declined"), "failure_event"],
    ] as const) {
      const decision = triageSession({ events: [...quiet, extra], idMap: ids, offline: calm });
      expect(decision.send).toBe(true);
      expect(decision.signals[0]).toMatchObject({ kind, page: "/checkout" });
    }
    // Names of PostHog's own events are not read as failures; a successful custom event is no signal.
    expect(triageSession({ events: [...quiet, event("$pageleave"), event("profile saved")], idMap: ids, offline: calm }).send).toBe(false);
  });

  it("sends a session for a long or unfinished loading wait in the recording", () => {
    const recording: RecordingMetadata = {
      startMs: 0,
      endMs: 60_000,
      durationMs: 60_000,
      events: 10,
      fullSnapshots: 1,
      mutations: 5,
      windows: [],
      activeMs: 10_000,
      activeSeconds: 10,
      clicks: 1,
      keypresses: 0,
      mouseActivity: 1,
      replayable: true,
    };
    const short = [{ windowId: "w", startMs: 1_000, endMs: 2_000, resolved: true }];
    const long = [{ windowId: "w", startMs: 1_000, endMs: 9_000, resolved: true }];
    const left = [{ windowId: "w", startMs: 1_000, endMs: 1_500, resolved: false }];
    expect(triageSession({ events: quiet, recording: { ...recording, loadingWaits: short }, idMap: ids, offline: calm }).send).toBe(false);
    expect(triageSession({ events: quiet, recording: { ...recording, loadingWaits: long }, idMap: ids, offline: calm }).signals).toEqual([{ kind: "slow", description: "a 8 s loading wait" }]);
    expect(triageSession({ events: quiet, recording: { ...recording, loadingWaits: left }, idMap: ids, offline: calm }).send).toBe(true);
  });

  it("sends a session the offline rules flag (confusion, abandonment, slow, an exception) or could not read", () => {
    for (const flags of [{ confusion: true }, { abandonment: true }, { slow: true }, { exception: "non-blocking" as const }]) {
      const offline = structuredClone(calm);
      Object.assign(offline.segments[0]!.key_actions[0]!, flags);
      const decision = triageSession({ events: quiet, idMap: ids, offline });
      expect(decision.send).toBe(true);
      expect(decision.signals).toEqual([expect.objectContaining({ description: "Adds a pot", page: "/cart" })]);
    }
    expect(triageSession({ events: quiet, idMap: ids }).send).toBe(true);
  });

  it("keeps each signal once and at most the configured number", () => {
    const many = Array.from({ length: 12 }, (_, i) => event("$exception", { $exception_type: "Error", $exception_message: `failure ${i % 10}` }));
    const decision = triageSession({ events: [...many, ...many], idMap: ids, offline: calm }, { maxSignals: 8 });
    expect(decision.signals).toHaveLength(8);
    expect(new Set(decision.signals.map((s) => s.description)).size).toBe(8);
  });

  it("redacts what leaves the run: an email in an error message or a page", () => {
    expect(redactSignals([{ kind: "exception", description: "Error: no account for jane@example.com", page: "/u/jane@example.com" }])).toEqual([
      { kind: "exception", description: expect.not.stringContaining("jane@example.com"), page: expect.not.stringContaining("jane@example.com") },
    ]);
  });
});
