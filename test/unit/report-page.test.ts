import type { eventWithTime } from "@rrweb/types";
import { describe, expect, it } from "vitest";
import type { PipelineAnalyst } from "../../src/llm/analyst.ts";
import type { WindowedEvent } from "../../src/domain/recording.ts";
import { ReportSchema, type Report, type ReportPattern } from "../../src/domain/report.ts";
import { SessionSummarySchema, type KeyAction, type SessionSummary } from "../../src/domain/summary.ts";
import { textOf } from "../../src/report/page/client/chat.ts";
import { parseFragment, patternVisible } from "../../src/report/page/client/filters.ts";
import { SseParser } from "../../src/report/page/client/sse.ts";
import {
  aliasAnchors,
  contentSecurityPolicy,
  embeddedBytes,
  exampleKey,
  jsonForScript,
  loadReportPageData,
  PAGE_ELEMENT_IDS,
  rankPatterns,
  renderReportPage,
  ReportPageCache,
  type ReportPageData,
  type ReportPageRuntime,
} from "../../src/report/page/index.ts";
import { RecordingError } from "../../src/replay/errors.ts";
import type { SessionSource } from "../../src/sources/types.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { SummaryCache } from "../../src/store/summary-cache.ts";
import { withConnectingNodes } from "../fixtures/report-page-data.ts";
import { rr } from "./rrweb-events.ts";

const MOMENT = Date.parse("2026-11-01T10:01:05.000Z");
const SCRIPT = `</script><script>window.__pwned=1</script><!--`;

function action(id: string, description: string, flags: Partial<KeyAction> = {}): KeyAction {
  return {
    event_id: id,
    description,
    exception: null,
    confusion: false,
    abandonment: false,
    event_uuid: `uuid-${id}`,
    event: "$autocapture",
    timestamp: new Date(MOMENT).toISOString(),
    ms_since_start: 65_000,
    event_index: 3,
    window_id: "w1",
    ...flags,
  };
}

function pattern(id: number, severity: ReportPattern["severity"], ratio: number, affected: number, examples: ReportPattern["examples"] = []): ReportPattern {
  return {
    id,
    slug: `p-${id}`,
    name: `Pattern ${id}`,
    description: "d",
    severity,
    indicators: ["i"],
    stats: { occurrences: affected, sessions_affected: affected, sessions_affected_ratio: ratio, segments_success_ratio: 0 },
    examples,
  };
}

const example = (sessionId: string, clipKey?: string): ReportPattern["examples"][number] => ({
  session_id: sessionId,
  session_start: "2026-11-01T10:00:00.000Z",
  session_duration_s: 120,
  segment_index: 0,
  segment_name: `Checkout ${SCRIPT}`,
  segment_outcome: "Could not pay",
  segment_success: false,
  target: action("aaaaaaaa", `Clicked Place order ${SCRIPT}`, { exception: "blocking" }),
  before: [action("bbbbbbbb", "Filled the form")],
  after: [],
  ...(clipKey ? { validation: { verdict: "confirmed" as const, method: "dom", evidence: [`"Payment failed" ${SCRIPT}`], clip_key: clipKey, changes: [] } } : {}),
});

const report: Report = ReportSchema.parse({
  id: "r1",
  title: `Checkout ${SCRIPT}`,
  created_at: "2026-11-22T03:00:00.000Z",
  analyst: { kind: "heuristic", label: "offline analyst" },
  models: { summarizer: "heuristic" },
  sessions: { requested: 3, summarized: ["s1", "s2", "s3"], failed: [], skipped: [] },
  patterns: [pattern(1, "medium", 0.5, 2, [example("s1", "local/clips/good"), example("s2", "local/clips/missing")]), pattern(2, "critical", 0.2, 1, [example("s3", "local/clips/not-mp4")])],
  chunk_failures: [],
  usage: { model_calls: 0, input_tokens: 0, output_tokens: 0 },
});

