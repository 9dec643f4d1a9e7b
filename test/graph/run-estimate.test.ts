import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config/env.ts";
import { runSummarize } from "../../src/cli/summarize.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { ScriptedChatModel } from "../fakes/scripted-model.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DATASET = path.join(ROOT, "examples/dataset");

describe("summarize --dry-run: the estimate before a run", () => {
  it("offline: the sessions it would take, no model calls, $0.00, and nothing run", async () => {
    const lines: string[] = [];
    const code = await runSummarize({
      dataset: DATASET,
      selection: { has_exception: true },
      dryRun: true,
      out_stream: (line) => lines.push(line),
      config: readConfig({}),
      pipeline: { blobs: new MemoryBlobStore() },
    });
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Estimate \(nothing was run\): \d+ sessions: offline analyst, no model calls, \$0\.00$/);
  });

  it("with models: calls, tokens and dollars at the configured prices; a model without a price is named", async () => {
    const lines: string[] = [];
    const never = new ScriptedChatModel({ script: () => ({ error: new Error("a dry run must not call the model") }) });
    const config = readConfig({ OPENAI_API_KEY: "unused", SESSION_SUMMARIES_PRICES: JSON.stringify({ "openai:gpt-4.1-mini": { input: 1, output: 10 } }) });
    const code = await runSummarize({
      dataset: DATASET,
      selection: { limit: 10 },
      dryRun: true,
      out_stream: (line) => lines.push(line),
      config,
      pipeline: { blobs: new MemoryBlobStore(), models: { factory: () => never } },
    });
    expect(code).toBe(0);
    // 10 summaries, one extraction and one assignment call; 10 × 8000 input tokens at $1/M and 10 × 800 output at $10/M and more.
    const match = /^Estimate \(nothing was run\): 10 sessions: about (\d+) model calls, (\d+) input and (\d+) output tokens, \$(\d+\.\d\d)/.exec(lines[0] ?? "");
    expect(match, lines[0]).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(12);
    expect(Number(match![4])).toBeGreaterThan(0.15);

    const unpriced = readConfig({ OPENAI_API_KEY: "unused", SESSION_SUMMARIES_SUMMARIZER: "openai:my-finetune" });
    const more: string[] = [];
    await runSummarize({
      dataset: DATASET,
      selection: { limit: 2 },
      dryRun: true,
      out_stream: (line) => more.push(line),
      config: unpriced,
      pipeline: { blobs: new MemoryBlobStore(), models: { factory: () => never } },
    });
    expect(more[0]).toMatch(/no price for openai:my-finetune: counted as \$0/);
  });

  it("a price table that is not JSON is refused, naming the setting", async () => {
    const config = readConfig({ SESSION_SUMMARIES_PRICES: "{gpt: cheap}" });
    const lines: string[] = [];
    await expect(runSummarize({ dataset: DATASET, selection: {}, dryRun: true, out_stream: (line) => lines.push(line), config, pipeline: { blobs: new MemoryBlobStore() } })).rejects.toThrow(
      /SESSION_SUMMARIES_PRICES is not JSON/,
    );
  });
});
