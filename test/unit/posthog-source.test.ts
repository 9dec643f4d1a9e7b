import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { EventType } from "@rrweb/types";
import type { eventWithTime } from "@rrweb/types";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AnalyticsEvent } from "../../src/domain/events.ts";
import type { WindowedEvent } from "../../src/domain/recording.ts";
import { ReadWarnings } from "../../src/domain/warnings.ts";
import { SourceError } from "../../src/sources/errors.ts";
import { PostHogSource, type PostHogSourceOptions } from "../../src/sources/posthog.ts";
import { planSnapshotRequests } from "../../src/sources/posthog/snapshots.ts";
import { memoryLogger, type MemoryLogger } from "../fakes/logger.ts";
import { rr } from "./rrweb-events.ts";

/*
 * A local stand-in for PostHog (node:http on 127.0.0.1): the HogQL query endpoint and the session
 * recording snapshots endpoint, answering in the documented shapes. It interprets the few HogQL
 * queries the source sends well enough to filter, order and page canned data, and it can be told to
 * fail the next requests (429, 5xx, stalls, a body cut off midway). Every request is logged.
 */

const API_KEY = "phx_TEST_personal_key_0123456789abcdef";
const PROJECT = "4242";
const S1 = "0190a1b2-0001-7000-8000-000000000001";
const S2 = "0190a1b2-0002-7000-8000-000000000002";
const HOSTILE_ID = `x') OR 1=1 UNION SELECT * FROM persons --"'`;

interface EventRow {
  uuid: string;
  event: string;
  timestamp: string;
  distinct_id: string;
  properties: Record<string, unknown>;
  elements_chain?: string;
}

interface RecordedSession {
  session_id: string;
  distinct_id: string;
  start_time: string;
  end_time: string;
  first_url: string;
}

const SESSIONS: RecordedSession[] = [
  {
    session_id: S1,
    distinct_id: "user-1",
    start_time: "2024-06-01T10:00:00.000000Z",
    end_time: "2024-06-01T10:05:00.250000Z",
    first_url: "https://shop.example.com/cart?step=1",
  },
  {
    session_id: S2,
    distinct_id: "user-2",
    start_time: "2024-06-02T09:00:00.000000Z",
    end_time: "2024-06-02T09:00:40.000000Z",
    first_url: "https://shop.example.com/",
  },
];

const exceptionList = [
  {
    type: "TypeError",
    value: "Cannot read properties of undefined (reading 'total')",
    mechanism: { handled: false, type: "onerror" },
    stacktrace: {
      type: "raw",
      frames: [{ filename: "https://shop.example.com/assets/cart.js", function: "renderTotal", lineno: 42, colno: 7, in_app: true }],
    },
  },
];

/** S1's events in timestamp order. Two share a millisecond; one has no uuid (invalid). */
const EVENTS: EventRow[] = [
  {
    uuid: "0190a1b2-1000-7000-8000-00000000000a",
    event: "$pageview",
    timestamp: "2024-06-01T10:00:00.100123Z",
    distinct_id: "user-1",
    properties: { $session_id: S1, $window_id: "w1", $current_url: "https://shop.example.com/cart?step=1", $pathname: "/cart" },
  },
  {
    uuid: "0190a1b2-1000-7000-8000-00000000000b",
    event: "$autocapture",
    timestamp: "2024-06-01T10:00:05.000100Z",
    distinct_id: "user-1",
    properties: { $session_id: S1, $window_id: "w1", $event_type: "click", $current_url: "https://shop.example.com/cart?step=1" },
    elements_chain: 'button.btn.pay:text="Pay now"nth-child="2"nth-of-type="1";form.checkout:nth-child="1"',
  },
  {
    uuid: "0190a1b2-1000-7000-8000-00000000000c",
    event: "$exception",
    timestamp: "2024-06-01T10:00:05.000900Z",
    distinct_id: "user-1",
    properties: {
      $session_id: S1,
      $window_id: "w1",
      $exception_list: exceptionList,
      $exception_types: ["TypeError"],
      $exception_values: ["Cannot read properties of undefined (reading 'total')"],
      $exception_fingerprint: "fp-cart-total",
    },
  },
  {
    uuid: "",
    event: "broken",
    timestamp: "2024-06-01T10:00:07.000000Z",
    distinct_id: "user-1",
    properties: { $session_id: S1 },
  },
  {
    uuid: "0190a1b2-1000-7000-8000-00000000000e",
    event: "checkout failed",
    timestamp: "2024-06-01T10:00:09.500000Z",
    distinct_id: "user-1",
    properties: { $session_id: S1, reason: "payment_declined" },
  },
  {
    uuid: "0190a1b2-1000-7000-8000-00000000000f",
    event: "$pageleave",
    timestamp: "2024-06-01T10:04:59.000000Z",
    distinct_id: "user-1",
    properties: { $session_id: S1, $current_url: "https://shop.example.com/cart?step=1" },
  },
  {
    uuid: "0190a1b2-2000-7000-8000-00000000000a",
    event: "$pageview",
    timestamp: "2024-06-02T09:00:00.500000Z",
    distinct_id: "user-2",
    properties: { $session_id: S2, $current_url: "https://shop.example.com/" },
  },
  {
    uuid: "0190a1b2-2000-7000-8000-00000000000b",
    event: "$pageleave",
    timestamp: "2024-06-02T09:00:39.000000Z",
    distinct_id: "user-2",
    properties: { $session_id: S2, $current_url: "https://shop.example.com/" },
  },
];

