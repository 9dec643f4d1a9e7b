import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import vm from "node:vm";
import { gunzipSync } from "node:zlib";
import { EventType } from "@rrweb/types";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { finalizeDataset } from "../../src/capture/finalize.ts";
import { startCaptureServer, type CaptureServer } from "../../src/capture/server.ts";
import type { AnalyticsEvent } from "../../src/domain/events.ts";
import type { WindowedEvent } from "../../src/domain/recording.ts";
import type { SessionMeta } from "../../src/domain/session.ts";
import { ReadWarnings } from "../../src/domain/warnings.ts";
import { computeRecordingMetadata } from "../../src/replay/metadata.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { memoryLogger, type MemoryLogger } from "../fakes/logger.ts";
import { compressLikePosthog } from "../fixtures/dataset-files.ts";
import { TOKEN, captureBody, clientEvent, encodeLikePosthog, post, snapshotBody } from "./capture-posthog-bodies.ts";
import { rr } from "./rrweb-events.ts";

const T0 = Date.parse("2025-03-01T10:00:00.000Z");
const S1 = "0195a1b2-0001-7000-8000-000000000001";
const S2 = "0195a1b2-0002-7000-8000-000000000002";
const W1 = "0195a1b2-00w1-7000-8000-000000000001";
const W2 = "0195a1b2-00w2-7000-8000-000000000002";
const W3 = "0195a1b2-00w3-7000-8000-000000000003";
const SHOP = "https://shop.test";

let out: string;
let server: CaptureServer;
let log: MemoryLogger;

beforeEach(async () => {
  out = mkdtempSync(path.join(tmpdir(), "capture-"));
  log = memoryLogger();
  server = await startCaptureServer({ out, port: 0, logger: log.logger });
});

afterEach(async () => {
  await server.close();
  rmSync(out, { recursive: true, force: true });
});

/** A FullSnapshot big enough that posthog-js compresses it (`cv: "2024-10"`), like the real client. */
function bigFullSnapshot(at: number, text: string) {
  return compressLikePosthog(rr.fullSnapshot(at, text.repeat(200)));
}

