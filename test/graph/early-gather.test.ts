import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MemorySaver } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import type { RunEvent } from "../../src/domain/progress.ts";
import { ReportSchema } from "../../src/domain/report.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { cloneDataset } from "../fixtures/clone-dataset.ts";
import { ScriptedChatModel, type ScriptedCall } from "../fakes/scripted-model.ts";
import { assignmentsFromPrompt, assignmentsYaml, eventIdsIn, eventRowsIn, extractAssignYamlFromPrompt, patternsYaml, purposeOf, scriptByPurpose, summaryYamlFromPrompt } from "../fakes/responses.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SESSIONS = 20;
/** How long the straggler would hold the run if the gather waited for it (the test would then fail, not hang). */
const STRAGGLER_FALLBACK_MS = 20_000;
let dataset: string;

beforeAll(async () => {
  dataset = await mkdtemp(path.join(tmpdir(), "ss-early-gather-"));
  await cloneDataset(path.join(ROOT, "examples/dataset"), dataset, SESSIONS);
});
afterAll(async () => {
  await rm(dataset, { recursive: true, force: true });
});

const PATTERNS = [{ pattern_id: 1, pattern_name: "Errors and clicks nothing answered", severity: "high" as const }];

describe("an early gather", () => {
  it("goes on without a straggler, which joins at assignment and is on the report like any session", async () => {
    const calls: ScriptedCall[] = [];
    let stragglerPrompt: string | undefined;
    let releaseStraggler!: () => void;
    const stragglerReleased = new Promise<void>((resolve) => {
      releaseStraggler = resolve;
      setTimeout(resolve, STRAGGLER_FALLBACK_MS).unref();
    });
    let extractedBeforeStragglerAnswered = false;
    let stragglerAnswered = false;
    const script = scriptByPurpose({
      summarize: async (call) => {
        // The first session with pattern evidence (a click nothing answered: confusion) is the straggler; its answer
        // waits for the pattern stage. (An exception alone is flagged non-blocking: no evidence, never assigned.)
        const flagged = eventRowsIn(call.human).some((row) => row.event === "$dead_click" || row.event === "$rageclick");
        if (flagged && stragglerPrompt === undefined) {
          stragglerPrompt = call.human;
          await stragglerReleased;
          stragglerAnswered = true;
        }
        return summaryYamlFromPrompt(call.human);
      },
      extract: () => {
        extractedBeforeStragglerAnswered = !stragglerAnswered;
        releaseStraggler();
        return patternsYaml(PATTERNS);
      },
      extract_assign: (call) => {
        extractedBeforeStragglerAnswered = !stragglerAnswered;
        releaseStraggler();
        return extractAssignYamlFromPrompt(call.human, PATTERNS);
      },
      assign: (call) => assignmentsYaml(assignmentsFromPrompt(call.human)),
    });
    const pipeline = await createPipeline({
      config: readConfig({ OPENAI_API_KEY: "unused", SESSION_SUMMARIES_VALIDATE: "off", SESSION_SUMMARIES_TRIAGE: "off" }),
      source: new DatasetSource(dataset),
      blobs: new MemoryBlobStore(),
      checkpointer: new MemorySaver(),
      settings: { earlyGather: { readyRatio: 0.9, graceMs: 50 } },
      models: { factory: ({ role }) => new ScriptedChatModel({ script, role, log: calls }) },
    });
    try {
      const events: RunEvent[] = [];
      const stream = await pipeline.graph.stream(
        { report_id: "r", title: "Early gather", selection: {} },
        { configurable: { thread_id: "t" }, maxConcurrency: SESSIONS, streamMode: ["custom"], subgraphs: true },
      );
      for await (const [, , event] of stream as AsyncIterable<[string[], string, RunEvent]>) events.push(event);
      const state = (await pipeline.graph.getState({ configurable: { thread_id: "t" } })).values;
      const report = ReportSchema.parse(await pipeline.runtime.blobs.getJson(state.report_key));

      expect(stragglerPrompt).toBeDefined();
      expect(extractedBeforeStragglerAnswered).toBe(true);
      const stragglerIds = eventIdsIn(stragglerPrompt!);
      // The pattern stage read every session but the straggler; assignment read the straggler.
      const patternCalls = calls.filter((c) => ["extract", "extract_assign"].includes(purposeOf(c.messages)));
      const assignCalls = calls.filter((c) => purposeOf(c.messages) === "assign");
      expect(patternCalls).toHaveLength(1);
      expect(stragglerIds.some((id) => patternCalls[0]!.human.includes(id))).toBe(false);
      expect(assignCalls.some((c) => stragglerIds.some((id) => c.human.includes(id)))).toBe(true);
      // Said done once each; the straggler after extraction began, and then summarized like any other.
      const done = events.filter((e) => e.kind === "session_done");
      expect(new Set(done.map((e) => e.session_id)).size).toBe(SESSIONS);
      expect(done).toHaveLength(SESSIONS);
      const extracting = events.findIndex((e) => e.kind === "stage" && e.stage === "extracting");
      const lateDone = events.filter((e, i) => e.kind === "session_done" && i > extracting);
      expect(lateDone).toHaveLength(1);
      const stragglerId = (lateDone[0] as { session_id: string }).session_id;
      expect(report.sessions.summarized).toHaveLength(SESSIONS);
      expect(report.sessions.summarized).toContain(stragglerId);
      expect(state.session_results.filter((r: { status: string }) => r.status !== "summarized")).toEqual([]);
      expect(report.patterns.flatMap((p) => p.examples.map((e) => e.session_id))).toContain(stragglerId);
    } finally {
      await pipeline.close();
    }
  }, 60_000);
});