/** Microseconds since the epoch of a `...ss.ffffffZ` timestamp, so the fake compares like ClickHouse. */
function micros(iso: string): number {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  if (!match) return Number.NaN;
  return Date.parse(`${match[1]}Z`) * 1000 + Number((match[2] ?? "").padEnd(6, "0").slice(0, 6));
}

const T1 = Date.parse("2024-06-01T10:00:00Z");
const T2 = Date.parse("2024-06-02T09:00:00Z");
const fullSnapshotS1 = rr.fullSnapshot(T1 + 150, "Your cart");

function posthogCompressed(event: eventWithTime): Record<string, unknown> {
  return { ...event, cv: "2024-10", data: Buffer.from(gzipSync(JSON.stringify(event.data))).toString("latin1") };
}

/** S1's blob_v2 blocks: each block is JSONL of `["<window_id>", event]` lines. */
const S1_BLOCKS: string[] = [
  [
    ["w1", rr.meta(T1 + 100, "https://shop.example.com/cart?step=1")],
    ["w1", posthogCompressed(fullSnapshotS1)],
  ]
    .map((line) => JSON.stringify(line))
    .join("\n"),
  [
    ["w1", rr.mouseMove(T1 + 2_000)],
    ["w1", rr.click(T1 + 5_000)],
  ]
    .map((line) => JSON.stringify(line))
    .join("\n"),
  ["this is not json", JSON.stringify(["w2", rr.meta(T1 + 6_000, "https://shop.example.com/help")])].join("\n"),
];

/** S2's v1 blobs: JSONL of `{"window_id", "data": [...]}` lines. */
const S2_BLOBS: Record<string, string> = {
  "1717318800000-1717318820000": [
    { window_id: "w9", data: [rr.meta(T2 + 10, "https://shop.example.com/"), rr.fullSnapshot(T2 + 20, "Home")] },
    { window_id: "w9", data: [rr.mouseMove(T2 + 1_000), rr.click(T2 + 1_500)] },
    { window_id: "w9", data: [rr.mutation(T2 + 2_000, "Added to cart")] },
  ]
    .map((line) => JSON.stringify(line))
    .join("\n"),
  "1717318820000-1717318840000": [{ window_id: "w9", data: [rr.input(T2 + 30_000, "4111")] }].map((line) => JSON.stringify(line)).join("\n"),
};
const S2_REALTIME = JSON.stringify({ window_id: "w9", data: [rr.click(T2 + 39_000)] });

interface LoggedRequest {
  method: string;
  path: string;
  search: URLSearchParams;
  authorization: string | undefined;
  kind: string;
  query?: { kind: string; query: string; values?: Record<string, unknown> };
}

interface Injection {
  match: (request: LoggedRequest) => boolean;
  times: number;
  respond: (res: ServerResponse, request: LoggedRequest) => void | Promise<void>;
}

const log: LoggedRequest[] = [];
const injections: Injection[] = [];
/** Blob keys whose next download is cut off after the first line and a half. */
const cutOnce = new Set<string>();
let server: Server;
let host: string;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function classify(method: string, path: string, search: URLSearchParams, query?: LoggedRequest["query"]): string {
  if (method === "POST" && path === `/api/projects/${PROJECT}/query/`) {
    const text = query?.query ?? "";
    if (text.includes("FROM raw_session_replay_events")) return "query:sessions";
    if (text.includes("countIf(event = '$exception')")) return "query:counts";
    if (text.startsWith("SELECT uuid")) return "query:events";
    return "query:unknown";
  }
  if (method === "GET" && /^\/api\/projects\/4242\/session_recordings\/[^/]+\/snapshots$/.test(path)) {
    return `snapshots:${search.get("source") ?? "listing"}`;
  }
  return "unknown";
}