async function sendTwoSessionsInEveryEncoding(): Promise<void> {
  const s1w1 = { sessionId: S1, windowId: W1, distinctId: "anon-1", url: `${SHOP}/` };
  const s1w2 = { sessionId: S1, windowId: W2, distinctId: "user-42", url: `${SHOP}/cart` };
  const s2 = { sessionId: S2, windowId: W3, distinctId: "anon-2", url: `${SHOP}/checkout` };
  const posts = [
    // The first $pageview: gzip as text/plain on /e/, before the remote config arrives.
    post(server.url, "/e/", encodeLikePosthog(captureBody([clientEvent("$pageview", T0 + 100, s1w1)]), "gzip")),
    // Window 1's recording starts: Meta + compressed FullSnapshot, gzip on /s/.
    post(server.url, "/s/", encodeLikePosthog(snapshotBody(s1w1, [rr.meta(T0, `${SHOP}/`), bigFullSnapshot(T0 + 10, "home ")]), "gzip")),
    // An autocaptured click with its element chain: base64 form on /i/v0/e/.
    post(
      server.url,
      "/i/v0/e/",
      encodeLikePosthog(
        captureBody([
          clientEvent("$autocapture", T0 + 2_000, s1w1, {
            $event_type: "click",
            $elements_chain: 'button.add:text="Add to cart"nth-child="1"nth-of-type="1"',
            $elements: [{ tag_name: "button", $el_text: "Add to cart", classes: ["add"], nth_child: 1, nth_of_type: 1 }],
          }),
        ]),
        "base64",
      ),
    ),
    // A second tab of the same session: plain JSON (no compression negotiated).
    post(server.url, "/i/v0/e/", encodeLikePosthog(captureBody([clientEvent("$pageview", T0 + 5_000, s1w2)]), "json")),
    post(server.url, "/s/", encodeLikePosthog(snapshotBody(s1w2, [rr.meta(T0 + 4_990, `${SHOP}/cart`), rr.fullSnapshot(T0 + 5_000, "cart")]), "json")),
    // Session 2 through the legacy batch endpoint and an old client's gzip query flags.
    post(server.url, "/batch/", encodeLikePosthog(captureBody([clientEvent("$pageview", T0 + 60_000, s2)]), "json")),
    post(
      server.url,
      "/e/?compression=gzip-js&ver=1.100.0&_=1740823200000",
      encodeLikePosthog(
        captureBody([
          clientEvent("$exception", T0 + 61_000, s2, {
            $exception_list: [
              {
                type: "TypeError",
                value: "Cannot read properties of undefined (reading 'total')",
                mechanism: { handled: false, type: "onerror" },
                stacktrace: { frames: [{ filename: `${SHOP}/app.js`, function: "checkout", lineno: 10, colno: 5, in_app: true }] },
              },
            ],
          }),
          // No $session_id (e.g. sent before posthog-js had a session): counted, not written.
          clientEvent("$feature_flag_called", T0 + 61_001, { distinctId: "anon-2" }),
        ]),
        "gzip",
      ),
    ),
  ];
  const responses = await Promise.all(posts);
  for (const response of responses) expect(response.status, JSON.stringify(response.json)).toBe(200);
  // Later posts of window 1, sent after the ones above: a mutation, then (by sendBeacon at unload,
  // base64 form) the last buffer. The recording batches of session 2 come in out of order.
  const later = await Promise.all([
    post(server.url, "/s/", encodeLikePosthog(snapshotBody(s1w1, [compressLikePosthog(rr.mutation(T0 + 2_100, "1 item"), { minBytes: 0 }), rr.click(T0 + 2_000)]), "gzip")),
    post(server.url, "/s/", encodeLikePosthog(snapshotBody(s2, [rr.mouseMove(T0 + 61_500), rr.click(T0 + 61_600)]), "base64")),
    post(server.url, "/s/", encodeLikePosthog(snapshotBody(s2, [rr.meta(T0 + 59_990, `${SHOP}/checkout`), rr.fullSnapshot(T0 + 60_000, "pay")]), "gzip")),
    post(server.url, "/i/v0/e/", encodeLikePosthog(captureBody([clientEvent("$pageleave", T0 + 9_000, s1w1)]), "base64")),
  ]);
  for (const response of later) expect(response.status, JSON.stringify(response.json)).toBe(200);
}

async function readSession(source: DatasetSource, id: string) {
  const warnings = new ReadWarnings();
  const events: AnalyticsEvent[] = [];
  for await (const event of source.streamEvents(id, { warnings })) events.push(event);
  const recording: WindowedEvent[] = [];
  for await (const item of source.streamRecording(id, { warnings })) recording.push(item);
  return { events, recording, warnings };
}

function firstTypesPerWindow(recording: WindowedEvent[]): Record<string, EventType[]> {
  const types: Record<string, EventType[]> = {};
  for (const { windowId, event } of recording) {
    const list = (types[windowId] ??= []);
    if (list.length < 2) list.push(event.type);
  }
  return types;
}

