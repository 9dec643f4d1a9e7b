import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { OFFLINE_ANALYST_LABEL, summarizeSessionOffline } from "../../src/analysts/index.ts";
import type { AnalyticsEvent } from "../../src/domain/events.ts";
import { RawSessionSummarySchema, type RawKeyAction, type RawSessionSummary } from "../../src/domain/summary.ts";
import { encodeSession, type EncodedSession } from "../../src/encode/index.ts";
import { computeRecordingMetadata, type RecordingMetadata } from "../../src/replay/metadata.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";

const SAMPLE = fileURLToPath(new URL("../../examples/sample", import.meta.url));

const SESSIONS = {
  happy: "0192fb9a-50b4-7a40-9ac8-1e0e239d6431",
  placeOrder: "0192fbc6-ed7a-75d1-8728-6727dca6639a",
  noise: "0192fc1d-6939-7b76-a012-078658b66ed1",
  search500: "0192fc7c-18ee-7048-9276-ed1c2a297964",
  coupon: "0192fd03-113c-72da-bd11-267637f3f3fa",
} as const;

interface LoadedSession {
  events: AnalyticsEvent[];
  recording: RecordingMetadata;
  encoded: EncodedSession;
}

const loaded = new Map<string, LoadedSession>();

async function load(sessionId: string): Promise<LoadedSession> {
  const source = new DatasetSource(SAMPLE);
  const meta = await source.getMeta(sessionId);
  const events: AnalyticsEvent[] = [];
  for await (const event of source.streamEvents(sessionId)) events.push(event);
  const recording = await computeRecordingMetadata(source.streamRecording(sessionId));
  const encoded = encodeSession({
    sessionId,
    events,
    replayStartMs: recording.startMs,
    replayEndMs: recording.endMs,
    metadata: { durationMs: recording.durationMs, activeSeconds: recording.activeSeconds, startUrl: meta.first_url },
  });
  return { events, recording, encoded };
}

function summarize(sessionId: string, focusArea?: string): RawSessionSummary {
  const session = loaded.get(sessionId)!;
  return summarizeSessionOffline({ ...session, ...(focusArea ? { focusArea } : {}) });
}

const actionsOf = (summary: RawSessionSummary): RawKeyAction[] => summary.segments.flatMap((segment) => segment.key_actions);
const eventOf = (sessionId: string, eventId: string): string | undefined => loaded.get(sessionId)!.encoded.idMap.get(eventId)?.event;

beforeAll(async () => {
  for (const id of Object.values(SESSIONS)) loaded.set(id, await load(id));
});

