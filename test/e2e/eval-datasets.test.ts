import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runEval } from "../../src/cli/eval.ts";
import { readConfig } from "../../src/config/env.ts";

/**
 * The published figures, asserted: `eval <dataset> --json` as a user runs it (offline analyst,
 * replay checks at their default, a fresh data directory so no cached summary is reused), on each
 * committed labelled dataset, against the targets of the README's Evaluation section.
 *
 * One row per dataset. Every dataset meets the same targets: a threshold that holds on one app
 * only would be a rule tuned to that app.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface DatasetRow {
  /** How the README's table names it. */
  name: string;
  dir: string;
}

const DATASETS: readonly DatasetRow[] = [
  { name: "demo shop (seed 7)", dir: path.join(ROOT, "examples/dataset") },
  { name: "Postbird, the campaign SaaS (seed 7)", dir: path.join(ROOT, "examples/campaigns-dataset") },
];

/** The targets every dataset must meet; figures are the `--json` line's. */
const TARGETS = {
  atLeast: {
    blocking_precision: 0.95,
    blocking_recall: 0.95,
    confusion_precision: 0.8,
    dead_click_precision: 0.9,
    abandonment_precision: 0.8,
    abandonment_recall: 0.8,
    pattern_precision: 0.9,
    outcome_accuracy: 0.9,
  },
  atMost: {
    false_blocking_rate: 0.05,
    duplicate_patterns: 0,
  },
} as const;

/** Each dataset's full run: 64 sessions with replay checks take about a minute on two cores. */
const RUN_TIMEOUT_MS = 420_000;

const dataDirs: string[] = [];
afterAll(async () => {
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

async function evalFigures(dataset: string): Promise<Record<string, unknown>> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "ss-eval-datasets-"));
  dataDirs.push(dataDir);
  const lines: string[] = [];
  // Only the data directory is set: no provider key, so the offline analyst runs whatever the environment holds.
  const exitCode = await runEval({ dataset, json: true, config: readConfig({ SESSION_SUMMARIES_DATA_DIR: dataDir }), print: (line) => lines.push(line) });
  expect(exitCode).toBe(0);
  return JSON.parse(lines.at(-1)!) as Record<string, unknown>;
}

describe.each(DATASETS)("eval on $name", ({ dir }) => {
  it(
    "meets the targets with the offline analyst and replay checks on",
    async () => {
      const figures = await evalFigures(dir);
      // The figures behind a failure, and the numbers for the README's table.
      console.log(`${path.relative(ROOT, dir)}: ${JSON.stringify(figures)}`);

      expect(figures.analyst).toBe("offline analyst");
      expect(figures.validation).toMatchObject({ mode: "blocking", failed: 0 });
      expect(figures.sessions_failed).toBe(0);
      expect(figures.sessions_scored).toBe(figures.sessions_labelled);

      for (const [figure, min] of Object.entries(TARGETS.atLeast)) expect.soft(figures[figure], figure).toBeGreaterThanOrEqual(min);
      for (const [figure, max] of Object.entries(TARGETS.atMost)) expect.soft(figures[figure], figure).toBeLessThanOrEqual(max);
      // Every labelled root problem found as exactly one pattern.
      expect.soft(figures.patterns_missed, "patterns_missed").toEqual([]);
      expect.soft(figures.patterns_recovered, "patterns_recovered").toBe(figures.patterns_labelled);
    },
    RUN_TIMEOUT_MS,
  );
});