async function* toAsync<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function expectDataset(): Promise<Record<string, SessionMeta>> {
  const source = new DatasetSource(out);
  const metas = Object.fromEntries((await source.listSessions()).map((m) => [m.session_id, m]));
  expect(Object.keys(metas).sort()).toEqual([S1, S2]);

  const one = await readSession(source, S1);
  expect(one.warnings.total, one.warnings.summary().join("\n")).toBe(0);
  expect(one.events.map((e) => e.event).sort()).toEqual(["$autocapture", "$pageleave", "$pageview", "$pageview"]);
  const click = one.events.find((e) => e.event === "$autocapture")!;
  expect(click.properties.$elements_chain).toBe('button.add:text="Add to cart"nth-child="1"nth-of-type="1"');
  expect(click.properties.$elements?.[0]?.$el_text).toBe("Add to cart");
  expect(click.distinct_id).toBe("anon-1");
  expect(firstTypesPerWindow(one.recording)).toEqual({
    [W1]: [EventType.Meta, EventType.FullSnapshot],
    [W2]: [EventType.Meta, EventType.FullSnapshot],
  });
  const oneRecording = await computeRecordingMetadata(toAsync(one.recording));
  expect(oneRecording.replayable).toBe(true);
  expect(oneRecording.windows).toHaveLength(2);
  // The compressed FullSnapshot came through as sent and decompresses in the reader.
  const snapshot = one.recording.find((e) => e.event.type === EventType.FullSnapshot && e.windowId === W1)!;
  expect(JSON.stringify(snapshot.event.data)).toContain("home home");

  const two = await readSession(source, S2);
  expect(two.warnings.total).toBe(0);
  expect(two.events.map((e) => e.event).sort()).toEqual(["$exception", "$pageview"]);
  expect(two.events.find((e) => e.event === "$exception")!.properties.$exception_list?.[0]?.type).toBe("TypeError");
  expect((await computeRecordingMetadata(toAsync(two.recording))).replayable).toBe(true);

  const m1 = metas[S1]!;
  expect(m1.start).toBe(new Date(T0).toISOString()); // the recording's Meta, before any event
  expect(m1.end).toBe(new Date(T0 + 9_000).toISOString());
  expect(m1.first_url).toBe(`${SHOP}/`);
  expect(m1.event_count).toBe(4);
  expect(m1.exception_count).toBe(0);
  expect(m1.distinct_id).toBe("anon-1"); // the latest event by time ($pageleave)
  const m2 = metas[S2]!;
  expect(m2.start).toBe(new Date(T0 + 59_990).toISOString());
  expect(m2.end).toBe(new Date(T0 + 61_600).toISOString());
  expect(m2.first_url).toBe(`${SHOP}/checkout`);
  expect(m2.event_count).toBe(2);
  expect(m2.exception_count).toBe(1);
  for (const id of [S1, S2]) {
    const files = readdirSync(path.join(out, "sessions", id));
    const recordingFile = files.find((f) => f.startsWith("recording.jsonl"))!;
    expect(metas[id]!.recording_bytes).toBe(statSync(path.join(out, "sessions", id, recordingFile)).size);
    expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
  }
  return metas;
}

