import type { eventWithTime } from "@rrweb/types";
import { describe, expect, it } from "vitest";
import { extractPatternsOffline, summarizeSessionOffline } from "../../src/analysts/index.ts";
import { AnalyticsEventSchema } from "../../src/domain/events.ts";
import type { WindowedEvent } from "../../src/domain/recording.ts";
import { keyActionsOf, SessionSummarySchema, type RawSessionSummary, type SessionSummary } from "../../src/domain/summary.ts";
import { encodeRecordedSession } from "../../src/encode/recorded.ts";
import type { EncodedSession } from "../../src/encode/types.ts";
import { computeRecordingMetadata, type RecordingMetadata } from "../../src/replay/metadata.ts";
import { SessionBuilder, type BuiltSession, type RecordingLineOut } from "../fixtures/session-builder.ts";
import { ShopVisit, cartPage, checkoutPage, confirmationPage, homePage, product, productPage, type CartLine } from "../fixtures/shop.ts";
import { h } from "../fixtures/vdom.ts";

/**
 * Slow pages: a loading indicator read from the recorded DOM (`replay/waits.ts`) that stays on
 * screen for seconds after a page load becomes a key action flagged `slow`, and slow pages across
 * sessions become their own pattern.
 */

async function* windowed(lines: readonly RecordingLineOut[]): AsyncGenerator<WindowedEvent> {
  for (const line of lines) for (const event of line.data) yield { windowId: line.window_id, event: event as eventWithTime };
}

function attachFacts(sessionId: string, raw: RawSessionSummary, encoded: EncodedSession, startMs: number): SessionSummary {
  const facts = (id: string) => {
    const ref = encoded.idMap.get(id)!;
    return {
      event_uuid: ref.uuid,
      event: ref.event,
      timestamp: new Date(ref.timestampMs).toISOString(),
      ms_since_start: ref.timestampMs - startMs,
      event_index: ref.index,
      ...(ref.url ? { current_url: ref.url } : {}),
    };
  };
  return SessionSummarySchema.parse({
    session_id: sessionId,
    start: new Date(startMs).toISOString(),
    duration_s: 60,
    segments: raw.segments.map((segment, index) => ({
      index,
      name: segment.name,
      start_event_id: segment.start_event_id,
      end_event_id: segment.end_event_id,
      start: facts(segment.start_event_id).timestamp,
      end: facts(segment.end_event_id).timestamp,
      key_actions: segment.key_actions.map((action) => ({ ...action, ...facts(action.event_id) })),
      outcome: segment.outcome,
      stats: { duration_s: 0, duration_ratio: 0, key_action_count: 0, failure_count: 0, exception_count: 0, confusion_count: 0, abandonment_count: 0 },
    })),
    session_outcome: raw.session_outcome,
    analyst: { kind: "heuristic", label: "offline analyst" },
  });
}

async function analyse(built: BuiltSession): Promise<{ summary: SessionSummary; recording: RecordingMetadata; encoded: EncodedSession }> {
  const events = built.events.map((event) => AnalyticsEventSchema.parse(event));
  const recording = await computeRecordingMetadata(windowed(built.recordingLines));
  const encoded = encodeRecordedSession({ sessionId: built.meta.session_id, events, recording });
  const raw = summarizeSessionOffline({ encoded, events, recording });
  return { summary: attachFacts(built.meta.session_id, raw, encoded, recording.startMs), recording, encoded };
}

const ITEM = product("linen-apron");

/**
 * Home → product → cart → checkout → "Place order" → the confirmation page, which shows a spinner
 * for `spinnerMs`; then the order shows, or (when `leaves`) the user closes the tab while it spins.
 */
