import { readFile } from "node:fs/promises";
import path from "node:path";
import { loadSummaries, summaryRefs } from "../../graph/summarize/nodes/summaries.ts";
import { InputError, describeIssues } from "../domain/errors.ts";
import { LabelsSchema, SESSION_OUTCOMES, type Labels } from "../domain/labels.ts";
import type { Report } from "../domain/report.ts";
import type { SessionSummary } from "../domain/summary.ts";
import { evaluate, type Evaluation, type OutcomeMismatch } from "../eval/score.ts";
import type { TriageDecision } from "../domain/triage.ts";
import type { SessionSource } from "../sources/types.ts";
import { scoreTriage, triageFromSource, type TriageFigures } from "../triage/sessions.ts";
import { formatTable } from "./output.ts";
import { executeRun, runOnDataset, type DatasetRunOptions } from "./summarize.ts";

export interface EvalCommandOptions extends DatasetRunOptions {
  json?: boolean;
  print?: (line: string) => void;
}

export async function readLabels(dataset: string): Promise<Labels> {
  const file = path.join(dataset, "labels.json");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new InputError("missing_labels", { file }, "labels.json is missing: evaluation needs ground truth", { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError("invalid_json", { file }, `not valid JSON (${(error as Error).message})`);
  }
  const parsed = LabelsSchema.safeParse(value);
  if (!parsed.success) throw new InputError("invalid_labels", { file }, `not valid labels: ${describeIssues(parsed.error.issues, 5)}`);
  return parsed.data;
}

/**
 * `session-summaries eval <dataset>`: runs (or, with the id of a finished run, reads) a report over
 * the labelled sessions and scores it. With `--json` the last line is one JSON object of figures.
 */
export async function runEval(options: EvalCommandOptions): Promise<number> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const labels = await readLabels(options.dataset);
  return runOnDataset(options, "evaluation run", async (pipeline, runId) => {
    const report = await executeRun(pipeline, runId, {
      title: `Evaluation of ${path.basename(path.resolve(options.dataset))}`,
      selection: { ids: Object.keys(labels.sessions) },
      concurrency: options.concurrency,
    });
    const state = (await pipeline.graph.getState({ configurable: { thread_id: runId } })).values;
    const summaries = await loadSummaries(pipeline.runtime, summaryRefs(state.session_results, report.sessions.summarized));
    const evaluation = evaluate(labels, report, summaries);
    const checks = validationFigures(report, summaries.values());
    const triage = await triageFigures(pipeline.runtime.source, labels, pipeline.runtime.settings.redactPii);
    if (options.json) {
      print(JSON.stringify({ ...flatFigures(evaluation, report.analyst.label), ...checks, ...triage }));
    } else {
      print(describeEvaluation(evaluation, report.analyst.label));
      print(describeTriage(triage));
      print(
        report.validation
          ? `\nReplay checks (${report.validation.method}, ${report.validation.mode}): ${report.validation.checked} checked, ${report.validation.confirmed} confirmed, ${report.validation.not_confirmed} not confirmed (${checks.downgraded_to_non_blocking} downgraded to non-blocking), ${report.validation.inconclusive} inconclusive, ${report.validation.failed} failed.`
          : "\nReplay checks: off.",
      );
    }
  });
}

/**
 * Triage scored on the labelled sessions whatever analyst made the report: it decides what a run with
 * a model sends, and must never hold back a session with a labelled issue of any kind.
 */
export async function triageFigures(source: SessionSource, labels: Labels, redactPii?: boolean): Promise<TriageFigures> {
  const decisions = new Map<string, TriageDecision>();
  for (const id of Object.keys(labels.sessions)) {
    try {
      decisions.set(id, await triageFromSource(source, id, redactPii === undefined ? {} : { redactPii }));
    } catch {
      // A session that cannot be read is a failed session of the report, not a triage decision.
    }
  }
  return scoreTriage(labels, decisions);
}

export function describeTriage(t: TriageFigures): string {
  const fmt = (v: number | null) => (v === null ? "n/a" : v.toFixed(2));
  return `\nTriage (what a run with a model sends): recall on labelled sessions ${fmt(t.triage_recall)}, summarized offline ${fmt(t.triage_skip_rate)}${t.triage_missed.length > 0 ? `; held back with a labelled issue: ${t.triage_missed.join(", ")}` : ""}.`;
}

/** What the replay checks did, for the `--json` line. */
export function validationFigures(report: Report, summaries: Iterable<SessionSummary>) {
  let downgraded = 0;
  for (const summary of summaries) {
    for (const check of summary.visual_checks ?? []) if (check.changes.some((c) => c.startsWith("exception: blocking"))) downgraded += 1;
  }
  return { validation: report.validation ?? "off", downgraded_to_non_blocking: downgraded };
}