describe("offline analyst on examples/sample", () => {
  it("is labelled for reports", () => {
    expect(OFFLINE_ANALYST_LABEL).toBe("offline analyst");
  });

  it.each(Object.entries(SESSIONS))("%s: validates and cites only ids of the encoding", (_name, sessionId) => {
    const summary = summarize(sessionId);
    expect(RawSessionSummarySchema.safeParse(summary).success).toBe(true);
    const { idMap } = loaded.get(sessionId)!.encoded;
    const cited = summary.segments.flatMap((segment) => [segment.start_event_id, segment.end_event_id, ...segment.key_actions.map((action) => action.event_id)]);
    for (const id of cited) expect(idMap.has(id), id).toBe(true);
    expect(summary.segments.length).toBeGreaterThanOrEqual(1);
    expect(summary.segments.length).toBeLessThanOrEqual(6);
    // Segments follow each other in time.
    const positions = summary.segments.map((segment) => idMap.get(segment.start_event_id)!.index);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("Place order: exactly one blocking exception, on the Place order exception, and abandonment at the end", () => {
    const summary = summarize(SESSIONS.placeOrder);
    const actions = actionsOf(summary);
    const blocking = actions.filter((action) => action.exception === "blocking");
    expect(blocking).toHaveLength(1);
    expect(eventOf(SESSIONS.placeOrder, blocking[0]!.event_id)).toBe("$exception");
    expect(blocking[0]!.description).toMatch(/Place order/);
    expect(blocking[0]!.description).toMatch(/TypeError/);
    expect(actions.filter((action) => action.exception === "non-blocking")).toHaveLength(0);

    const abandonment = actions.filter((action) => action.abandonment);
    expect(abandonment).toHaveLength(1);
    // The user's last "Place order" click the encoding kept.
    const { idMap } = loaded.get(SESSIONS.placeOrder)!.encoded;
    const lastClick = [...idMap.entries()]
      .filter(([, ref]) => ref.event === "$autocapture")
      .sort((a, b) => a[1].index - b[1].index)
      .at(-1)!;
    expect(abandonment[0]!.event_id).toBe(lastClick[0]);
    // The rage and dead clicks are part of the exception's story, not separate confusion.
    expect(actions.filter((action) => action.confusion)).toHaveLength(0);

    expect(summary.session_outcome.success).toBe(false);
    const checkout = summary.segments.find((segment) => segment.key_actions.some((action) => action.exception === "blocking"))!;
    expect(checkout.name).toBe("Checkout attempt");
    expect(checkout.outcome.success).toBe(false);
  });

  it("ResizeObserver and widget noise: no blocking exception, and the session succeeds", () => {
    const summary = summarize(SESSIONS.noise);
    const actions = actionsOf(summary);
    expect(actions.filter((action) => action.exception === "blocking")).toHaveLength(0);
    expect(actions.filter((action) => action.confusion || action.abandonment)).toHaveLength(0);
    const nonBlocking = actions.filter((action) => action.exception === "non-blocking");
    // ResizeObserver (reported once for all its pages), the recommendations 503 and the chat widget timeout.
    expect(nonBlocking).toHaveLength(3);
    expect(nonBlocking.some((action) => /ResizeObserver/.test(action.description) && /background noise/.test(action.description))).toBe(true);
    expect(summary.session_outcome.success).toBe(true);
    expect(summary.segments.every((segment) => segment.outcome.success)).toBe(true);
  });

  it("search 500: a blocking issue on search, and the user abandons it", () => {
    const summary = summarize(SESSIONS.search500);
    const actions = actionsOf(summary);
    const blocking = actions.filter((action) => action.exception === "blocking");
    expect(blocking).toHaveLength(1);
    expect(blocking[0]!.description).toMatch(/\/search/);
    expect(blocking[0]!.description).toMatch(/500/);
    expect(loaded.get(SESSIONS.search500)!.encoded.idMap.get(blocking[0]!.event_id)!.url).toMatch(/\/search/);
    expect(actions.some((action) => action.abandonment)).toBe(true);
    expect(summary.session_outcome.success).toBe(false);
  });

  it("coupon: confusion on the coupon and abandonment of checkout", () => {
    const summary = summarize(SESSIONS.coupon);
    const actions = actionsOf(summary);
    const confusion = actions.filter((action) => action.confusion);
    expect(confusion.length).toBeGreaterThanOrEqual(1);
    expect(confusion[0]!.description).toMatch(/"Apply"/);
    expect(confusion[0]!.description).toMatch(/coupon rejected/);
    expect(actions.filter((action) => action.abandonment)).toHaveLength(1);
    expect(actions.filter((action) => action.exception !== null)).toHaveLength(0);
    expect(summary.session_outcome.success).toBe(false);
    expect(summary.segments.at(-1)!.name).toBe("Checkout attempt");
  });

  it("happy path: no issue, and the session succeeds", () => {
    const summary = summarize(SESSIONS.happy);
    const actions = actionsOf(summary);
    expect(actions.filter((action) => action.exception !== null || action.confusion || action.abandonment)).toHaveLength(0);
    expect(actions.some((action) => /Order completed/.test(action.description))).toBe(true);
    expect(summary.session_outcome.success).toBe(true);
    expect(summary.segments.every((segment) => segment.outcome.success)).toBe(true);
    expect(summary.segments[0]!.name).toMatch(/Searching for "pour over"/);
  });

  it("a focus area changes wording and order only, never the issues", () => {
    const flags = (summary: RawSessionSummary) =>
      actionsOf(summary)
        .filter((action) => action.exception || action.confusion || action.abandonment)
        .map((action) => [action.event_id, action.exception, action.confusion, action.abandonment]);
    for (const sessionId of Object.values(SESSIONS)) {
      for (const focus of ["checkout", "search", "the sign-in page"]) {
        expect(flags(summarize(sessionId, focus))).toEqual(flags(summarize(sessionId)));
      }
    }
    expect(summarize(SESSIONS.placeOrder, "checkout").session_outcome.summary).toMatch(/Focus "checkout": 2 issues there/);
    expect(summarize(SESSIONS.happy, "checkout").session_outcome.summary).toMatch(/Focus "checkout": no issue there/);
  });
});