describe("capture server: posthog-js bodies in every encoding → dataset directory", () => {
  it("writes two sessions (one with two windows) that the dataset reader reads back, before and after finalizing with gzip", async () => {
    await sendTwoSessionsInEveryEncoding();
    const stats = server.stats();
    expect(stats.rejected).toBe(0);
    expect(stats.events).toBe(6);
    expect(stats.snapshots).toBe(5);
    expect(stats.withoutSession).toBe(1);
    expect(stats.sessionIds.sort()).toEqual([S1, S2]);
    expect(new Set(log.entries.map((entry) => entry.encoding))).toEqual(new Set(["gzip", "form+base64", "json"]));
    const before = await expectDataset();

    await server.close();
    const result = await finalizeDataset(out, { gzip: true });
    expect(result).toMatchObject({ sessions: 2, events: 6, recordingLines: 5, droppedLines: 0, problems: [] });
    for (const id of [S1, S2]) {
      expect(readdirSync(path.join(out, "sessions", id)).sort()).toEqual(["events.jsonl.gz", "meta.json", "recording.jsonl.gz"]);
    }
    const after = await expectDataset();
    expect({ ...after[S1], recording_bytes: 0 }).toEqual({ ...before[S1], recording_bytes: 0 });

    // Finalized files are in time order: events by timestamp, recording lines by their first event.
    const dir = path.join(out, "sessions", S2);
    const events = gunzipSync(readFileSync(path.join(dir, "events.jsonl.gz")))
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.event)).toEqual(["$pageview", "$exception"]);
    const lines = gunzipSync(readFileSync(path.join(dir, "recording.jsonl.gz")))
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.data[0].type)).toEqual([EventType.Meta, EventType.IncrementalSnapshot]);
    const s1Lines = gunzipSync(readFileSync(path.join(out, "sessions", S1, "recording.jsonl.gz")))
      .toString("utf8")
      .trim()
      .split("\n");
    const starts = s1Lines.map((l) => JSON.parse(l).data[0].timestamp as number);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it("answers posthog-js like PostHog does: status 1 with what was accepted and skipped", async () => {
    const response = await post(server.url, "/e/", encodeLikePosthog(captureBody([clientEvent("$pageview", T0, { sessionId: S1, url: `${SHOP}/` }), clientEvent("$identify", T0, {})]), "gzip"));
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: 1, accepted: 1, skipped: 1, skipped_by_reason: { no_session_id: 1 } });
  });

  it("accepts old clients' GET ?data= requests (base64, with '+' left unescaped)", async () => {
    // "???>>>" makes base64 with '/' and '+' in it.
    const body = captureBody([clientEvent("$pageview", T0, { sessionId: S1, url: `${SHOP}/?q=ü` }, { note: "???>>>???>>>" })]);
    const base64 = Buffer.from(JSON.stringify(body), "utf8").toString("base64");
    expect(base64).toContain("+");
    expect(base64).toContain("/");
    const response = await fetch(`${server.url}/e/?compression=base64&data=${base64.replace(/\//g, "%2F")}`);
    expect(response.status).toBe(200);
    const stored = JSON.parse(readFileSync(path.join(out, "sessions", S1, "events.jsonl"), "utf8"));
    expect(stored.properties.$current_url).toBe(`${SHOP}/?q=ü`);
  });

  it("stores PostHog's event shape: distinct_id lifted from properties, transport fields dropped, $set folded in", async () => {
    const receivedBefore = Date.now();
    const body = [
      {
        event: "checkout_started",
        properties: { $session_id: S1, distinct_id: 42, token: TOKEN, plan: "pro" },
        $set: { email_domain: "example.com" },
        offset: 1_500,
        sent_at: new Date().toISOString(),
      },
    ];
    expect((await post(server.url, "/e/", encodeLikePosthog(body, "json"))).status).toBe(200);
    const line = readFileSync(path.join(out, "sessions", S1, "events.jsonl"), "utf8").trim();
    const stored = JSON.parse(line);
    expect(Object.keys(stored)).toEqual(["uuid", "event", "timestamp", "distinct_id", "properties"]);
    expect(stored.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(stored.distinct_id).toBe("42");
    expect(stored.properties).toMatchObject({ plan: "pro", $set: { email_domain: "example.com" } });
    // No timestamp: arrival time minus posthog-js's `offset`.
    const ms = Date.parse(stored.timestamp);
    expect(ms).toBeGreaterThanOrEqual(receivedBefore - 1_500 - 5);
    expect(ms).toBeLessThanOrEqual(Date.now() - 1_500 + 5);
  });

  it("skips and counts events it cannot use, writes the rest, and never writes outside the dataset", async () => {
    const good = clientEvent("$pageview", T0, { sessionId: S1, url: `${SHOP}/` });
    const batch = [
      good,
      { ...clientEvent("x", T0, { sessionId: S1 }), event: "" },
      { ...clientEvent("x", T0, { sessionId: S1 }), timestamp: "yesterday" },
      { ...clientEvent("x", T0, { sessionId: S1 }), timestamp: 1e20 },
      clientEvent("$pageview", T0, { sessionId: "../../escape" }),
      clientEvent("$pageview", T0, { sessionId: ".." }),
      clientEvent("$pageview", T0, { sessionId: "a/b" }),
      clientEvent("$autocapture", T0, { sessionId: S1 }, { $elements: "not a list" }),
      { ...clientEvent("x", T0, { sessionId: S1 }), properties: "nope" },
      clientEvent("$snapshot", T0, { sessionId: S1, windowId: W1 }, { $snapshot_data: [{ type: 99, timestamp: T0 }] }),
    ];
    const response = await post(server.url, "/e/", encodeLikePosthog(captureBody(batch as never), "gzip"));
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      status: 1,
      accepted: 1,
      skipped: 9,
      skipped_by_reason: {
        missing_event_name: 1,
        invalid_timestamp: 2,
        invalid_session_id: 3,
        invalid_event: 1,
        invalid_properties: 1,
        invalid_snapshot_data: 1,
      },
    });
    expect(readdirSync(out)).toEqual(["sessions"]);
    expect(readdirSync(path.join(out, "sessions"))).toEqual([S1]);
    expect(
      readFileSync(path.join(out, "sessions", S1, "events.jsonl"), "utf8")
        .trim()
        .split("\n"),
    ).toHaveLength(1);
  });

  it("answers CORS preflights and mirrors the page's origin with credentials, as PostHog's capture does", async () => {
    const preflight = await fetch(`${server.url}/i/v0/e/`, {
      method: "OPTIONS",
      headers: {
        origin: "http://shop.localhost:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-custom",
        "access-control-request-private-network": "true",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://shop.localhost:3000");
    expect(preflight.headers.get("access-control-allow-credentials")).toBe("true");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("content-type,x-custom");
    expect(preflight.headers.get("access-control-allow-private-network")).toBe("true");

    const response = await post(server.url, "/e/", encodeLikePosthog(captureBody([clientEvent("$pageview", T0, { sessionId: S1 })]), "json"), {
      origin: "http://shop.localhost:3000",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://shop.localhost:3000");
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    const error = await fetch(`${server.url}/nowhere`, { headers: { origin: "http://shop.localhost:3000" } });
    // Errors carry CORS headers too, so the page can read them.
    expect(error.headers.get("access-control-allow-origin")).toBe("http://shop.localhost:3000");
  });

  it("serves the remote config that switches on recording, autocapture, heatmaps, exceptions and dead clicks", async () => {
    const config = (await (await fetch(`${server.url}/array/${TOKEN}/config`)).json()) as Record<string, any>;
    expect(config.sessionRecording.endpoint).toBe("/s/");
    expect(config.autocapture_opt_out).toBe(false);
    expect(config.heatmaps).toBe(true);
    expect(config.autocaptureExceptions).toBe(true);
    expect(config.captureDeadClicks).toBe(true);
    expect(config.hasFeatureFlags).toBe(false);
    expect(config.supportedCompression).toContain("gzip-js");

    const script = await (await fetch(`${server.url}/array/${TOKEN}/config.js`)).text();
    const window: Record<string, any> = {};
    vm.runInNewContext(script, { window });
    expect(window._POSTHOG_REMOTE_CONFIG[TOKEN].config).toEqual(config);

    const flags = (await (await fetch(`${server.url}/flags/?v=2`, { method: "POST", body: "{}" })).json()) as Record<string, unknown>;
    expect(flags).toMatchObject({ flags: {}, errorsWhileComputingFlags: false });
    expect(flags.sessionRecording).toBeUndefined();
    const decide = (await (await fetch(`${server.url}/decide/?v=3`, { method: "POST", body: "{}" })).json()) as Record<string, any>;
    expect(decide.sessionRecording.endpoint).toBe("/s/");
    expect(decide.featureFlags).toEqual({});
  });

  it("serves posthog-js's own bundles and lazy extensions, and nothing else, under /static/", async () => {
    const full = await fetch(`${server.url}/static/array.full.no-external.js`);
    expect(full.status).toBe(200);
    expect(full.headers.get("content-type")).toContain("javascript");
    expect((await full.text()).length).toBeGreaterThan(100_000);
    expect((await fetch(`${server.url}/static/1.449.2/lazy-recorder.js`)).status).toBe(200);
    for (const bad of ["/static/..%2Fpackage.json", "/static/package.json", "/static/nope.js", "/static/%2e%2e/%2e%2e/package.json"]) {
      const response = await fetch(`${server.url}${bad}`);
      expect(response.status, bad).toBe(404);
    }
  });
});

describe("capture server with a project token", () => {
  it("accepts only that token, in bodies and in config paths", async () => {
    const guarded = await startCaptureServer({ out: path.join(out, "guarded"), port: 0, token: TOKEN });
    try {
      const body = captureBody([clientEvent("$pageview", T0, { sessionId: S1 })]);
      expect((await post(guarded.url, "/e/", encodeLikePosthog(body, "gzip"))).status).toBe(200);
      const wrong = await post(guarded.url, "/e/", encodeLikePosthog({ ...body, api_key: "phc_other" }, "gzip"));
      expect(wrong.status).toBe(401);
      expect(wrong.json.error.code).toBe("invalid_token");
      const bare = { event: "$pageview", properties: { $session_id: S1 } };
      const missing = await post(guarded.url, "/e/", encodeLikePosthog(bare, "json"));
      expect(missing.status).toBe(401);
      expect(missing.json.error.code).toBe("missing_token");
      expect((await fetch(`${guarded.url}/array/phc_other/config`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/array/${TOKEN}/config`)).status).toBe(200);
      expect(guarded.stats().events).toBe(1);
    } finally {
      await guarded.close();
    }
  });
});
