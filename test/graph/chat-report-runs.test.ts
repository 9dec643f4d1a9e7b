import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline, type Pipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import { TooManyRunsError } from "../../src/service/errors.ts";
import { ReportRuns, reportThreadId, type ReportRunStatus } from "../../src/service/report-runs.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { createCheckpointer, type Checkpointer } from "../../src/store/checkpointer.ts";
import { FilesystemBlobStore } from "../../src/store/filesystem-blob-store.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATASET = path.join(ROOT, "examples/dataset");
const config = readConfig({});
const REQUEST = { title: "Errors", selection: { has_exception: true, limit: 4 } };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ss-runs-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Report runs for projects `a` and `b` over one SQLite checkpointer and one blob directory, as the server has them. */
async function open(maxRunsPerProject = 2) {
  const checkpointer: Checkpointer = await createCheckpointer({ kind: "sqlite", file: path.join(dir, "checkpoints.sqlite") });
  const blobs = new FilesystemBlobStore(path.join(dir, "blobs"));
  const pipelines = new Map<string, Promise<Pipeline>>();
  const pipelineFor = (project: string) => {
    if (!pipelines.has(project)) pipelines.set(project, createPipeline({ config, source: new DatasetSource(DATASET), project, blobs, checkpointer: checkpointer.saver, validation: "off" }));
    return pipelines.get(project)!;
  };
  const runs = new ReportRuns({ pipelineFor, maxRunsPerProject });
  return {
    runs,
    async close() {
      await runs.close();
      for (const pipeline of pipelines.values()) await (await pipeline).close();
      await checkpointer.close();
      await blobs.close();
    },
  };
}

async function settled(runs: ReportRuns, project: string, reportId: string): Promise<ReportRunStatus> {
  for (;;) {
    const status = await runs.status(project, reportId);
    if (status?.status !== "running") return status!;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("ReportRuns", () => {
  it("namespaces report threads by project", () => {
    expect(reportThreadId("a", "r1")).not.toBe(reportThreadId("b", "r1"));
    expect(reportThreadId("a:b", "c")).not.toBe(reportThreadId("a", "b:c"));
  });

  it("refuses a run beyond the project's limit, in the background and for a chat's report, and not for other projects", async () => {
    const { runs, close } = await open(1);
    try {
      const started = runs.start("a", REQUEST);
      expect(started).toMatchObject({ status: "running", progress: { stage: "starting", message: "Starting", sessions_done: 0 } });
      expect(() => runs.start("a", REQUEST)).toThrow(TooManyRunsError);
      expect(() => runs.admit("a", "report-of-a-chat")).toThrow(expect.objectContaining({ code: "too_many_runs", message: expect.stringContaining('project "a" already has 1 report run under way') }));
      const other = runs.start("b", { ...REQUEST, selection: { limit: 2 } });
      const done = await settled(runs, "a", started.report_id);
      expect(done).toMatchObject({ status: "done", progress: { stage: "done", sessions_total: 4, sessions_done: 4, message: expect.stringMatching(/^Report ready: \d+ pattern/) } });
      expect(done.finished_at).toBeDefined();
      expect(await settled(runs, "b", other.report_id)).toMatchObject({ status: "done", progress: { sessions_done: 2 } });
      // The slot is free again; a chat's report holds it until released.
      const release = runs.admit("a", "report-of-a-chat");
      expect(runs.running("a")).toBe(1);
      expect(await runs.status("a", "report-of-a-chat")).toMatchObject({ status: "running" });
      expect(() => runs.start("a", REQUEST)).toThrow(TooManyRunsError);
      release();
      expect(runs.running("a")).toBe(0);
      const again = runs.start("a", { ...REQUEST, selection: { limit: 1 } });
      expect((await runs.getReport("a", (await settled(runs, "a", again.report_id)).report_id))?.id).toBe(again.report_id);
    } finally {
      await close();
    }
  });

  it("counts a run's progress; a failed run reports its error", async () => {
    const { runs, close } = await open();
    try {
      const started = runs.start("a", REQUEST);
      const messages = new Set<string>();
      for (let status = await runs.status("a", started.report_id); status?.status === "running"; status = await runs.status("a", started.report_id)) {
        messages.add(status.progress.message);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const report = (await runs.getReport("a", started.report_id))!;
      expect([...messages].some((m) => /^(Starting|Watching sessions \d\/4|Extracting patterns|Combining patterns|Assigning examples|Writing the report)/.test(m))).toBe(true);
      expect((await runs.status("a", started.report_id))!.progress.message).toBe(`Report ready: ${report.patterns.length} pattern${report.patterns.length === 1 ? "" : "s"}`);

      const failed = runs.start("a", { title: "Nothing", selection: { ids: ["no-such-session"] } });
      expect(await settled(runs, "a", failed.report_id)).toMatchObject({ status: "failed", error: { code: "session_not_found" } });
    } finally {
      await close();
    }
  });

  it("finds finished and stopped runs after a restart, only in their own project", async () => {
    const first = await open();
    let finished: string;
    let stopped: string;
    try {
      finished = first.runs.start("a", REQUEST).report_id;
      await settled(first.runs, "a", finished);
      stopped = first.runs.start("a", { title: "Stopped", selection: { limit: 30 } }).report_id;
      for (;;) {
        const status = await first.runs.status("a", stopped);
        if ((status?.progress.sessions_done ?? 0) >= 3) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      // Closing stops the run under way, as a server shutting down does.
      await first.close();
    }

    const second = await open();
    try {
      const done = await second.runs.status("a", finished);
      expect(done).toMatchObject({ report_id: finished, status: "done", progress: { stage: "done", sessions_total: 4, sessions_done: 4 } });
      expect((await second.runs.getReport("a", finished))?.id).toBe(finished);
      expect(await second.runs.status("a", stopped)).toMatchObject({ status: "failed", error: { code: "interrupted" } });
      expect(await second.runs.status("a", "report-unknown")).toBeUndefined();
      expect(await second.runs.status("a", "")).toBeUndefined();
      // Project b shares the stores but cannot see a's runs or reports.
      expect(await second.runs.status("b", finished)).toBeUndefined();
      expect(await second.runs.getReport("b", finished)).toBeUndefined();
      expect(await second.runs.status("b", stopped)).toBeUndefined();
    } finally {
      await second.close();
    }
  });

  it("close() aborts the runs under way and refuses new ones", async () => {
    const { runs, close } = await open();
    const started = runs.start("a", { title: "Long", selection: { limit: 40 } });
    await close();
    expect(await runs.status("a", started.report_id)).toMatchObject({ status: "failed", error: { code: "aborted", message: "the report service is shutting down" } });
    expect(() => runs.start("a", REQUEST)).toThrow(expect.objectContaining({ code: "closed" }));
  });
});