/** The figures as one flat object: the `--json` line. */
export function flatFigures(e: Evaluation, analyst: string): Record<string, unknown> {
  const figures: Record<string, unknown> = {
    eval: "session-summaries",
    analyst,
    sessions_labelled: e.sessions_labelled,
    sessions_scored: e.sessions_scored,
    sessions_failed: e.sessions_failed,
    blocking_precision: e.kinds.blocking.precision,
    blocking_recall: e.kinds.blocking.recall,
    false_blocking_rate: e.false_blocking_rate,
    noise_sessions: e.noise_sessions,
    patterns_labelled: e.patterns_labelled,
    patterns_recovered: e.patterns_recovered,
    patterns_reported: e.patterns_reported,
    duplicate_patterns: e.duplicate_patterns.length,
    pattern_precision: e.pattern_precision,
    outcome_accuracy: e.outcome_accuracy,
  };
  for (const [kind, score] of Object.entries(e.kinds)) {
    figures[`${kind}_precision`] = score.precision;
    figures[`${kind}_recall`] = score.recall;
  }
  figures.patterns_missed = e.patterns.filter((p) => !p.recovered).map((p) => `${p.pattern_key} (${p.matches} matches)`);
  figures.duplicate_pattern_pairs = e.duplicate_patterns.map((d) => `${d.a} ~ ${d.b} (${d.overlap})`);
  figures.patterns_unmatched = e.patterns_unmatched;
  figures.outcome_mismatches = e.outcome_mismatches.map(describeMismatch);
  return figures;
}

/** `<session id>: failure, reported abandoned` (whole ids: UUIDv7 sessions of one minute share their head). */
function describeMismatch(m: OutcomeMismatch): string {
  return `${m.session_id}: ${m.labelled}, reported ${m.reported}`;
}

/** How many mismatched sessions the text output names; the JSON line names them all. */
const MISMATCHES_LISTED = 10;

/** The figures for a person: the per-kind table, the report's figures, outcomes, then each root problem. */
export function describeEvaluation(e: Evaluation, analyst: string): string {
  const fmt = (v: number | null) => (v === null ? "n/a" : v.toFixed(2));
  return [
    `Evaluated ${e.sessions_scored} of ${e.sessions_labelled} labelled sessions (${e.sessions_failed} failed) with ${analyst}.`,
    "",
    formatTable(
      ["issue", "precision", "recall", "TP", "FP", "FN"],
      Object.entries(e.kinds).map(([kind, s]) => [kind, fmt(s.precision), fmt(s.recall), s.true_positives, s.false_positives, s.false_negatives]),
    ),
    "",
    `False "blocking" on noise-only sessions: ${fmt(e.false_blocking_rate)} (${e.noise_sessions} sessions)`,
    `Root problems recovered: ${e.patterns_recovered} of ${e.patterns_labelled}`,
    `Patterns reported: ${e.patterns_reported}; matching a labelled root problem: ${fmt(e.pattern_precision)}${e.patterns_unmatched.length > 0 ? ` (unmatched: ${e.patterns_unmatched.join("; ")})` : ""}`,
    `Duplicate patterns (sessions overlap >= 75%): ${e.duplicate_patterns.length}${e.duplicate_patterns.map((d) => `\n  ${d.a} ~ ${d.b} (${d.overlap})`).join("")}`,
    "",
    `Session outcomes as the report gives them, against the labels: ${fmt(e.outcome_accuracy)} right`,
    formatTable(
      ["labelled ↓ reported →", ...SESSION_OUTCOMES],
      SESSION_OUTCOMES.map((labelled) => [labelled, ...SESSION_OUTCOMES.map((reported) => e.outcome_matrix[labelled][reported])]),
    ),
    ...(e.outcome_mismatches.length === 0
      ? []
      : [
          `Mismatched sessions:${e.outcome_mismatches
            .slice(0, MISMATCHES_LISTED)
            .map((m) => `\n  ${describeMismatch(m)}`)
            .join("")}${e.outcome_mismatches.length > MISMATCHES_LISTED ? `\n  and ${e.outcome_mismatches.length - MISMATCHES_LISTED} more (--json lists them all)` : ""}`,
        ]),
    "",
    formatTable(
      ["labelled root problem", "sessions", "found as", "purity"],
      e.patterns.map((p) => [p.pattern_key, p.sessions, p.recovered ? p.pattern! : p.matches === 0 ? "(missed)" : `(split in ${p.matches})`, p.purity ?? "-"]),
    ),
  ].join("\n");
}
