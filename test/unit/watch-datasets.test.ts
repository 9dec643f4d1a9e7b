import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MemorySaver } from "@langchain/langgraph";
import { beforeAll, describe, expect, it } from "vitest";
import { createPipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import type { Monitor, TrackedIssue } from "../../src/domain/monitor.ts";
import { ReportSchema, type Report } from "../../src/domain/report.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { fingerprintOf } from "../../src/watch/fingerprint.ts";
import { trackIssues } from "../../src/watch/issues.ts";

/*
 * Fingerprints on both committed datasets, with the offline pipeline run here (no report is
 * committed as a fixture): the sessions are released over three sweeps, each sweep's report is
 * matched to the issues of the sweeps before, and the issues are scored against the datasets'
 * labels (`pattern_key` per labelled problem): no labelled problem may become two issues, and no
 * issue may mix two problems.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATASETS = ["examples/dataset", "examples/campaigns-dataset"].filter((dir) => existsSync(`${ROOT}/${dir}/labels.json`));
const SWEEPS = 3;

interface Labels {
  sessions: Record<string, { issues: Array<{ kind: string; pattern_key?: string }> }>;
}

async function reportOf(dataset: string, ids?: string[]): Promise<Report> {
  const pipeline = await createPipeline({
    config: readConfig({}),
    source: new DatasetSource(dataset),
    blobs: new MemoryBlobStore(),
    checkpointer: new MemorySaver(),
    validation: "off",
  });
  try {
    const state = await pipeline.graph.invoke({ report_id: "r", title: "sweep", selection: ids ? { ids } : {} }, { configurable: { thread_id: "t" }, maxConcurrency: 8 });
    return ReportSchema.parse(await pipeline.runtime.blobs.getJson(state.report_key!));
  } finally {
    await pipeline.close();
  }
}

const monitor: Pick<Monitor, "id" | "project" | "resolve_after_sweeps" | "resolve_after_hours"> = { id: "m1", project: "p", resolve_after_sweeps: 3, resolve_after_hours: 0 };

describe.each(DATASETS)("issues over sweeps of %s", (dir) => {
  const dataset = `${ROOT}/${dir}`;
  const labels = JSON.parse(readFileSync(`${dataset}/labels.json`, "utf8")) as Labels;
  let full: Report;
  const sweeps: Array<{ ids: string[]; report: Report }> = [];
  let issues: TrackedIssue[] = [];
  /** Sessions counted per issue (fingerprint), over all sweeps. */
  const sessionsOf = new Map<string, Set<string>>();

  beforeAll(async () => {
    full = await reportOf(dataset);
    const sessions = (await new DatasetSource(dataset).listSessions()).sort((a, b) => a.start.localeCompare(b.start));
    const size = Math.ceil(sessions.length / SWEEPS);
    for (let i = 0; i < SWEEPS; i += 1) {
      const ids = sessions.slice(i * size, (i + 1) * size).map((s) => s.session_id);
      sweeps.push({ ids, report: await reportOf(dataset, ids) });
    }
    let nextId = 1;
    for (const [i, { ids, report }] of sweeps.entries()) {
      const result = trackIssues({ monitor, existing: issues, patterns: report.patterns, report_id: `sweep-${i}`, sweepAt: new Date(Date.UTC(2026, 11, 1, i)), sessionsInSweep: ids });
      const byFingerprint = new Map(issues.map((issue) => [issue.fingerprint, issue]));
      for (const issue of result.issues) byFingerprint.set(issue.fingerprint, issue.id === 0 ? { ...issue, id: nextId++ } : issue);
      issues = [...byFingerprint.values()];
      for (const pattern of report.patterns) {
        const fingerprint = fingerprintOf({ examples: pattern.examples });
        const set = sessionsOf.get(fingerprint) ?? new Set<string>();
        for (const example of pattern.examples) set.add(example.session_id);
        sessionsOf.set(fingerprint, set);
      }
    }
  }, 180_000);

  const labelledKeys = (sessionId: string): string[] => (labels.sessions[sessionId]?.issues ?? []).flatMap((issue) => (issue.pattern_key ? [issue.pattern_key] : []));

  /** The labelled problem most of an issue's sessions carry. */
  function problemOf(fingerprint: string): string | undefined {
    const counts = new Map<string, number>();
    for (const id of sessionsOf.get(fingerprint) ?? []) for (const key of new Set(labelledKeys(id))) counts.set(key, (counts.get(key) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
  }

  it("gives every pattern of one report its own fingerprint", () => {
    const fingerprints = full.patterns.map((pattern) => fingerprintOf(pattern));
    expect(full.patterns.length).toBeGreaterThanOrEqual(5);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
  });

  it("is deterministic: examples in another order give the same fingerprint", () => {
    for (const pattern of full.patterns) expect(fingerprintOf({ examples: [...pattern.examples].reverse() })).toBe(fingerprintOf(pattern));
  });

  it("keeps each labelled problem one issue across sweeps (no duplicates), and each issue one problem", () => {
    expect(sweeps.every(({ report }) => report.patterns.length > 0)).toBe(true);
    const problems = issues.map((issue) => problemOf(issue.fingerprint));
    expect(problems.every((problem) => problem !== undefined)).toBe(true);
    // No labelled problem split over two issues.
    expect(new Set(problems).size).toBe(problems.length);
    // Every issue's sessions are mostly of its problem.
    for (const issue of issues) {
      const sessions = [...sessionsOf.get(issue.fingerprint)!];
      const ofProblem = sessions.filter((id) => labelledKeys(id).includes(problemOf(issue.fingerprint)!)).length;
      expect(ofProblem / sessions.length, issue.title).toBeGreaterThanOrEqual(0.75);
    }
  });

  it("matches a problem seen in several sweeps to the issue of its first sweep, and finds no problem a report over all sessions lacks", () => {
    // Problems the report over all sessions found, by the labels of its patterns' sessions.
    const fullProblems = new Set(
      full.patterns.map((pattern) => {
        const counts = new Map<string, number>();
        for (const example of pattern.examples) for (const key of new Set(labelledKeys(example.session_id))) counts.set(key, (counts.get(key) ?? 0) + 1);
        return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
      }),
    );
    for (const issue of issues) expect(fullProblems.has(problemOf(issue.fingerprint)), issue.title).toBe(true);
    const seenInSweeps = new Map<string, number>();
    for (const { report } of sweeps)
      for (const fingerprint of new Set(report.patterns.map((pattern) => fingerprintOf(pattern)))) seenInSweeps.set(fingerprint, (seenInSweeps.get(fingerprint) ?? 0) + 1);
    expect(Math.max(...seenInSweeps.values())).toBeGreaterThanOrEqual(2);
    expect(issues.length).toBe(seenInSweeps.size);
  });

  it("counts each session once per issue over the sweeps", () => {
    for (const issue of issues) expect(issue.sessions_total).toBe(sessionsOf.get(issue.fingerprint)!.size);
  });
});