function limitOf(query: string): number {
  const match = /LIMIT (\d+)$/.exec(query);
  return match ? Number(match[1]) : 100;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function answerQuery(res: ServerResponse, request: LoggedRequest): void {
  const query = request.query!;
  const values = query.values ?? {};
  const text = query.query;
  if (request.kind === "query:sessions") {
    let rows = SESSIONS.slice();
    if (text.includes("s.session_id IN {session_ids}")) {
      const ids = stringList(values.session_ids);
      rows = rows.filter((s) => ids.includes(s.session_id));
    }
    if (typeof values.start_from === "string") rows = rows.filter((s) => Date.parse(s.start_time) >= Date.parse(values.start_from as string));
    if (typeof values.start_to === "string") rows = rows.filter((s) => Date.parse(s.start_time) < Date.parse(values.start_to as string));
    if (typeof values.first_url_contains === "string") rows = rows.filter((s) => s.first_url.toLowerCase().includes(values.first_url_contains as string));
    if (typeof values.min_duration_s === "number") {
      const min = values.min_duration_s;
      rows = rows.filter((s) => Math.floor(Date.parse(s.end_time) / 1000) - Math.floor(Date.parse(s.start_time) / 1000) >= min);
    }
    const withException = new Set(EVENTS.filter((e) => e.event === "$exception").map((e) => e.properties.$session_id));
    if (text.includes("NOT IN (SELECT $session_id FROM events WHERE event = '$exception'")) {
      rows = rows.filter((s) => !withException.has(s.session_id));
    } else if (text.includes("IN (SELECT $session_id FROM events WHERE event = '$exception'")) {
      rows = rows.filter((s) => withException.has(s.session_id));
    }
    rows.sort((a, b) => Date.parse(b.start_time) - Date.parse(a.start_time));
    rows = rows.slice(0, limitOf(text));
    const columns = ["session_id", "distinct_id", "start_time", "end_time", "first_url"];
    sendJson(res, 200, {
      columns,
      types: [
        ["session_id", "String"],
        ["distinct_id", "String"],
        ["start_time", "DateTime64(6, 'UTC')"],
        ["end_time", "DateTime64(6, 'UTC')"],
        ["first_url", "Nullable(String)"],
      ],
      results: rows.map((s) => columns.map((c) => s[c as keyof RecordedSession])),
      hogql: text,
    });
    return;
  }
  if (request.kind === "query:counts") {
    const ids = stringList(values.session_ids);
    const results = ids
      .map((id) => {
        const events = EVENTS.filter((e) => e.properties.$session_id === id);
        return [id, events.length, events.filter((e) => e.event === "$exception").length];
      })
      .filter((row) => (row[1] as number) > 0);
    sendJson(res, 200, { columns: ["session_id", "event_count", "exception_count"], results, hogql: text });
    return;
  }
  if (request.kind === "query:events") {
    const ids = stringList(values.session_ids);
    let rows = EVENTS.filter((e) => ids.includes(e.properties.$session_id as string));
    if (typeof values.range_from === "string") rows = rows.filter((e) => micros(e.timestamp) >= Date.parse(values.range_from as string) * 1000);
    if (typeof values.range_to === "string") rows = rows.filter((e) => micros(e.timestamp) < Date.parse(values.range_to as string) * 1000);
    if (typeof values.after === "string") rows = rows.filter((e) => micros(e.timestamp) >= Date.parse(values.after as string) * 1000);
    rows.sort((a, b) => micros(a.timestamp) - micros(b.timestamp) || a.uuid.localeCompare(b.uuid));
    rows = rows.slice(0, limitOf(text));
    sendJson(res, 200, {
      columns: ["uuid", "event", "timestamp", "distinct_id", "properties", "elements_chain"],
      // As ClickHouse returns them: properties as a JSON string, elements_chain "" when absent.
      results: rows.map((e) => [e.uuid, e.event, e.timestamp, e.distinct_id, JSON.stringify(e.properties), e.elements_chain ?? ""]),
      hogql: text,
    });
    return;
  }
  sendJson(res, 400, { type: "validation_error", code: "invalid_input", detail: "unexpected query" });
}

function answerSnapshots(res: ServerResponse, request: LoggedRequest): void {
  const sessionId = decodeURIComponent(request.path.split("/")[5]!);
  if (sessionId !== S1 && sessionId !== S2) {
    sendJson(res, 404, { type: "invalid_request", code: "not_found", detail: "Recording not found", attr: null });
    return;
  }
  const { search } = request;
  const source = search.get("source");
  if (source === null) {
    const sources =
      sessionId === S1
        ? [
            ...S1_BLOCKS.map((_, i) => ({
              source: "blob_v2",
              start_timestamp: new Date(T1 + i * 2_000).toISOString(),
              end_timestamp: new Date(T1 + (i + 1) * 2_000).toISOString(),
              blob_key: String(i),
            })),
            // The same data in the older format: a client must not load both.
            { source: "blob", start_timestamp: new Date(T1).toISOString(), end_timestamp: new Date(T1 + 6_000).toISOString(), blob_key: "1717236000000-1717236006000" },
          ]
        : [
            ...Object.keys(S2_BLOBS).map((key) => {
              const [start, end] = key.split("-").map(Number) as [number, number];
              return { source: "blob", start_timestamp: new Date(start).toISOString(), end_timestamp: new Date(end).toISOString(), blob_key: key };
            }),
            { source: "realtime", start_timestamp: new Date(T2 + 38_000).toISOString(), end_timestamp: null, blob_key: null },
          ];
    sendJson(res, 200, { sources });
    return;
  }
  if (source === "blob_v2" && sessionId === S1) {
    if (search.has("blob_key") && (search.has("start_blob_key") || search.has("end_blob_key"))) {
      sendJson(res, 400, { detail: "Must provide a single blob key or start and end blob keys, not both" });
      return;
    }
    const start = Number(search.get("start_blob_key") ?? search.get("blob_key"));
    const end = Number(search.get("end_blob_key") ?? search.get("blob_key"));
    if (!Number.isInteger(start) || !Number.isInteger(end) || end - start > 20) {
      sendJson(res, 400, { detail: "Cannot request more than 20 blob keys at once" });
      return;
    }
    if (end >= S1_BLOCKS.length) {
      sendJson(res, 404, { detail: "Block index out of range" });
      return;
    }
    res.writeHead(200, { "Content-Type": "application/jsonl" });
    res.end(S1_BLOCKS.slice(start, end + 1).join("\n"));
    return;
  }
  if (source === "blob" && sessionId === S2) {
    const key = search.get("blob_key") ?? "";
    const body = S2_BLOBS[key];
    if (body === undefined) {
      sendJson(res, 404, { detail: "Snapshot file not found" });
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    if (cutOnce.delete(key)) {
      // The first line, half of the second, then the connection drops.
      const firstBreak = body.indexOf("\n");
      res.write(body.slice(0, firstBreak + 1 + Math.floor((body.indexOf("\n", firstBreak + 1) - firstBreak) / 2)));
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.end(body);
    return;
  }
  if (source === "realtime" && sessionId === S2) {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(S2_REALTIME);
    return;
  }
  sendJson(res, 400, { detail: `unsupported source ${source}` });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const bodyText = Buffer.concat(chunks).toString("utf8");
  let query: LoggedRequest["query"];
  if (bodyText) query = (JSON.parse(bodyText) as { query: LoggedRequest["query"] }).query;
  const request: LoggedRequest = {
    method: req.method ?? "",
    path: url.pathname,
    search: url.searchParams,
    authorization: req.headers.authorization,
    kind: classify(req.method ?? "", url.pathname, url.searchParams, query),
    query,
  };
  log.push(request);

  const injection = injections.find((i) => i.times > 0 && i.match(request));
  if (injection) {
    injection.times -= 1;
    await injection.respond(res, request);
    return;
  }
  if (request.authorization !== `Bearer ${API_KEY}`) {
    sendJson(res, 401, {
      type: "authentication_error",
      code: "authentication_failed",
      detail: "Personal API key found in request Authorization header is invalid.",
    });
    return;
  }
  if (request.kind.startsWith("query:")) answerQuery(res, request);
  else if (request.kind.startsWith("snapshots:")) answerSnapshots(res, request);
  else sendJson(res, 404, { detail: "Not found." });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { detail: String(error) });
    });
  });
  // Sockets the client abandons (timeouts, cut-off bodies) may error; that is expected here.
  server.on("connection", (socket) => socket.on("error", () => undefined));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let sleeps: number[];
