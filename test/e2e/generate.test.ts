import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import path from "node:path";
import { EventType, IncrementalSource, NodeType } from "@rrweb/types";
import type { eventWithTime } from "@rrweb/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGenerate } from "../../src/cli/generate.ts";
import type { AnalyticsEvent } from "../../src/domain/events.ts";
import { ISSUE_TRIGGER_EVENTS, LabelsSchema } from "../../src/domain/labels.ts";
import type { Labels, LabelledIssue } from "../../src/domain/labels.ts";
import type { WindowedEvent } from "../../src/domain/recording.ts";
import { ReadWarnings } from "../../src/domain/warnings.ts";
import { extractClipFromFile } from "../../src/replay/clip.ts";
import { computeRecordingMetadata } from "../../src/replay/metadata.ts";
import { launchChromium } from "../../src/render/browser.ts";
import { PlayerServer } from "../../src/render/player-server.ts";
import { ReplaySession } from "../../src/render/replay.ts";
import { readRecording } from "../../src/replay/reader.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";

/*
 * The scripted-users generator end to end: the demo shop, the real posthog-js in Debian's Chromium,
 * the capture server, finalizing, labels. Three short sessions run at once: a happy path, the
 * blocking "Place order" exception, and the search that answers 500. Then the dataset is read back
 * with the project's own readers and every label is checked against the events it points at.
 */

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../.artifacts", import.meta.url));
const PERSONAS = ["happy-buyer:one-product", "place-order-exception:retries", "search-failure:gives-up"];

interface LoadedSession {
  id: string;
  events: AnalyticsEvent[];
  recording: WindowedEvent[];
  eventWarnings: ReadWarnings;
  recordingWarnings: ReadWarnings;
}

