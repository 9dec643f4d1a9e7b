import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { mkdtempSync } from "node:fs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startCaptureServer, type CaptureServer } from "../../src/capture/server.ts";
import type { AnalyticsEvent } from "../../src/domain/events.ts";
import type { SessionMeta } from "../../src/domain/session.ts";
import { ReadWarnings } from "../../src/domain/warnings.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { PostHogSource } from "../../src/sources/posthog.ts";
import { SourceError } from "../../src/sources/errors.ts";
import { captureBody, clientEvent, encodeLikePosthog, post, snapshotBody } from "./capture-posthog-bodies.ts";
import { rr } from "./rrweb-events.ts";

/*
 * Sources that grow (issue 14, "watching"): a sweep lists sessions again and again with the same
 * source object, so each listing must show what is there now (new sessions, a growing session's
 * current end), and the PostHog source must page by time from `from` instead of reading history.
 */

const COMMITTED = path.resolve("examples/dataset");
const committedIds = readdirSync(path.join(COMMITTED, "sessions")).sort();

let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "sources-grow-"));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function committedMeta(id: string): SessionMeta {
  return JSON.parse(readFileSync(path.join(COMMITTED, "sessions", id, "meta.json"), "utf8")) as SessionMeta;
}

function copyIn(dataset: string, id: string): void {
  cpSync(path.join(COMMITTED, "sessions", id), path.join(dataset, "sessions", id), { recursive: true });
}