function orderWithSlowConfirmation(seed: number, spinnerMs: number, options: { leaves?: boolean; hiddenSpinner?: boolean; orderEvent?: boolean; fidgets?: boolean } = {}): BuiltSession {
  const s = new SessionBuilder({ startMs: Date.UTC(2024, 10, 7, 8, 0, 0) + seed * 3_600_000, seed });
  const v = new ShopVisit(s);
  const cart: CartLine[] = [];
  v.open(homePage({ cart }));
  v.wait(5_500);
  s.click(`#featured a[href="/product/${ITEM.slug}"]`);
  v.open(productPage({ cart }, ITEM, []));
  v.wait(2_000);
  s.click("#add-to-cart");
  cart.push({ product: ITEM, quantity: 1 });
  s.custom("added to cart", { product_id: ITEM.id, quantity: 1 });
  v.wait(1_500);
  s.click("#cart-link");
  v.open(cartPage({ cart }));
  v.wait(1_500);
  s.click("#checkout-button");
  v.open(checkoutPage({ cart }));
  s.custom("checkout started", {});
  s.type("#email", "buyer@example.com");
  v.wait(1_000);
  s.click("#place-order");
  if (options.orderEvent !== false) s.custom("order completed", { order_id: "NW-1" });
  v.open(confirmationPage({ cart: [] }, "NW-1", "buyer@example.com"));
  s.append("main", h("div#pending.spinner-wrap", options.hiddenSpinner ? { hidden: "" } : {}, h("span.spinner", { "aria-hidden": "true" }), h("span.spinner-text", "Loading your order…")));
  if (options.leaves) {
    // Fidgets (or not), then closes the tab while it still spins.
    s.wait(spinnerMs / 2, { active: false });
    if (options.fidgets !== false) s.scroll(150);
    s.wait(spinnerMs / 2, { active: false });
    if (options.fidgets !== false) s.scroll(-150);
    s.pageleave();
    return s.build();
  }
  s.wait(spinnerMs, { active: false });
  s.removeNode("#pending");
  v.wait(6_000);
  s.pageleave();
  return s.build();
}

const slowActions = (summary: SessionSummary) =>
  keyActionsOf(summary)
    .filter(({ action }) => action.slow)
    .map(({ action }) => action);

describe("loading waits in the recording", () => {
  it("a spinner shown for 12 s after a page load is one resolved wait with its text; hidden ones do not count", async () => {
    const { recording } = await analyse(orderWithSlowConfirmation(1, 12_000));
    const long = (recording.loadingWaits ?? []).filter((wait) => wait.endMs - wait.startMs >= 5_000);
    expect(long).toHaveLength(1);
    expect(long[0]!.endMs - long[0]!.startMs).toBeGreaterThanOrEqual(12_000);
    expect(long[0]!.endMs - long[0]!.startMs).toBeLessThan(13_000);
    expect(long[0]).toMatchObject({ resolved: true, text: "Loading your order…" });
    expect(long[0]!.url).toContain("/checkout/confirmation");

    const hidden = await analyse(orderWithSlowConfirmation(2, 12_000, { hiddenSpinner: true }));
    expect((hidden.recording.loadingWaits ?? []).filter((wait) => wait.endMs - wait.startMs >= 5_000)).toEqual([]);
  });

  it("follows indicators made by attribute and text changes: a busy button, a status line that says it is searching", async () => {
    const s = new SessionBuilder({ startMs: Date.UTC(2024, 10, 7, 8, 0, 0), seed: 30 });
    const v = new ShopVisit(s);
    v.open(checkoutPage({ cart: [{ product: ITEM, quantity: 1 }] }));
    v.wait(6_000);
    s.click("#place-order");
    s.setAttributes("#place-order", { "aria-busy": "true" });
    s.wait(6_000, { active: false });
    s.setAttributes("#place-order", { "aria-busy": null });
    v.wait(2_000);
    s.append("main", h("p#status", "Searching for answers…"));
    s.wait(7_000, { active: false });
    s.setText("#status", "3 results");
    v.wait(6_000);
    s.pageleave();
    const { recording } = await analyse(s.build());
    const waits = (recording.loadingWaits ?? []).map((wait) => [Math.round((wait.endMs - wait.startMs) / 1000), wait.resolved, wait.text ?? null]);
    expect(waits).toEqual([
      [6, true, null],
      [7, true, "Searching for answers…"],
    ]);
  });

  it("a spinner still showing when the recording ends is unresolved: the user left while it loaded", async () => {
    const { recording } = await analyse(orderWithSlowConfirmation(3, 8_000, { leaves: true }));
    expect(recording.loadingWaits?.at(-1)).toMatchObject({ resolved: false, text: "Loading your order…" });
  });

  it("the model's encoding tells long waits in the metadata, in numbers only", async () => {
    const { encoded } = await analyse(orderWithSlowConfirmation(4, 12_000));
    const line = encoded.text.split("\n").find((l) => l.startsWith("loading_waits:"));
    expect(line).toMatch(/^loading_waits: t=\d+\.\d for 12 s$/);
    expect(line).not.toContain("Loading your order");
  });
});