describe("generate: scripted users on the demo shop", () => {
  let out: string;
  let exitCode: number;
  const progress: string[] = [];
  let labels: Labels;
  const sessions = new Map<string, LoadedSession>();
  let source: DatasetSource;

  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), "generate-e2e-"));
    exitCode = await runGenerate({ out, sessions: 3, seed: 7, concurrency: 3, personas: PERSONAS, short: true, onProgress: (line) => progress.push(line) });
    labels = LabelsSchema.parse(JSON.parse(readFileSync(path.join(out, "labels.json"), "utf8")));
    source = new DatasetSource(out);
    for (const meta of await source.listSessions()) {
      const eventWarnings = new ReadWarnings();
      const recordingWarnings = new ReadWarnings();
      const events: AnalyticsEvent[] = [];
      for await (const event of source.streamEvents(meta.session_id, { warnings: eventWarnings })) events.push(event);
      const files = await source.sessionFiles(meta.session_id);
      const recording: WindowedEvent[] = [];
      for await (const item of readRecording(files.recording ?? "", { warnings: recordingWarnings })) recording.push(item);
      sessions.set(meta.session_id, { id: meta.session_id, events, recording, eventWarnings, recordingWarnings });
    }
  }, 150_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  const sessionOf = (persona: string): { id: string; issues: LabelledIssue[]; data: LoadedSession } => {
    const entry = Object.entries(labels.sessions).find(([, label]) => label.persona === persona);
    if (!entry) throw new Error(`no session of ${persona}`);
    const data = sessions.get(entry[0]);
    if (!data) throw new Error(`session ${entry[0]} is labelled but not in the dataset`);
    return { id: entry[0], issues: entry[1].issues, data };
  };

  it("records every session, reports progress, and labels each one", () => {
    expect(exitCode, progress.join("\n")).toBe(0);
    expect(progress.filter((line) => /^session \d\/3 /.test(line))).toHaveLength(3);
    expect(Object.keys(labels.sessions).sort()).toEqual([...sessions.keys()].sort());
    expect(
      Object.values(labels.sessions)
        .map((l) => `${l.persona} ${l.outcome}`)
        .sort(),
    ).toEqual(["happy-buyer success", "place-order-exception failure", "search-failure failure"]);
    expect(sessionOf("happy-buyer").issues).toEqual([]);
    expect(sessionOf("place-order-exception").issues.map((i) => i.kind)).toEqual(["blocking_exception", "abandonment"]);
    expect(sessionOf("search-failure").issues.map((i) => i.kind)).toEqual(["visible_api_failure", "abandonment"]);
  });

  it("writes gzipped files whose events parse without a warning", async () => {
    for (const session of sessions.values()) {
      const files = await source.sessionFiles(session.id);
      expect(files.events).toMatch(/events\.jsonl\.gz$/);
      expect(files.recording).toMatch(/recording\.jsonl\.gz$/);
      expect(session.eventWarnings.total, session.eventWarnings.summary().join("; ")).toBe(0);
      expect(session.recordingWarnings.total, session.recordingWarnings.summary().join("; ")).toBe(0);
      expect(session.events.every((e) => e.properties.$session_id === session.id)).toBe(true);
      const names = new Set(session.events.map((e) => e.event));
      for (const name of ["$pageview", "$autocapture", "$pageleave"]) expect(names, `${session.id} lacks ${name}`).toContain(name);
      const meta = await source.getMeta(session.id);
      const seconds = (Date.parse(meta.end) - Date.parse(meta.start)) / 1000;
      expect(seconds).toBeGreaterThanOrEqual(20);
      expect(seconds).toBeLessThanOrEqual(120);
    }
  });

  it("records a replayable recording: every window starts with Meta then a FullSnapshot of a document", async () => {
    for (const session of sessions.values()) {
      const byWindow = new Map<string, eventWithTime[]>();
      for (const { windowId, event } of session.recording) byWindow.set(windowId, [...(byWindow.get(windowId) ?? []), event]);
      expect(byWindow.size).toBeGreaterThanOrEqual(1);
      for (const [windowId, events] of byWindow) {
        const ordered = [...events].sort((a, b) => a.timestamp - b.timestamp);
        const firstSnapshot = ordered.findIndex((e) => e.type === EventType.FullSnapshot);
        const firstMeta = ordered.findIndex((e) => e.type === EventType.Meta);
        expect(firstMeta, windowId).toBeGreaterThanOrEqual(0);
        expect(firstSnapshot, windowId).toBeGreaterThan(firstMeta);
        const snapshot = ordered[firstSnapshot] as eventWithTime & { data: { node: { type: number } } };
        expect(snapshot.data.node.type).toBe(NodeType.Document);
      }
      const metadata = await computeRecordingMetadata(arrayStream(session.recording));
      expect(metadata.replayable).toBe(true);
      // One full snapshot per page load, each page a new document in the same tab.
      const pageviews = session.events.filter((e) => e.event === "$pageview").length;
      expect(metadata.fullSnapshots).toBeGreaterThanOrEqual(pageviews);
      expect(metadata.mutations).toBeGreaterThan(0);
      expect(metadata.clicks).toBeGreaterThan(0);
    }
  });

  it("puts every labelled issue next to its trigger event, away from the session's first and last 5 s", async () => {
    for (const [id, label] of Object.entries(labels.sessions)) {
      const session = sessions.get(id) as LoadedSession;
      const meta = await source.getMeta(id);
      for (const issue of label.issues) {
        const at = Date.parse(issue.timestamp);
        const trigger = session.events.find(
          (e) =>
            ISSUE_TRIGGER_EVENTS[issue.kind].includes(e.event) &&
            Math.abs(Date.parse(e.timestamp) - at) <= 2_000 &&
            (e.event !== "$autocapture" || ["click", "submit"].includes(e.properties.$event_type ?? "")),
        );
        expect(trigger, `${id} ${issue.kind} ${issue.pattern_key} at ${issue.timestamp}`).toBeDefined();
        expect(at).toBeGreaterThanOrEqual(Date.parse(meta.start) + 5_000);
        expect(at).toBeLessThanOrEqual(Date.parse(meta.end) - 5_000);
      }
    }
  });

  it("captures the blocking exception as the page threw it, on the Place order click", () => {
    const { issues, data } = sessionOf("place-order-exception");
    const blocking = issues.find((i) => i.kind === "blocking_exception") as LabelledIssue;
    const at = Date.parse(blocking.timestamp);
    const exception = data.events.find((e) => e.event === "$exception" && Math.abs(Date.parse(e.timestamp) - at) <= 2_000);
    expect(exception?.properties.$exception_list?.[0]).toMatchObject({ type: "TypeError", value: expect.stringContaining("'total'") });
    const click = data.events.find((e) => e.event === "$autocapture" && e.properties.$event_type === "click" && Math.abs(Date.parse(e.timestamp) - at) <= 500);
    expect(click?.properties.$elements_chain).toContain('attr__id="place-order"');
    // No order went through.
    expect(data.events.some((e) => e.event === "order completed")).toBe(false);
  });

  it("shows the search error banner in the recording when the search fails", () => {
    const { issues, data } = sessionOf("search-failure");
    const failure = issues.find((i) => i.kind === "visible_api_failure") as LabelledIssue;
    const at = Date.parse(failure.timestamp);
    const exception = data.events.find((e) => e.event === "$exception" && Date.parse(e.timestamp) >= at - 500);
    expect(exception?.properties.$exception_list?.[0]?.value).toMatch(/\/api\/search failed with 500/);
    const bannerShown = data.recording.some(
      ({ event }) =>
        event.timestamp >= at - 1_000 &&
        event.timestamp <= at + 10_000 &&
        (event.type === EventType.FullSnapshot || (event.type === EventType.IncrementalSnapshot && event.data.source === IncrementalSource.Mutation)) &&
        JSON.stringify(event.data).includes("Something went wrong."),
    );
    expect(bannerShown).toBe(true);
  });

  it("replays the failed search in Chromium: the banner is on screen at the labelled moment", async () => {
    const { id, issues } = sessionOf("search-failure");
    const at = Date.parse(issues.find((i) => i.kind === "visible_api_failure")!.timestamp);
    const files = await source.sessionFiles(id);
    const clip = await extractClipFromFile(files.recording!, { startMs: at - 7_000, endMs: at + 5_000 });
    const browser = await launchChromium({ executablePath: CHROMIUM });
    const player = await new PlayerServer().start();
    try {
      const window = clip.windows.find((w) => w.eventsInClip > 0)!;
      const replay = await ReplaySession.open(browser, player, window.events);
      try {
        await replay.seek(at - 1_000);
        expect(await replay.text()).not.toContain("Something went wrong");
        // The banner appears once the search request fails, shortly after the click.
        let shownAt: number | undefined;
        for (let t = at; t <= at + 5_000 && shownAt === undefined; t += 250) {
          await replay.seek(t);
          if ((await replay.text()).includes("Something went wrong")) shownAt = t;
        }
        expect(shownAt).toBeDefined();
        mkdirSync(ARTIFACTS, { recursive: true });
        writeFileSync(path.join(ARTIFACTS, "replay-generated-search-500.png"), await replay.screenshot());
        expect(replay.blocked.filter((b) => !b.url.startsWith("data:"))).toEqual([]);
      } finally {
        await replay.close();
      }
    } finally {
      await browser.close();
      await player.close();
    }
  }, 60_000);
});

async function* arrayStream<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}