function summary(sessionId: string): SessionSummary {
  return SessionSummarySchema.parse({
    session_id: sessionId,
    start: "2026-11-01T10:00:00.000Z",
    duration_s: 120,
    segments: [
      {
        index: 0,
        name: "Checkout",
        start_event_id: "aaaaaaaa",
        end_event_id: "aaaaaaaa",
        start: "2026-11-01T10:00:00.000Z",
        end: "2026-11-01T10:02:00.000Z",
        key_actions: [],
        outcome: { success: false, summary: `Gave up ${SCRIPT}` },
        stats: { duration_s: 120, duration_ratio: 1, key_action_count: 0, failure_count: 0, exception_count: 0, confusion_count: 0, abandonment_count: 0 },
      },
    ],
    session_outcome: { success: false, summary: `Could not buy ${SCRIPT}` },
    analyst: { kind: "heuristic", label: "offline analyst" },
  });
}

const OUTSIDE = "http://outside.test:8123";

/** s1 has a recording with a snapshot 20 s before the moment; s2's recording is corrupt; s3 has none; s4's links and frames connect to the outside. */
function source(reads: string[] = []): SessionSource {
  const s1Events: eventWithTime[] = [
    rr.meta(MOMENT - 20_000),
    rr.fullSnapshot(MOMENT - 20_000, "the shop"),
    rr.mutation(MOMENT - 10_000),
    rr.mouseMove(MOMENT - 8_000),
    rr.click(MOMENT - 2_000),
    rr.mutation(MOMENT),
    rr.mutation(MOMENT + 40_000),
  ];
  const recordings: Record<string, () => AsyncIterable<WindowedEvent>> = {
    async *s1() {
      for (const event of s1Events) yield { windowId: "w1", event };
    },
    async *s4() {
      for (const event of withConnectingNodes(s1Events, OUTSIDE)) yield { windowId: "w1", event };
    },
    // eslint-disable-next-line require-yield
    async *s2() {
      throw new RecordingError("invalid_json", "s2/recording.jsonl", "line 3 is not valid JSON");
    },
    async *s3() {},
  };
  return {
    description: "test source",
    listSessions: async () => [],
    getMeta: async () => {
      throw new Error("not used");
    },
    streamEvents: async function* () {},
    streamRecording: (id: string) => {
      reads.push(id);
      return recordings[id]!();
    },
  };
}

async function runtime(reads?: string[]): Promise<ReportPageRuntime> {
  const blobs = new MemoryBlobStore();
  const summaries = new SummaryCache<SessionSummary>({ store: blobs, schema: SessionSummarySchema });
  await summaries.put({ project: "local", sessionId: "s1", analyst: "heuristic" }, summary("s1"));
  await summaries.put({ project: "local", sessionId: "s3", analyst: "heuristic" }, summary("s3"));
  // An MP4 starts with a `ftyp` box; the page checks that much before embedding it.
  await blobs.put("local/clips/good", Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from("ftypisom"), Buffer.alloc(12)]));
  await blobs.put("local/clips/not-mp4", Buffer.from("\xff\xd8\xff\xe0 a jpeg"));
  return { project: "local", source: source(reads), blobs, summaries, analyst: { cacheLabel: "heuristic" } as PipelineAnalyst };
}