describe("slow pages in the offline analyst", () => {
  it("flags the page load that started a long wait as slow, and says how long the user waited", async () => {
    const { summary } = await analyse(orderWithSlowConfirmation(5, 12_000));
    const slow = slowActions(summary);
    expect(slow).toHaveLength(1);
    expect(slow[0]!.event).toBe("$pageview");
    expect(slow[0]!.current_url).toContain("/checkout/confirmation");
    expect(slow[0]!.description).toBe('Waited 12 s for /checkout/confirmation to load ("Loading your order…" on screen).');
    expect(slow[0]).toMatchObject({ exception: null, confusion: false, abandonment: false });
    // The order went through: the wait is a problem, not a failure.
    expect(summary.session_outcome.success).toBe(true);
  });

  it("a user who leaves while it still loads gave up waiting: without a conversion before, the session failed", async () => {
    const { summary } = await analyse(orderWithSlowConfirmation(6, 8_000, { leaves: true, orderEvent: false }));
    const slow = slowActions(summary);
    expect(slow).toHaveLength(1);
    expect(slow[0]!.description).toMatch(/^Gave up waiting after 8 s for \/checkout\/confirmation to load .*the user left while it was still loading\.$/);
    expect(summary.session_outcome).toMatchObject({ success: false, summary: "Failed: the user left /checkout/confirmation after waiting 8 s for it to load." });
    // The order event came first: the user got what they came for, the wait is still flagged.
    const converted = (await analyse(orderWithSlowConfirmation(15, 8_000, { leaves: true }))).summary;
    expect(slowActions(converted)).toHaveLength(1);
    expect(converted.session_outcome.success).toBe(true);
  });

  it("a short spinner, or a hidden one, is not a slow page", async () => {
    expect(slowActions((await analyse(orderWithSlowConfirmation(7, 2_000))).summary)).toEqual([]);
    expect(slowActions((await analyse(orderWithSlowConfirmation(8, 12_000, { hiddenSpinner: true }))).summary)).toEqual([]);
  });

  it("slow pages in several sessions are one pattern of their own, severity from how long users waited and how many left", async () => {
    const long = await Promise.all([9, 10].map(async (seed) => (await analyse(orderWithSlowConfirmation(seed, 12_000))).summary));
    const [pattern, ...others] = extractPatternsOffline(long);
    expect(others).toEqual([]);
    expect(pattern!.pattern_name).toBe("Order confirmation (/checkout/confirmation) loads slowly (about 12 s behind a loading indicator)");
    expect(pattern!.severity).toBe("high");

    const shorter = await Promise.all([11, 12].map(async (seed) => (await analyse(orderWithSlowConfirmation(seed, 6_000))).summary));
    expect(extractPatternsOffline(shorter).map((p) => p.severity)).toEqual(["medium"]);
    const left = await Promise.all([13, 14].map(async (seed) => (await analyse(orderWithSlowConfirmation(seed, 6_000, { leaves: true }))).summary));
    expect(extractPatternsOffline(left).map((p) => p.severity)).toEqual(["high"]);
  });
});

describe("slow pages whose load the encoding cut", () => {
  it("a user who leaves at once, before anything else is recorded, is still seen waiting on that page", async () => {
    // Nothing is recorded after the spinner: the replay ends there, and the encoding cuts the
    // events of its last seconds (the confirmation's load and the click that led to it).
    const { summary } = await analyse(orderWithSlowConfirmation(16, 8_000, { leaves: true, orderEvent: false, fidgets: false }));
    const slow = slowActions(summary);
    expect(slow).toHaveLength(1);
    expect(slow[0]!.description).toMatch(/for \/checkout\/confirmation to load/);
    const patterns = extractPatternsOffline([summary, (await analyse(orderWithSlowConfirmation(17, 12_000))).summary]);
    expect(patterns.map((p) => p.match_key)).toEqual(["slow_page | /checkout/confirmation"]);
  });
});