let retryLog: MemoryLogger;
/** The retry warnings the source logged. */
const retries = (): string[] => retryLog.entries.map((entry) => String(entry.msg));

beforeEach(() => {
  log.length = 0;
  injections.length = 0;
  cutOnce.clear();
  sleeps = [];
  retryLog = memoryLogger();
});

function makeSource(options: PostHogSourceOptions = {}, apiKey = API_KEY): PostHogSource {
  return new PostHogSource(
    { host, projectId: PROJECT, apiKey },
    {
      maxRetries: 3,
      retryBaseMs: 100,
      eventsPageSize: 3,
      blobKeysPerRequest: 2,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      logger: retryLog.logger,
      ...options,
    },
  );
}

function inject(kindPrefix: string, times: number, respond: Injection["respond"]): void {
  injections.push({ match: (r) => r.kind.startsWith(kindPrefix), times, respond });
}

function requestsOf(kind: string): LoggedRequest[] {
  return log.filter((r) => r.kind === kind);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function sourceError(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }
  throw new Error("expected a SourceError");
}

/** Everything a caller could print about an error, including its cause chain. */
function everythingIn(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth++) {
    if (e instanceof Error) {
      parts.push(e.message, String(e.stack), JSON.stringify(e));
      e = e.cause;
    } else {
      parts.push(String(e));
      e = undefined;
    }
  }
  return parts.join("\n");
}