function byId(metas: SessionMeta[]): Map<string, SessionMeta> {
  return new Map(metas.map((meta) => [meta.session_id, meta]));
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe("DatasetSource on a dataset that grows", () => {
  it("lists sessions copied in after it was created, each with its current end", async () => {
    const dataset = path.join(root, "grow");
    mkdirSync(path.join(dataset, "sessions"), { recursive: true });
    const source = new DatasetSource(dataset);
    expect(await source.listSessions()).toEqual([]);

    const [a, b, c] = committedIds as [string, string, string];
    copyIn(dataset, a);
    copyIn(dataset, b);
    expect((await source.listSessions()).map((m) => m.session_id).sort()).toEqual([a, b].sort());

    copyIn(dataset, c);
    const third = byId(await source.listSessions());
    expect([...third.keys()].sort()).toEqual([a, b, c].sort());
    expect(third.get(c)!.end).toBe(committedMeta(c).end);

    // The session grows: its files are appended to and its meta.json rewritten with a later end.
    const later = new Date(Date.parse(committedMeta(a).end) + 90_000).toISOString();
    writeFileSync(path.join(dataset, "sessions", a, "meta.json"), JSON.stringify({ ...committedMeta(a), end: later }));
    expect(byId(await source.listSessions()).get(a)!.end).toBe(later);
    expect((await source.getMeta(a)).end).toBe(later);
  });

  it("skips a session still being copied in, with a warning, and lists it once it is complete", async () => {
    const dataset = path.join(root, "half");
    mkdirSync(path.join(dataset, "sessions"), { recursive: true });
    const [done, noMeta, cutMeta, emptyMeta] = committedIds as [string, string, string, string];
    copyIn(dataset, done);
    // Copies under way: files arrive one by one, meta.json last or cut off mid-write.
    mkdirSync(path.join(dataset, "sessions", noMeta));
    cpSync(path.join(COMMITTED, "sessions", noMeta, "events.jsonl.gz"), path.join(dataset, "sessions", noMeta, "events.jsonl.gz"));
    copyIn(dataset, cutMeta);
    const cutText = readFileSync(path.join(dataset, "sessions", cutMeta, "meta.json"), "utf8");
    writeFileSync(path.join(dataset, "sessions", cutMeta, "meta.json"), cutText.slice(0, Math.floor(cutText.length / 2)));
    copyIn(dataset, emptyMeta);
    writeFileSync(path.join(dataset, "sessions", emptyMeta, "meta.json"), "");

    const source = new DatasetSource(dataset);
    const warnings = new ReadWarnings();
    expect((await source.listSessions({}, { warnings })).map((m) => m.session_id)).toEqual([done]);
    expect(warnings.kept.map((w) => w.code).sort()).toEqual(["empty_file", "invalid_json", "missing_meta"]);

    copyIn(dataset, noMeta);
    copyIn(dataset, cutMeta);
    copyIn(dataset, emptyMeta);
    const after = new ReadWarnings();
    expect((await source.listSessions({}, { warnings: after })).map((m) => m.session_id).sort()).toEqual([done, noMeta, cutMeta, emptyMeta].sort());
    expect(after.total).toBe(0);
  });

  it("passes over a session folder removed while it lists, instead of failing the listing", async () => {
    const dataset = path.join(root, "vanish");
    const [kept, removed] = committedIds as [string, string];
    copyIn(dataset, kept);
    copyIn(dataset, removed);
    // The folder disappears between the directory read and the read of its meta.json.
    class RacingSource extends DatasetSource {
      override async getMeta(sessionId: string): Promise<SessionMeta> {
        if (sessionId === removed) rmSync(path.join(dataset, "sessions", removed), { recursive: true, force: true });
        return super.getMeta(sessionId);
      }
    }
    const source = new RacingSource(dataset);
    expect((await source.listSessions()).map((m) => m.session_id)).toEqual([kept]);
    // Asked for by id, a missing session is still an error.
    await expect(source.listSessions({ ids: [removed] })).rejects.toMatchObject({ code: "session_not_found" });
  });

  it("answers a sweep's filter (from = watermark minus lookback) with sessions that started before the watermark", async () => {
    const dataset = path.join(root, "sweep");
    for (const id of committedIds.slice(0, 6)) copyIn(dataset, id);
    const metas = committedIds.slice(0, 6).map(committedMeta);
    const starts = metas.map((m) => Date.parse(m.start)).sort((x, y) => x - y);
    const from = new Date(starts[2]!).toISOString();
    const listed = await new DatasetSource(dataset).listSessions({ from });
    const expected = metas
      .filter((m) => Date.parse(m.start) >= starts[2]!)
      .sort((x, y) => Date.parse(y.start) - Date.parse(x.start))
      .map((m) => m.session_id);
    expect(listed.map((m) => m.session_id)).toEqual(expected);
  });
});

describe("the capture server's dataset, read while it grows", () => {
  const T0 = Date.parse("2025-03-01T10:00:00.000Z");
  const S1 = "0195a1b2-0001-7000-8000-0000000000a1";
  const S2 = "0195a1b2-0002-7000-8000-0000000000a2";
  const W1 = "0195a1b2-00w1-7000-8000-0000000000b1";
  const W2 = "0195a1b2-00w2-7000-8000-0000000000b2";
  const s1 = { sessionId: S1, windowId: W1, distinctId: "anon-1", url: "https://shop.test/" };
  const s2 = { sessionId: S2, windowId: W2, distinctId: "anon-2", url: "https://shop.test/cart" };
  let server: CaptureServer;

  beforeEach(async () => {
    server = await startCaptureServer({ out: root, port: 0 });
  });

  afterEach(async () => {
    await server.close();
  });

  async function send(pathname: string, body: unknown): Promise<void> {
    const response = await post(server.url, pathname, encodeLikePosthog(body, "gzip"));
    expect(response.status).toBe(200);
  }

  it("shows a session's end moving while posthog-js keeps sending, then staying, and a new session appearing", async () => {
    // Created before anything arrives, and used for every listing: nothing may be cached.
    const source = new DatasetSource(root);
    expect(await source.listSessions()).toEqual([]);

    await send("/e/", captureBody([clientEvent("$pageview", T0 + 100, s1), clientEvent("$autocapture", T0 + 2_000, s1, { $event_type: "click" })]));
    await send("/s/", snapshotBody(s1, [rr.meta(T0, s1.url), rr.fullSnapshot(T0 + 10, "home")]));
    const first = byId(await source.listSessions());
    expect([...first.keys()]).toEqual([S1]);
    expect(first.get(S1)).toMatchObject({ start: new Date(T0).toISOString(), end: new Date(T0 + 2_000).toISOString(), event_count: 2 });

    // More of the same session: events and a recording batch later on.
    await send("/e/", captureBody([clientEvent("$pageview", T0 + 30_000, { ...s1, url: "https://shop.test/cart" })]));
    await send("/s/", snapshotBody(s1, [rr.click(T0 + 31_000)]));
    const second = byId(await source.listSessions());
    expect(second.get(S1)).toMatchObject({ start: new Date(T0).toISOString(), end: new Date(T0 + 31_000).toISOString(), event_count: 3 });

    // A batch posthog-js retried late (older timestamps) must not move the end back.
    await send("/e/", captureBody([clientEvent("$autocapture", T0 + 5_000, s1, { $event_type: "click" })]));
    expect((await source.getMeta(S1)).end).toBe(new Date(T0 + 31_000).toISOString());

    // A new session starts; the first one has gone quiet and keeps its end.
    await send("/e/", captureBody([clientEvent("$pageview", T0 + 60_000, s2)]));
    const third = byId(await source.listSessions());
    expect([...third.keys()]).toEqual([S2, S1]);
    expect(third.get(S1)!.end).toBe(new Date(T0 + 31_000).toISOString());
    expect(third.get(S2)!.end).toBe(new Date(T0 + 60_000).toISOString());

    // Everything written so far can be read back while the server is still running.
    const events: AnalyticsEvent[] = await collect(source.streamEvents(S1));
    expect(events.map((e) => e.timestamp)).toEqual([T0 + 100, T0 + 2_000, T0 + 30_000, T0 + 5_000].map((ms) => new Date(ms).toISOString()));
    const recording = await collect(source.streamRecording(S1));
    expect(recording.map((w) => w.event.timestamp)).toEqual([T0, T0 + 10, T0 + 31_000]);
  });
});

describe("the capture server finalizing quiet sessions", () => {
  const T0 = Date.parse("2025-03-02T09:00:00.000Z");
  const S1 = "0195a1b2-0003-7000-8000-0000000000c1";
  const W1 = "0195a1b2-00w1-7000-8000-0000000000c1";
  const W2 = "0195a1b2-00w2-7000-8000-0000000000c2";
  const tab1 = { sessionId: S1, windowId: W1, distinctId: "anon-3", url: "https://shop.test/" };
  const tab2 = { sessionId: S1, windowId: W2, distinctId: "anon-3", url: "https://shop.test/help" };
  const IDLE_MS = 60_000;
  let clock = 0;
  let server: CaptureServer;

  beforeEach(async () => {
    clock = 1_000_000;
    server = await startCaptureServer({ out: root, port: 0, finalizeIdleMs: IDLE_MS, finalizeCheckMs: 10, now: () => clock });
  });

  afterEach(async () => {
    await server.close();
  });

  async function send(pathname: string, body: unknown): Promise<void> {
    expect((await post(server.url, pathname, encodeLikePosthog(body, "json"))).status).toBe(200);
  }

  const file = (name: string) => path.join(root, "sessions", S1, name);
  const eventTimes = () =>
    readFileSync(file("events.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as AnalyticsEvent).timestamp);
  const recordingWindows = () =>
    readFileSync(file("recording.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { window_id: string }).window_id);

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (const started = Date.now(); !condition();) {
      if (Date.now() - started > 3_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it("puts a session's files in time order once it has been quiet for the idle time, and continues it when it wakes up", async () => {
    // Two tabs and a retried batch: lines arrive out of time order.
    await send("/e/", captureBody([clientEvent("$pageview", T0 + 100, tab1), clientEvent("$autocapture", T0 + 20_000, tab1, { $event_type: "click" })]));
    await send("/e/", captureBody([clientEvent("$pageview", T0 + 5_000, tab2)]));
    await send("/s/", snapshotBody(tab2, [rr.meta(T0 + 4_990, tab2.url), rr.fullSnapshot(T0 + 5_000, "help")]));
    await send("/s/", snapshotBody(tab1, [rr.meta(T0, tab1.url), rr.fullSnapshot(T0 + 10, "home"), rr.click(T0 + 20_000)]));
    const arrived = [T0 + 100, T0 + 20_000, T0 + 5_000].map((ms) => new Date(ms).toISOString());
    expect(eventTimes()).toEqual(arrived);
    expect(recordingWindows()).toEqual([W2, W1]);
    const source = new DatasetSource(root);
    const before = await source.getMeta(S1);

    // Not quiet long enough yet: several checks pass and nothing is rewritten.
    clock += IDLE_MS - 1;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(eventTimes()).toEqual(arrived);

    clock += 1;
    await until(() => recordingWindows()[0] === W1, "the quiet session to be finalized");
    expect(eventTimes()).toEqual([...arrived].sort());
    const after = await source.getMeta(S1);
    expect(after).toMatchObject({ start: before.start, end: before.end, event_count: 3, exception_count: 0, first_url: tab1.url });
    expect((await collect(source.streamRecording(S1))).map((w) => w.event.timestamp)).toEqual([T0, T0 + 10, T0 + 20_000, T0 + 4_990, T0 + 5_000]);

    // The session wakes up: the next batch is appended to the tidied files and the end moves on.
    await send("/e/", captureBody([clientEvent("$pageleave", T0 + 40_000, tab1)]));
    expect(eventTimes()).toEqual([...[...arrived].sort(), new Date(T0 + 40_000).toISOString()]);
    expect(await source.getMeta(S1)).toMatchObject({ start: before.start, end: new Date(T0 + 40_000).toISOString(), event_count: 4, first_url: tab1.url });
    expect(server.stats().writer.sessions).toBe(1);
  });
});

/*
 * A local stand-in for PostHog's query endpoint that knows just the session-list and counts
 * queries: it filters on the `values` the source sends (session_ids, start_from, start_to, start_before),
 * orders by start (microseconds) then id, newest first, and cuts at the query's LIMIT.
 */
describe("PostHogSource pages a listing by time", () => {
  const PROJECT = "77";
  const API_KEY = "phx_grow_test_key_000000000000";

  interface FakeSession {
    session_id: string;
    start_time: string;
    end_time: string;
  }

  interface LoggedQuery {
    kind: "sessions" | "counts";
    query: string;
    values: Record<string, unknown>;
  }

  let sessions: FakeSession[] = [];
  const queries: LoggedQuery[] = [];
  let server: Server;
  let host: string;

  function micros(iso: string): number {
    const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
    if (!match) throw new Error(`fake PostHog: bad time ${iso}`);
    return Date.parse(`${match[1]}Z`) * 1000 + Number((match[2] ?? "").padEnd(6, "0").slice(0, 6));
  }

  function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (req.method !== "POST" || req.url !== `/api/projects/${PROJECT}/query/`) return send(404, { detail: "Not found." });
    const { query } = JSON.parse(body) as { query: { query: string; values: Record<string, unknown> } };
    const values = query.values ?? {};
    if (query.query.includes("FROM raw_session_replay_events")) {
      queries.push({ kind: "sessions", query: query.query, values });
      const limit = Number(/LIMIT (\d+)$/.exec(query.query)![1]);
      const bound = (name: string) => (typeof values[name] === "string" ? Date.parse(values[name] as string) * 1000 : undefined);
      const from = bound("start_from");
      const to = bound("start_to");
      const before = bound("start_before");
      const rows = sessions
        .filter((s) => !Array.isArray(values.session_ids) || (values.session_ids as string[]).includes(s.session_id))
        .filter((s) => (from === undefined || micros(s.start_time) >= from) && (to === undefined || micros(s.start_time) < to) && (before === undefined || micros(s.start_time) < before))
        .sort((x, y) => micros(y.start_time) - micros(x.start_time) || y.session_id.localeCompare(x.session_id))
        .slice(0, limit);
      return send(200, {
        columns: ["session_id", "distinct_id", "start_time", "end_time", "first_url"],
        results: rows.map((s) => [s.session_id, "user", s.start_time, s.end_time, "https://shop.test/"]),
      });
    }
    if (query.query.includes("countIf(event = '$exception')")) {
      queries.push({ kind: "counts", query: query.query, values });
      const ids = values.session_ids as string[];
      return send(200, { columns: ["session_id", "event_count", "exception_count"], results: ids.map((id) => [id, 3, 0]) });
    }
    return send(400, { detail: "unexpected query" });
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => answer(req, res, Buffer.concat(chunks).toString("utf8")));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const BASE = Date.parse("2025-05-01T12:00:00.000Z");
  /** Session n starts n minutes after BASE; ids sort with n. */
  function sessionAt(n: number, extraMicros = 0, idSuffix = ""): FakeSession {
    const start = new Date(BASE + n * 60_000).toISOString().replace("Z", `${String(extraMicros).padStart(3, "0")}Z`);
    return { session_id: `s-${String(n).padStart(3, "0")}${idSuffix}`, start_time: start, end_time: new Date(BASE + n * 60_000 + 20_000).toISOString() };
  }

  beforeEach(() => {
    queries.length = 0;
    // Ten sessions, two pairs of them starting in the same millisecond (microseconds apart) so
    // that page boundaries fall inside one millisecond.
    sessions = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => sessionAt(n));
    sessions.push(sessionAt(5, 400, "-b"), sessionAt(3, 900, "-b"));
  });

  function makeSource(options: { listPageSize?: number; listLimit?: number } = {}): PostHogSource {
    return new PostHogSource({ host, projectId: PROJECT, apiKey: API_KEY }, { maxRetries: 0, listPageSize: 3, ...options });
  }

  function expectedNewestFirst(fromMs: number): string[] {
    return sessions
      .filter((s) => micros(s.start_time) >= fromMs * 1000)
      .sort((x, y) => micros(y.start_time) - micros(x.start_time) || y.session_id.localeCompare(x.session_id))
      .map((s) => s.session_id);
  }

  it("reads every session since `from` in pages of the page size, newest first, never asking for earlier starts", async () => {
    const from = new Date(BASE + 2 * 60_000).toISOString();
    const metas = await makeSource().listSessions({ from });
    const expected = expectedNewestFirst(BASE + 2 * 60_000);
    expect(expected).toHaveLength(8);
    expect(metas.map((m) => m.session_id)).toEqual(expected);
    expect(metas.every((m) => m.event_count === 3)).toBe(true);

    const pages = queries.filter((q) => q.kind === "sessions");
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages) {
      expect(page.query).toMatch(/ORDER BY start_time DESC, session_id DESC LIMIT 3$/);
      expect(page.values.start_from).toBe(from);
      // The row scan is a day wider (whole sessions are aggregated); the sessions asked for are not.
      expect(Date.parse(page.values.scan_from as string)).toBe(Date.parse(from) - 24 * 60 * 60 * 1000);
    }
    expect(pages[0]!.values.start_before).toBeUndefined();
    const cursors = pages.slice(1).map((p) => Date.parse(p.values.start_before as string));
    for (let i = 1; i < cursors.length; i++) expect(cursors[i]!).toBeLessThan(cursors[i - 1]!);
    expect(Math.min(...cursors)).toBeGreaterThan(Date.parse(from));
    // Counts are asked per page, never for more sessions than a page holds.
    for (const counts of queries.filter((q) => q.kind === "counts")) expect((counts.values.session_ids as string[]).length).toBeLessThanOrEqual(3);
  });

  it("stops paging as soon as the limit is reached", async () => {
    const from = new Date(BASE).toISOString();
    const metas = await makeSource().listSessions({ from, limit: 4 });
    expect(metas.map((m) => m.session_id)).toEqual(expectedNewestFirst(BASE).slice(0, 4));
    expect(queries.filter((q) => q.kind === "sessions")).toHaveLength(2);
  });

  it("keeps the list limit for a listing with neither `from` nor `limit`, across pages", async () => {
    const metas = await makeSource({ listLimit: 5 }).listSessions();
    expect(metas.map((m) => m.session_id)).toEqual(expectedNewestFirst(0).slice(0, 5));
    expect(queries.filter((q) => q.kind === "sessions")).toHaveLength(2);
  });

  it("sees a new session and a growing session's new end on the next listing by the same source", async () => {
    const source = makeSource();
    const from = new Date(BASE + 6 * 60_000).toISOString();
    const before = byId(await source.listSessions({ from }));
    expect([...before.keys()].sort()).toEqual(["s-006", "s-007"]);
    const grown = new Date(BASE + 7 * 60_000 + 95_000).toISOString();
    sessions.find((s) => s.session_id === "s-007")!.end_time = grown;
    sessions.push(sessionAt(8));
    const after = byId(await source.listSessions({ from }));
    expect([...after.keys()].sort()).toEqual(["s-006", "s-007", "s-008"]);
    expect(after.get("s-007")!.end).toBe(grown);
    expect((await source.getMeta("s-007")).end).toBe(grown);
  });

  it("says paging is stuck when more sessions than a page start in one millisecond", async () => {
    sessions = [0, 1, 2, 3].map((i) => sessionAt(1, i * 100, `-${i}`));
    const error = await makeSource({ listPageSize: 2 })
      .listSessions({ from: new Date(BASE).toISOString() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: "posthog_paging_stuck" });
  });
});