describe("loadReportPageData", () => {
  it("loads summaries, replay windows and clips, and turns every failure into a reason", async () => {
    const data = await loadReportPageData(report, await runtime());
    expect(data.sessions.map((s) => [s.session_id, s.summary?.session_id ?? s.unavailable])).toEqual([
      ["s1", "s1"],
      ["s2", "its summary is no longer in the summary cache"],
      ["s3", "s3"],
    ]);
    const s1 = data.examples[exampleKey(1, 0)]!;
    expect(s1.replay.status).toBe("ready");
    if (s1.replay.status !== "ready") return;
    expect(s1.replay.start_ms).toBe(MOMENT - 5_000);
    expect(s1.replay.moment_ms).toBe(MOMENT);
    // Meta + snapshot 20 s before, the mutation that changed the page since; no pointer moves from before the window; nothing 40 s after.
    expect((JSON.parse(s1.replay.events_json) as eventWithTime[]).map((e) => e.timestamp - MOMENT)).toEqual([-20_000, -20_000, -10_000, -2_000, 0]);
    expect(s1.replay.stripped).toEqual([]);
    expect(s1.clip).toMatchObject({ status: "ready", mime: "video/mp4", bytes: 24 });
    expect(s1.clip?.status === "ready" && s1.clip.data_url.startsWith("data:video/mp4;base64,AAAAGGZ0eXBpc29t")).toBe(true);

    const s2 = data.examples[exampleKey(1, 1)]!;
    expect(s2.replay).toEqual({ status: "unavailable", reason: expect.stringContaining("the recording could not be read: s2/recording.jsonl: line 3 is not valid JSON") });
    expect(s2.clip).toEqual({ status: "unavailable", reason: "the clip is not in the blob store (expired or never rendered)" });
    const s3 = data.examples[exampleKey(2, 0)]!;
    expect(s3.replay.status).toBe("unavailable");
    expect(s3.clip).toEqual({ status: "unavailable", reason: "the stored clip is not an MP4 video" });
  });

  it("takes connection hints, frame sources and plugin data out of the replay", async () => {
    const hinted = ReportSchema.parse({ ...report, patterns: [pattern(1, "high", 0.5, 2, [example("s4")])] });
    const replay = (await loadReportPageData(hinted, await runtime())).examples[exampleKey(1, 0)]!.replay;
    expect(replay.status).toBe("ready");
    if (replay.status !== "ready") return;
    expect(replay.events_json).toContain("connecting nodes added");
    expect(replay.events_json).not.toContain(OUTSIDE);
    expect(replay.stripped).toEqual([
      `${OUTSIDE}/`,
      `${OUTSIDE}/`,
      `${OUTSIDE}/prefetch.html`,
      `${OUTSIDE}/prerender.html`,
      `${OUTSIDE}/preload.js`,
      `${OUTSIDE}/module.js`,
      `${OUTSIDE}/frame.html`,
      `${OUTSIDE}/object.pdf`,
    ]);
  });

  /** A pattern of `count` examples in s1, each its own moment (one second apart) with the good clip. */
  const manyExamples = (count: number) =>
    ReportSchema.parse({
      ...report,
      patterns: [
        pattern(
          1,
          "high",
          0.5,
          count,
          Array.from({ length: count }, (_, i) => {
            const x = example("s1", "local/clips/good");
            return { ...x, target: { ...x.target, timestamp: new Date(MOMENT + i * 1_000).toISOString() } };
          }),
        ),
        // Less severe, so embedded after pattern 1; its one example is pattern 1's first moment, read once.
        pattern(2, "low", 0.1, 1, [example("s1", "local/clips/good")]),
      ],
    });

  it("embeds replays and clips of the first examples of each pattern only, and does not read the others' recordings", async () => {
    const reads: string[] = [];
    const seven = manyExamples(7);
    // Their own clips: not read either.
    for (const x of seven.patterns[0]!.examples.slice(5)) x.validation!.clip_key = "local/clips/late";
    const data = await loadReportPageData(seven, await runtime(reads), { maxEmbeddedExamplesPerPattern: 5 });
    const statuses = Array.from({ length: 7 }, (_, i) => [data.examples[exampleKey(1, i)]!.replay.status, data.examples[exampleKey(1, i)]!.clip?.status]);
    expect(statuses).toEqual([...Array(5).fill(["ready", "ready"]), ...Array(2).fill(["not_embedded", "not_embedded"])]);
    expect(data.examples[exampleKey(1, 6)]!.replay).toEqual({ status: "not_embedded", reason: "only the first 5 examples of a pattern are embedded" });
    // Five moments of pattern 1 read; pattern 2's example is pattern 1's first moment: the same window, read once.
    expect(reads).toEqual(Array(5).fill("s1"));
    expect(data.examples[exampleKey(2, 0)]!.replay).toBe(data.examples[exampleKey(1, 0)]!.replay);

    const html = renderReportPage(data, { nonce: "n" });
    expect(html.match(/<script type="application\/json" id="replay-events-/g)).toHaveLength(5);
    expect(html.match(/src="data:video\/mp4;base64,/g)).toHaveLength(6);
    const notEmbedded = /<details class="example" id="example-1-6"[\s\S]*?<\/details>/.exec(html)![0];
    expect(notEmbedded).toContain("Replay not embedded in this page (only the first 5 examples of a pattern are embedded): session <code>s1</code> at 01:05.");
    expect(notEmbedded).toContain("Clip not embedded in this page (only the first 5 examples of a pattern are embedded).");
    expect(notEmbedded).not.toContain('class="replay"');
    // The session list links an example without a replay to the example itself.
    expect(html).toContain('<a href="#example-1-6">01:05 (Pattern 1)</a>');
    expect(html).toContain('<a href="#replay-1-0">01:05 (Pattern 1), replay</a>');
  });

  it("an example past the first ones still shows a replay window the page embeds for another example", async () => {
    const shared = manyExamples(7);
    // Pattern 1's 7th example is the moment of its 1st (embedded); the 6th is its own moment.
    shared.patterns[0]!.examples[6] = structuredClone(shared.patterns[0]!.examples[0]!);
    const data = await loadReportPageData(shared, await runtime(), { maxEmbeddedExamplesPerPattern: 5 });
    expect(data.examples[exampleKey(1, 6)]!.replay).toBe(data.examples[exampleKey(1, 0)]!.replay);
    expect(data.examples[exampleKey(1, 5)]!.replay.status).toBe("not_embedded");
    // A clip is inlined in each example showing it: not for those past the first ones.
    expect(data.examples[exampleKey(1, 6)]!.clip?.status).toBe("not_embedded");
  });

  it("stops embedding at the byte budget, most severe patterns first, a shared window counted once, a clip each time it is inlined", async () => {
    const one = await loadReportPageData(manyExamples(1), await runtime());
    const replay = one.examples[exampleKey(1, 0)]!.replay;
    const clip = one.examples[exampleKey(1, 0)]!.clip;
    if (replay.status !== "ready" || clip?.status !== "ready") throw new Error("the first example should embed");
    // Room for two replay windows and one clip, not three windows or two clips.
    const budget = clip.data_url.length + replay.events_json.length * 2 + 10;
    const reads: string[] = [];
    const data = await loadReportPageData(manyExamples(4), await runtime(reads), { maxEmbeddedBytes: budget, concurrency: 3 });
    expect([0, 1, 2, 3].map((i) => data.examples[exampleKey(1, i)]!.replay.status)).toEqual(["ready", "ready", "not_embedded", "not_embedded"]);
    expect(data.examples[exampleKey(1, 3)]!.replay).toEqual({ status: "not_embedded", reason: `the page's ${Math.round(budget / 1024)} KB budget for replays and clips is used up` });
    expect([0, 1, 2, 3].map((i) => data.examples[exampleKey(1, i)]!.clip?.status)).toEqual(["ready", "not_embedded", "not_embedded", "not_embedded"]);
    // Pattern 2 shares pattern 1's first, embedded moment: no bytes more.
    expect(data.examples[exampleKey(2, 0)]!.replay.status).toBe("ready");
    expect(data.examples[exampleKey(2, 0)]!.clip?.status).toBe("not_embedded");
    expect(embeddedBytes(data)).toBeLessThanOrEqual(budget);
    expect(reads).toHaveLength(4);
  });

  it("leaves out a replay window too large to embed, saying so", async () => {
    const data = await loadReportPageData(report, await runtime(), { maxReplayBytes: 100 });
    expect(data.examples[exampleKey(1, 0)]!.replay).toEqual({ status: "unavailable", reason: expect.stringMatching(/^the replay window is too large to embed/) });
  });
});

describe("renderReportPage", () => {
  it("escapes report text, embeds replays inertly, and lets only its own scripts run", async () => {
    const data = await loadReportPageData(report, await runtime());
    const html = renderReportPage(data, { nonce: "test-nonce" });
    // The only `<script` tags are the page's: config, replay data, rrweb and the page script.
    const tags = html.match(/<script[^>]*>/g) ?? [];
    expect(tags).toEqual(['<script type="application/json" id="page-config">', '<script type="application/json" id="replay-events-1">', '<script nonce="test-nonce">', '<script nonce="test-nonce">']);
    expect(html).not.toContain("window.__pwned=1</script>");
    expect(html).toContain("&lt;/script&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;!--");
    expect(html).toContain(`content="${contentSecurityPolicy("test-nonce", false).replace(/'/g, "&#39;")}"`);
    expect(html).toContain("Replay unavailable: the recording could not be read");
    expect(html).toContain("Clip unavailable: the clip is not in the blob store");
    // Blob keys are the tool's bookkeeping, never shown.
    expect(html).not.toContain("local/clips/missing");
    expect(html).toContain('src="data:video/mp4;base64,');
    expect(html).not.toContain('id="page-chat"');
    // Patterns: critical first.
    expect(html.indexOf('id="pattern-p-2"')).toBeLessThan(html.indexOf('id="pattern-p-1"'));
  });

  it("labels the clip's speed buttons in real time from the speed the check recorded", () => {
    const x = example("s1", "local/clips/good");
    const withSpeed = { ...x, validation: { ...x.validation!, clip_speed: 2 } };
    const clip = { status: "ready" as const, mime: "video/mp4", bytes: 4, data_url: "data:video/mp4;base64,AAAA" };
    const page = (examples: ReportPattern["examples"]) =>
      renderReportPage(
        {
          report: ReportSchema.parse({ ...report, patterns: [pattern(1, "high", 0.5, 1, examples)] }),
          sessions: [],
          examples: { [exampleKey(1, 0)]: { replay: { status: "unavailable", reason: "r" }, clip } },
        } as ReportPageData,
        { nonce: "n" },
      );
    const html = page([withSpeed]);
    const buttons = [...html.matchAll(/<button type="button" class="clip-rate" data-rate="([^"]+)" aria-pressed="(true|false)">([^<]+)<\/button>/g)].map((m) => [Number(m[1]), m[2], m[3]]);
    // The encoded clip plays at 2x real time: pressed by default at playbackRate 1; real time is playbackRate 0.5.
    expect(buttons).toEqual([
      [0.25, "false", "0.5x real time"],
      [0.5, "false", "1x real time"],
      [1, "true", "2x real time"],
      [2, "false", "4x real time"],
      [4, "false", "8x real time"],
    ]);
    expect(html).toContain("The clip the replay check looked at, sped up to 2x real time.");
    // Without a recorded speed nothing claims to know real time.
    const unknown = page([x]);
    expect(unknown).not.toContain("real time");
    expect(unknown).toContain('aria-pressed="true">1x</button>');
  });

  it("inlines replay JSON made elsewhere safely too", () => {
    const events_json = JSON.stringify([{ text: SCRIPT, line: "a\u2028b" }]);
    const data: ReportPageData = {
      report: ReportSchema.parse({ ...report, patterns: [pattern(1, "high", 0.5, 1, [example("s1")])] }),
      sessions: [],
      examples: { [exampleKey(1, 0)]: { replay: { status: "ready", window_id: "w1", start_ms: 0, moment_ms: 0, end_ms: 0, events_json, stripped: [] } } },
    };
    const html = renderReportPage(data, { nonce: "n" });
    const block = /<script type="application\/json" id="replay-events-1">([^<]*)<\/script>/.exec(html);
    expect(block).not.toBeNull();
    expect(JSON.parse(block![1]!)).toEqual([{ text: SCRIPT, line: "a\u2028b" }]);
    expect(block![1]).not.toContain("\u2028");
  });

  it("adds the chat panel and lets the page reach its own origin when served", () => {
    const html = renderReportPage({ report, sessions: [], examples: {} }, { served: { reportId: "r1", apiBase: "/api", chat: true }, nonce: "n" });
    expect(html).toContain('id="page-chat"');
    expect(html).toContain('<label for="chat-input">');
    expect(html).toContain("connect-src &#39;self&#39;");
    expect(html).toContain('"served":{"report_id":"r1","api_base":"/api","chat":true}');
    expect(contentSecurityPolicy("n", false)).toContain("connect-src 'none'");
  });
});

describe("a pattern slug that is also an id of the page", () => {
  const slugs = [...PAGE_ELEMENT_IDS, "x", "pattern-x", "session-s1", "example-1-0", "replay-events-1", "fine-slug"];
  const colliding = ReportSchema.parse({
    ...report,
    patterns: slugs.map((slug, i) => ({ ...pattern(i + 1, "medium", 0.5, 2, i === 0 ? [example("s1")] : []), slug, name: slug })),
    dropped_patterns: [{ name: "Left out one", reason: "low severity" }],
  });

  it("gets no alias anchor: every id on the page is unique, and the page's own elements keep theirs", async () => {
    const data = await loadReportPageData(colliding, await runtime());
    const html = renderReportPage(data, { served: { reportId: "r1", apiBase: "/api", chat: true }, nonce: "n" });
    const ids = [...html.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]!);
    const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(duplicates).toEqual([]);
    for (const id of PAGE_ELEMENT_IDS) expect(ids).toContain(id);
    expect(html).toContain('<script type="application/json" id="page-config">');
    const aliases = [...html.matchAll(/<span id="([^"]*)" class="alias-anchor">/g)].map((m) => m[1]);
    expect(aliases.sort()).toEqual(["fine-slug", "x"]);
    expect(aliasAnchors(rankPatterns(colliding.patterns), data.sessions).size).toBe(2);
  });
});

describe("ReportPageCache", () => {
  const dataOf = (r: Report, bytes = 0): ReportPageData => ({
    report: r,
    sessions: [],
    examples: bytes ? { [exampleKey(1, 0)]: { replay: { status: "ready", window_id: "w", start_ms: 0, moment_ms: 0, end_ms: 0, events_json: "x".repeat(bytes), stripped: [] } } } : {},
  });
  const reportNamed = (id: string, created_at = report.created_at) => ({ ...report, id, created_at });

  it("loads a page once, shares a load in flight, and loads again when the report changes", async () => {
    const cache = new ReportPageCache();
    let loads = 0;
    const load = (r: Report) => async () => {
      loads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return dataOf(r);
    };
    const a = reportNamed("a");
    const [first, second] = await Promise.all([cache.get("p", a, load(a)), cache.get("p", a, load(a))]);
    expect(second).toBe(first);
    expect(await cache.get("p", a, load(a))).toBe(first);
    expect(loads).toBe(1);
    // Another project's report of the same id is another page.
    await cache.get("q", a, load(a));
    expect(loads).toBe(2);
    const remade = reportNamed("a", "2026-11-23T00:00:00.000Z");
    expect((await cache.get("p", remade, load(remade))).report.created_at).toBe("2026-11-23T00:00:00.000Z");
    expect(loads).toBe(3);
  });

  it("keeps at most maxEntries pages and maxBytes of media, least recently used out first; a failed load is not kept", async () => {
    const cache = new ReportPageCache({ maxEntries: 3, maxBytes: 950 });
    for (const id of ["a", "b", "c"]) await cache.get("p", reportNamed(id), async () => dataOf(reportNamed(id), 100));
    await cache.get("p", reportNamed("a"), async () => dataOf(reportNamed("a")));
    await cache.get("p", reportNamed("d"), async () => dataOf(reportNamed("d"), 100));
    expect(cache.keys()).toEqual(['["p","c"]', '["p","a"]', '["p","d"]']);
    await cache.get("p", reportNamed("big"), async () => dataOf(reportNamed("big"), 900));
    expect(cache.keys()).toEqual(['["p","big"]']);
    await expect(cache.get("p", reportNamed("bad"), async () => Promise.reject(new Error("no")))).rejects.toThrow("no");
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(cache.keys()).toEqual(['["p","big"]']);
  });
});

describe("page helpers", () => {
  it("ranks patterns by severity, then share of sessions", () => {
    const ranked = rankPatterns([pattern(1, "low", 0.9, 9), pattern(2, "high", 0.1, 1), pattern(3, "high", 0.3, 3), pattern(4, "critical", 0.05, 1), pattern(5, "high", 0.3, 4)]);
    expect(ranked.map((p) => p.id)).toEqual([4, 5, 3, 2, 1]);
  });

  it("writes JSON that cannot close its script block and reads back the same", () => {
    const value = { text: SCRIPT, line: "a\u2028b", nested: ["<!--", "</SCRIPT >"] };
    const json = jsonForScript(value);
    expect(json).not.toMatch(/</);
    expect(JSON.parse(json)).toEqual(value);
  });

  it("filters patterns by severity, blocking and validated", () => {
    const all = { severities: new Set(["critical", "high"]), blockingOnly: false, validatedOnly: false };
    expect(patternVisible({ severity: "high", blocking: false, validated: false }, all)).toBe(true);
    expect(patternVisible({ severity: "low", blocking: true, validated: true }, all)).toBe(false);
    expect(patternVisible({ severity: "high", blocking: false, validated: true }, { ...all, blockingOnly: true })).toBe(false);
    expect(patternVisible({ severity: "high", blocking: true, validated: false }, { ...all, validatedOnly: true })).toBe(false);
    expect(patternVisible({ severity: "high", blocking: true, validated: true }, { ...all, blockingOnly: true, validatedOnly: true })).toBe(true);
  });

  it("reads chat payload text whether a string or { content }", () => {
    expect(textOf("hi")).toBe("hi");
    expect(textOf({ content: "from content" })).toBe("from content");
    expect(textOf({ text: "from text" })).toBe("from text");
    expect(textOf(undefined)).toBe("");
    expect(textOf({ other: 1 })).toBe('{"other":1}');
  });

  it("reads what a fragment points at", () => {
    expect(parseFragment("#pattern-cart-fails")).toEqual({ kind: "pattern", id: "pattern-cart-fails" });
    expect(parseFragment("#replay-3-1")).toEqual({ kind: "replay", id: "example-3-1" });
    expect(parseFragment("#example-3-1")).toEqual({ kind: "example", id: "example-3-1" });
    expect(parseFragment("#cart-fails")).toEqual({ kind: "element", id: "cart-fails" });
    expect(parseFragment("#%E0%A4%A")).toBeUndefined();
    expect(parseFragment("")).toBeUndefined();
  });
});

describe("SseParser", () => {
  const stream =
    ': stream open\n\nevent: token\ndata: {"text":"Hel"}\n\nevent: token\r\ndata: {"text":"lo"}\r\n\r\nevent: final\ndata: {"message":\ndata: "two lines"}\n\n: heartbeat\n\nevent: error\ndata: {"message":"unfinished"}';
  const expected = [
    { event: "token", data: '{"text":"Hel"}' },
    { event: "token", data: '{"text":"lo"}' },
    { event: "final", data: '{"message":\n"two lines"}' },
  ];

  it("parses events in one chunk, skipping comments and an unfinished last event", () => {
    const parser = new SseParser();
    expect(parser.push(stream)).toEqual(expected);
    expect(parser.end()).toEqual([]);
  });

  it("gives the same events however the stream is cut", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const parser = new SseParser();
      expect([...parser.push(stream.slice(0, cut)), ...parser.push(stream.slice(cut))]).toEqual(expected);
    }
    const parser = new SseParser();
    expect(Array.from(stream).flatMap((char) => parser.push(char))).toEqual(expected);
  });
});