describe("PostHogSource configuration", () => {
  it("refuses to start without an API key or a project id, naming the variable", () => {
    expect(() => new PostHogSource({ host, projectId: PROJECT })).toThrowError(/POSTHOG_API_KEY/);
    expect(() => new PostHogSource({ host, apiKey: API_KEY })).toThrowError(/POSTHOG_PROJECT_ID/);
    try {
      new PostHogSource({ host, projectId: PROJECT, apiKey: "" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SourceError);
      expect((error as SourceError).code).toBe("config_missing");
    }
  });

  it("names the host in its description but never the key", () => {
    const source = makeSource();
    expect(source.description).toContain(host);
    expect(source.description).not.toContain(API_KEY);
  });
});

describe("PostHogSource sessions", () => {
  it("lists recorded sessions newest first, with event and exception counts, sending the key as a bearer token", async () => {
    const metas = await makeSource().listSessions();
    expect(metas.map((m) => m.session_id)).toEqual([S2, S1]);
    expect(metas[1]).toEqual({
      session_id: S1,
      distinct_id: "user-1",
      start: "2024-06-01T10:00:00.000Z",
      end: "2024-06-01T10:05:00.250Z",
      first_url: "https://shop.example.com/cart?step=1",
      event_count: 6,
      exception_count: 1,
    });
    expect(metas[0]).toMatchObject({ session_id: S2, event_count: 2, exception_count: 0 });
    expect(log.map((r) => r.kind)).toEqual(["query:sessions", "query:counts"]);
    expect(log.every((r) => r.authorization === `Bearer ${API_KEY}`)).toBe(true);
    expect(log[0]!.query!.kind).toBe("HogQLQuery");
  });

  it("filters on the server: time range, first URL, exceptions, duration", async () => {
    const source = makeSource();
    expect((await source.listSessions({ from: "2024-06-02T00:00:00Z" })).map((m) => m.session_id)).toEqual([S2]);
    expect((await source.listSessions({ to: "2024-06-02T00:00:00Z" })).map((m) => m.session_id)).toEqual([S1]);
    expect((await source.listSessions({ first_url_contains: "/cart" })).map((m) => m.session_id)).toEqual([S1]);
    // URL text matches without regard to case, as on every surface and in the dataset source.
    expect((await source.listSessions({ first_url_contains: "/CART" })).map((m) => m.session_id)).toEqual([S1]);
    expect((await source.listSessions({ has_exception: true })).map((m) => m.session_id)).toEqual([S1]);
    expect((await source.listSessions({ has_exception: false })).map((m) => m.session_id)).toEqual([S2]);
    expect((await source.listSessions({ min_duration_ms: 60_000 })).map((m) => m.session_id)).toEqual([S1]);
    expect((await source.listSessions({ limit: 1 })).map((m) => m.session_id)).toEqual([S2]);

    const sessionQueries = requestsOf("query:sessions").map((r) => r.query!);
    expect(sessionQueries[2]!.values).toMatchObject({ first_url_contains: "/cart" });
    expect(sessionQueries[3]!.values).toMatchObject({ first_url_contains: "/cart" });
    expect(sessionQueries[3]!.query).toContain("positionUTF8(lowerUTF8(ifNull(first_url, '')), {first_url_contains})");
    expect(sessionQueries[7]!.query).toMatch(/LIMIT 1$/);
  });

  it("checks the duration to the millisecond after the server's second-granular filter", async () => {
    // S2 lasts exactly 40 s: the server's `>= 40 s` keeps it, the exact check drops it at 40.001 s.
    const source = makeSource();
    expect((await source.listSessions({ min_duration_ms: 40_000 })).map((m) => m.session_id)).toEqual([S2, S1]);
    expect((await source.listSessions({ min_duration_ms: 40_001 })).map((m) => m.session_id)).toEqual([S1]);
  });

  it("lists given ids in the given order, applies the other filters, and names unknown ids", async () => {
    const source = makeSource();
    expect((await source.listSessions({ ids: [S1, S2] })).map((m) => m.session_id)).toEqual([S1, S2]);
    expect((await source.listSessions({ ids: [S1, S2], has_exception: false })).map((m) => m.session_id)).toEqual([S2]);
    const error = await sourceError(source.listSessions({ ids: [S1, "no-such-session"] }));
    expect(error.code).toBe("session_not_found");
    expect(error.message).toContain("no-such-session");
  });

  it("gets one session's metadata, and says session_not_found for an unknown id", async () => {
    const source = makeSource();
    expect(await source.getMeta(S2)).toMatchObject({ session_id: S2, start: "2024-06-02T09:00:00.000Z", event_count: 2 });
    const error = await sourceError(source.getMeta("0190ffff-dead-7000-8000-000000000000"));
    expect(error.code).toBe("session_not_found");
  });

  it("passes untrusted ids and URLs as values, never inside the query text", async () => {
    const source = makeSource();
    const error = await sourceError(source.getMeta(HOSTILE_ID));
    expect(error.code).toBe("session_not_found");
    const urlFilter = `/cart' OR '1'='1`;
    await source.listSessions({ first_url_contains: urlFilter });

    const queries = requestsOf("query:sessions").map((r) => r.query!);
    expect(queries[0]!.values!.session_ids).toEqual([HOSTILE_ID]);
    expect(queries[0]!.query).not.toContain("UNION");
    expect(queries[0]!.query).not.toContain("1=1");
    expect(queries[1]!.values!.first_url_contains).toBe(urlFilter.toLowerCase());
    expect(queries[1]!.query).not.toContain("'1'='1");
  });
});

describe("PostHogSource events", () => {
  it("streams a session's events in timestamp order across pages, skipping a bad row with a warning", async () => {
    const warnings = new ReadWarnings();
    const events = await collect(makeSource().streamEvents(S1, { warnings }));

    expect(events.map((e) => e.uuid)).toEqual([
      "0190a1b2-1000-7000-8000-00000000000a",
      "0190a1b2-1000-7000-8000-00000000000b",
      "0190a1b2-1000-7000-8000-00000000000c",
      "0190a1b2-1000-7000-8000-00000000000e",
      "0190a1b2-1000-7000-8000-00000000000f",
    ]);
    const times = events.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(warnings.countByCode.get("invalid_event")).toBe(1);
    expect(warnings.kept[0]!.problem).toContain("uuid");

    const exception = events.find((e) => e.event === "$exception") as AnalyticsEvent;
    expect(exception.properties.$exception_list?.[0]?.type).toBe("TypeError");
    expect(exception.properties.$exception_list?.[0]?.stacktrace?.frames?.[0]?.function).toBe("renderTotal");
    const click = events.find((e) => e.event === "$autocapture") as AnalyticsEvent;
    expect(click.properties.$elements_chain).toContain('text="Pay now"');
    expect(click.properties.$event_type).toBe("click");
    expect(events[0]!.timestamp).toBe("2024-06-01T10:00:00.100Z");

    // Page size 3 over 6 rows, keyed on timestamp (no OFFSET): the rows at the cursor come again.
    const pages = requestsOf("query:events").map((r) => r.query!);
    expect(pages).toHaveLength(4);
    expect(pages.every((q) => !/OFFSET/i.test(q.query) && /ORDER BY timestamp ASC, uuid ASC LIMIT 3$/.test(q.query))).toBe(true);
    expect(pages[0]!.values!.after).toBeUndefined();
    expect(pages.slice(1).map((q) => q.values!.after)).toEqual(["2024-06-01T10:00:05.000Z", "2024-06-01T10:00:07.000Z", "2024-06-01T10:04:59.000Z"]);
    expect(pages[0]!.values!.session_ids).toEqual([S1]);
    // The time range comes from the session's metadata, widened by a day each way.
    expect(pages[0]!.values!.range_from).toBe("2024-05-31T10:00:00.000Z");
    expect(pages[0]!.values!.range_to).toBe("2024-06-02T10:05:00.250Z");
  });

  it("reuses metadata from a listing instead of asking again", async () => {
    const source = makeSource({ eventsPageSize: 100 });
    await source.listSessions();
    log.length = 0;
    const events = await collect(source.streamEvents(S2));
    expect(events.map((e) => e.event)).toEqual(["$pageview", "$pageleave"]);
    expect(log.map((r) => r.kind)).toEqual(["query:events"]);
  });

  it("says session_not_found for the events of an unknown session, whatever its id contains", async () => {
    const error = await sourceError(collect(makeSource().streamEvents(HOSTILE_ID)));
    expect(error.code).toBe("session_not_found");
    expect(requestsOf("query:events")).toHaveLength(0);
  });
});

describe("PostHogSource recordings", () => {
  it("loads blob_v2 sources in ranges, in both line shapes, decompressing posthog-js events", async () => {
    const warnings = new ReadWarnings();
    const events = await collect(makeSource().streamRecording(S1, { warnings }));

    expect(events.map((e) => [e.windowId, e.event.type, e.event.timestamp])).toEqual([
      ["w1", EventType.Meta, T1 + 100],
      ["w1", EventType.FullSnapshot, T1 + 150],
      ["w1", EventType.IncrementalSnapshot, T1 + 2_000],
      ["w1", EventType.IncrementalSnapshot, T1 + 5_000],
      ["w2", EventType.Meta, T1 + 6_000],
    ]);
    const full = events[1]!.event as eventWithTime & { cv?: unknown };
    expect(full.cv).toBeUndefined();
    expect(full.data).toEqual(fullSnapshotS1.data);
    expect(warnings.countByCode.get("invalid_json")).toBe(1);
    expect(warnings.kept[0]!.line).toBe(1);

    const listing = requestsOf("snapshots:listing");
    expect(listing).toHaveLength(1);
    expect(listing[0]!.search.get("blob_v2")).toBe("true");
    const ranges = requestsOf("snapshots:blob_v2").map((r) => [r.search.get("start_blob_key"), r.search.get("end_blob_key")]);
    expect(ranges).toEqual([
      ["0", "1"],
      ["2", "2"],
    ]);
    expect(requestsOf("snapshots:blob")).toHaveLength(0);
  });

  it("loads v1 blobs in time order and then the realtime source", async () => {
    const events = await collect(makeSource().streamRecording(S2));
    expect(events.map((e) => e.event.timestamp)).toEqual([T2 + 10, T2 + 20, T2 + 1_000, T2 + 1_500, T2 + 2_000, T2 + 30_000, T2 + 39_000]);
    expect(events.every((e) => e.windowId === "w9")).toBe(true);
    expect(requestsOf("snapshots:blob").map((r) => r.search.get("blob_key"))).toEqual(Object.keys(S2_BLOBS));
    expect(requestsOf("snapshots:realtime")).toHaveLength(1);
  });

  it("fetches a body cut off midway again and skips the lines it already delivered", async () => {
    const firstKey = Object.keys(S2_BLOBS)[0]!;
    cutOnce.add(firstKey);
    const events: WindowedEvent[] = await collect(makeSource().streamRecording(S2));
    expect(events.map((e) => e.event.timestamp)).toEqual([T2 + 10, T2 + 20, T2 + 1_000, T2 + 1_500, T2 + 2_000, T2 + 30_000, T2 + 39_000]);
    expect(requestsOf("snapshots:blob").map((r) => r.search.get("blob_key"))).toEqual([firstKey, ...Object.keys(S2_BLOBS)]);
    expect(sleeps).toHaveLength(1);
    expect(retries().join("\n")).toContain("cut off after line 1");
  });

  it("abandons a body that stalls, and resumes it from a fresh request", async () => {
    const firstKey = Object.keys(S2_BLOBS)[0]!;
    inject("snapshots:blob", 1, (res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write(`${S2_BLOBS[firstKey]!.split("\n")[0]}\n`);
      // ...and nothing more until the client gives up.
    });
    const events = await collect(makeSource({ requestTimeoutMs: 150 }).streamRecording(S2));
    expect(events).toHaveLength(7);
    expect(requestsOf("snapshots:blob")).toHaveLength(3);
    expect(retries().join("\n")).toContain("body stalled");
  });

  it("does not mistake a slow consumer for a stalled body", async () => {
    const events: WindowedEvent[] = [];
    for await (const event of makeSource({ requestTimeoutMs: 40 }).streamRecording(S2)) {
      events.push(event);
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    expect(events).toHaveLength(7);
    expect(requestsOf("snapshots:blob")).toHaveLength(2);
    expect(retries()).toEqual([]);
  });

  it("says session_not_found for the recording of an unknown session", async () => {
    const error = await sourceError(collect(makeSource().streamRecording(HOSTILE_ID)));
    expect(error.code).toBe("session_not_found");
    expect(requestsOf("snapshots:listing")).toHaveLength(1);
    expect(requestsOf("snapshots:listing")[0]!.path).toContain(encodeURIComponent(HOSTILE_ID));
  });

  it("plans at most 20 blob_v2 keys per request, and long-term paths on their own", () => {
    const keys = Array.from({ length: 45 }, (_, i) => ({ source: "blob_v2", blob_key: String(i) }));
    const plan = planSnapshotRequests([...keys, { source: "blob_v2", blob_key: "session_recordings_lts/abc" }], 50);
    expect(plan).toEqual([
      { source: "blob_v2", start_blob_key: "0", end_blob_key: "19" },
      { source: "blob_v2", start_blob_key: "20", end_blob_key: "39" },
      { source: "blob_v2", start_blob_key: "40", end_blob_key: "44" },
      { source: "blob_v2", blob_key: "session_recordings_lts/abc" },
    ]);
    expect(
      planSnapshotRequests(
        [
          { source: "blob_v2", blob_key: "3" },
          { source: "blob_v2", blob_key: "1" },
        ],
        10,
      ),
    ).toEqual([
      { source: "blob_v2", start_blob_key: "1", end_blob_key: "1" },
      { source: "blob_v2", start_blob_key: "3", end_blob_key: "3" },
    ]);
  });
});

describe("PostHogSource retries and errors", () => {
  it("waits as long as Retry-After says after a 429, then succeeds", async () => {
    inject("query:", 1, (res) => sendJson(res, 429, { type: "throttled_error", detail: "Request was throttled. Expected available in 2 seconds." }, { "Retry-After": "2" }));
    const metas = await makeSource().listSessions();
    expect(metas).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
    expect(requestsOf("query:sessions")).toHaveLength(2);
    expect(retries()[0]).toContain("HTTP 429");
  });

  it("backs off exponentially with jitter through two 503s, then succeeds", async () => {
    inject("snapshots:listing", 2, (res) => sendJson(res, 503, { error: "ClickHouse over capacity. Please retry" }));
    const events = await collect(makeSource().streamRecording(S1));
    expect(events).toHaveLength(5);
    expect(requestsOf("snapshots:listing")).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });

  it("gives up after maxRetries on a persistent 500, naming endpoint and status but never the key", async () => {
    // A server that echoes the Authorization header back in its error: the key must still not leak.
    inject("query:", 100, (res, request) => sendJson(res, 500, { detail: `boom; you sent ${request.authorization}` }));
    const error = await sourceError(makeSource().listSessions());
    expect(error.code).toBe("posthog_unavailable");
    expect(error.message).toContain(`POST /api/projects/${PROJECT}/query/`);
    expect(error.message).toContain("HTTP 500");
    expect(requestsOf("query:sessions")).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
    expect(everythingIn(error)).not.toContain(API_KEY);
    expect(retries()).toHaveLength(3);
    expect(retries().join("\n")).not.toContain(API_KEY);
    expect(retries().join("\n")).toContain("[redacted]");
  });

  it("reports a persistent 429 as rate limiting", async () => {
    inject("snapshots:", 100, (res) => sendJson(res, 429, { detail: "throttled" }, { "Retry-After": "1" }));
    const error = await sourceError(collect(makeSource({ maxRetries: 2 }).streamRecording(S1)));
    expect(error.code).toBe("posthog_rate_limited");
    expect(error.message).toContain(`/session_recordings/${S1}/snapshots`);
    expect(sleeps).toEqual([1000, 1000]);
  });

  it("fails at once on 401, without retrying and without echoing the key", async () => {
    const wrongKey = "phx_WRONG_key_that_must_not_be_printed";
    const error = await sourceError(makeSource({}, wrongKey).listSessions());
    expect(error.code).toBe("posthog_auth");
    expect(error.message).toContain("POSTHOG_API_KEY");
    expect(error.message).toContain("401");
    expect(log).toHaveLength(1);
    expect(log[0]!.authorization).toBe(`Bearer ${wrongKey}`);
    expect(sleeps).toHaveLength(0);
    expect(everythingIn(error)).not.toContain(wrongKey);
  });

  it("retries network errors and scrubs the key from their text and cause", async () => {
    let calls = 0;
    const failingFetch = async (): Promise<Response> => {
      calls += 1;
      throw new TypeError("fetch failed", { cause: new Error(`socket hang up while sending "Bearer ${API_KEY}"`) });
    };
    const error = await sourceError(makeSource({ fetch: failingFetch }).getMeta(S1));
    expect(error.code).toBe("posthog_unavailable");
    expect(error.message).toContain("socket hang up");
    expect(calls).toBe(4);
    expect(everythingIn(error)).not.toContain(API_KEY);
    expect(retries().join("\n")).not.toContain(API_KEY);
  });

  it("reports a refused connection as unavailable after retrying", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const source = new PostHogSource({ host: `http://127.0.0.1:${port}`, projectId: PROJECT, apiKey: API_KEY }, { maxRetries: 1, sleep: async (ms) => void sleeps.push(ms) });
    const error = await sourceError(source.listSessions());
    expect(error.code).toBe("posthog_unavailable");
    expect(error.message).toMatch(/ECONNREFUSED|fetch failed/);
    expect(sleeps).toHaveLength(1);
  });

  it("abandons a request whose headers do not arrive in time, and retries it", async () => {
    inject("query:sessions", 1, async (res) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      sendJson(res, 200, { columns: [], results: [] });
    });
    const metas = await makeSource({ requestTimeoutMs: 100 }).listSessions();
    expect(metas.map((m) => m.session_id)).toEqual([S2, S1]);
    expect(requestsOf("query:sessions")).toHaveLength(2);
    expect(retries()[0]).toContain("no response within 100 ms");
  });

  it("maps a 400 from the query endpoint to posthog_bad_request with PostHog's detail", async () => {
    inject("query:", 1, (res) => sendJson(res, 400, { type: "validation_error", code: "query_error", detail: "Unable to resolve field: first_url" }));
    const error = await sourceError(makeSource().listSessions());
    expect(error.code).toBe("posthog_bad_request");
    expect(error.message).toContain("Unable to resolve field: first_url");
    expect(sleeps).toHaveLength(0);
  });
});
