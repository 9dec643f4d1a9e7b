import path from "node:path";
import { fileURLToPath } from "node:url";
import { readFile, readdir, stat } from "node:fs/promises";
import { EventType } from "@rrweb/types";
import { describe, expect, it } from "vitest";
import { ISSUE_KINDS, LabelsSchema, SESSION_OUTCOMES } from "../../src/domain/labels.ts";
import { ReadWarnings } from "../../src/domain/warnings.ts";
import type { AnalyticsEvent } from "../../src/domain/events.ts";
import { findTrigger } from "../../src/generate/verify.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";

/** The committed datasets recorded by the generator, one per demo app, with the size each must have. */
const DATASETS = [
  { dir: "examples/dataset", app: "examples/shop", minSessions: 60 },
  { dir: "examples/campaigns-dataset", app: "examples/campaigns", minSessions: 44 },
];
/** A committed dataset stays small enough to clone without thinking about it. */
const MAX_DATASET_BYTES = 15 * 1024 * 1024;

async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? await bytesUnder(full) : (await stat(full)).size;
  }
  return total;
}

/** The committed, recorded datasets: read back with the project's own readers, every label checked. */
describe.each(DATASETS)("$dir", async ({ dir, app, minSessions }) => {
  const DATASET = fileURLToPath(new URL(`../../${dir}`, import.meta.url));
  const labels = LabelsSchema.parse(JSON.parse(await readFile(path.join(DATASET, "labels.json"), "utf8")));
  const source = new DatasetSource(DATASET);
  const metas = await source.listSessions();

  it(`has at least ${minSessions} labelled sessions of its app, a third or more happy, every issue kind in 3+ sessions, every outcome, at most 15 MB`, async () => {
    expect(metas.length).toBeGreaterThanOrEqual(minSessions);
    // Labels written before apps were a choice name the shop as `source.shop`.
    expect(labels.source?.app ?? labels.source?.shop).toBe(app);
    expect(await bytesUnder(DATASET)).toBeLessThanOrEqual(MAX_DATASET_BYTES);
    for (const outcome of SESSION_OUTCOMES)
      expect(
        Object.values(labels.sessions).some((l) => l.outcome === outcome),
        outcome,
      ).toBe(true);
    expect(Object.keys(labels.sessions).sort()).toEqual(metas.map((m) => m.session_id).sort());
    const happy = Object.values(labels.sessions).filter((l) => l.issues.length === 0);
    expect(happy.length / metas.length).toBeGreaterThanOrEqual(0.3);
    for (const kind of ISSUE_KINDS) {
      const sessions = Object.values(labels.sessions).filter((l) => l.issues.some((i) => i.kind === kind));
      expect(sessions.length, kind).toBeGreaterThanOrEqual(3);
    }
  });

  it("reads without a warning; recordings start each window with Meta and a FullSnapshot; labels sit next to their trigger events, away from the first and last 5 s", async () => {
    for (const meta of metas) {
      const warnings = new ReadWarnings();
      const events: AnalyticsEvent[] = [];
      for await (const event of source.streamEvents(meta.session_id, { warnings })) events.push(event);
      const firstTypes = new Map<string, EventType[]>();
      for await (const { windowId, event } of source.streamRecording(meta.session_id, { warnings })) {
        // DomContentLoaded and Load may come first; what must come first among snapshots is Meta, then FullSnapshot.
        if (event.type === EventType.DomContentLoaded || event.type === EventType.Load) continue;
        const types = firstTypes.get(windowId) ?? [];
        if (types.length < 2) types.push(event.type);
        firstTypes.set(windowId, types);
      }
      expect(warnings.total, `${meta.session_id}: ${warnings.summary().join("; ")}`).toBe(0);
      for (const [windowId, types] of firstTypes) expect(types, `${meta.session_id} ${windowId}`).toEqual([EventType.Meta, EventType.FullSnapshot]);
      const durationS = (Date.parse(meta.end) - Date.parse(meta.start)) / 1000;
      expect(durationS).toBeGreaterThanOrEqual(20);
      expect(durationS).toBeLessThanOrEqual(125);
      for (const issue of labels.sessions[meta.session_id]!.issues) {
        const at = Date.parse(issue.timestamp);
        expect(at - Date.parse(meta.start), `${meta.session_id} ${issue.kind}`).toBeGreaterThan(5_000);
        expect(Date.parse(meta.end) - at, `${meta.session_id} ${issue.kind}`).toBeGreaterThan(5_000);
        expect(findTrigger(issue, events), `${meta.session_id} ${issue.kind} at ${issue.timestamp}`).toBeDefined();
      }
    }
  }, 60_000);
});
