import { describeCost } from "./cost.ts";
import type { PatternExample, Report } from "../domain/report.ts";
import type { KeyAction } from "../domain/summary.ts";
import { assignmentSkipsLine, issueFlags, leftOutReason, notAnalysedLine, outcomesHeadline, patternFigures, patternFiguresLine, sessionClock, triagedLine } from "./format.ts";
import { isInternalIndicator } from "./present.ts";
import { patternTextParts, textWithQuotes, type TextPart } from "./untrusted.ts";

/** Model- and page-written text can contain Markdown; inline code spans keep it inert. */
function inline(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  // A code span ends at the first run of backticks as long as its fence: make the fence longer than any.
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  return longestRun > 0 ? `${fence} ${flat} ${fence}` : `${fence}${flat}${fence}`;
}

function plain(text: string): string {
  return text
    .replace(/\s+/g, " ")
    .replace(/([\\`*_[\]<>#|])/g, "\\$1")
    .trim();
}

/** The tool's words as plain text; runs of page or error text as quotations, saying where they are from. */
function withQuotes(parts: readonly TextPart[]): string {
  return textWithQuotes(parts, (text) => text.replace(/\s+/g, " ").replace(/([\\`*_[\]<>#|])/g, "\\$1"));
}

function actionLine(action: KeyAction, marker = ""): string {
  const flags = issueFlags(action);
  return `${marker}${sessionClock(action.ms_since_start)} ${plain(action.description)}${flags.length ? ` (${flags.join(", ")})` : ""} — ${inline(action.event)}`;
}

function example(e: PatternExample): string {
  const lines = [
    `- Session ${inline(e.session_id)} at ${sessionClock(e.target.ms_since_start)}, segment "${plain(e.segment_name)}" (step ${e.segment_success ? "succeeded" : "not reached"}: ${plain(e.segment_outcome)})`,
  ];
  for (const a of e.before) lines.push(`  - ${actionLine(a)}`);
  lines.push(`  - ${actionLine(e.target, "**→** ")}`);
  for (const a of e.after) lines.push(`  - ${actionLine(a)}`);
  const check = e.validation;
  if (check?.error) {
    lines.push(`  - Not checked against the replay (${check.method}): ${plain(check.error)}`);
  } else if (check) {
    const evidence = check.evidence.length ? ` — ${check.evidence.map(inline).join("; ")}` : check.observed ? ` — ${inline(check.observed)}` : "";
    // Only a confirmed check is proof: the other verdicts say so in words, not only in bold.
    const verdict = check.verdict === "confirmed" ? "**confirmed**" : check.verdict === "inconclusive" ? "_inconclusive (neither confirmed nor ruled out)_" : "**not confirmed** (downgraded)";
    lines.push(`  - Checked against the replay (${check.method}): ${verdict}${evidence}${check.clip_key ? " (clip on the report page)" : ""}`);
    for (const u of check.unreplayable ?? []) lines.push(`    - Not in the replay: ${plain(u.note)}`);
  }
  return lines.join("\n");
}

/** The report as Markdown: for a PR, an issue tracker or a chat answer. */
export function renderMarkdown(report: Report, options: { examplesPerPattern?: number } = {}): string {
  const analysed = report.sessions.summarized.length;
  const perPattern = options.examplesPerPattern ?? 5;
  const out: string[] = [
    `# ${plain(report.title)}`,
    "",
    `${analysed} sessions analysed by ${report.analyst.label}${report.focus_area ? `, focus: ${plain(report.focus_area)}` : ""}; ${report.created_at.slice(0, 16).replace("T", " ")} UTC.`,
  ];
  const headline = outcomesHeadline(report);
  if (headline) out.push("", `**${headline}**`);
  const triaged = triagedLine(report);
  if (triaged) out.push("", `${triaged}.`);
  const notAnalysed = notAnalysedLine(report);
  if (notAnalysed) out.push("", `Sessions not analysed (the tool's own failures, not the users'): ${notAnalysed.replace(/ not analysed/, "")}; listed at the end.`);
  const v = report.validation;
  out.push(
    "",
    v
      ? `Flagged ${v.mode === "blocking" ? "blocking issues" : "issues"} checked against the replay (${v.method}): ${v.checked} checked, ${v.confirmed} confirmed, ${v.not_confirmed} not confirmed (downgraded), ${v.inconclusive} inconclusive${v.failed ? `, ${v.failed} could not be checked` : ""}.`
      : "Issues were not checked against the replay.",
  );
  out.push("", `## Issues to review (${report.patterns.length})`, "");
  if (report.patterns.length === 0) out.push("No issue was seen in at least two sessions.");
  const texts = new Map(report.patterns.map((p) => [p.id, patternTextParts(p)]));
  for (const p of report.patterns) {
    out.push(`${p.id}. **${withQuotes(texts.get(p.id)!.name)}** — ${p.severity}; ${patternFiguresLine(p, analysed)}`);
  }
  for (const p of report.patterns) {
    const text = texts.get(p.id)!;
    const figures = patternFigures(p, analysed);
    out.push(
      "",
      `## ${p.id}. ${withQuotes(text.name)}`,
      "",
      withQuotes(text.description),
      "",
      `- Severity: **${p.severity}**${p.severity_adjustment ? ` (proposed ${p.severity_adjustment.from}; ${plain(p.severity_adjustment.reason)})` : ""}`,
      `- Sessions affected: ${figures.sessions}${figures.users ? `, ${figures.users}` : ""}; ${figures.occurrences}`,
      ...figures.consequences.map((c) => `- After it: ${c}`),
      `- ${capitalize(figures.success)}`,
      "- Indicators:",
      ...p.indicators.filter((i) => !isInternalIndicator(i)).map((i) => `  - ${plain(i)}`),
      "",
      `### Examples (${Math.min(perPattern, p.examples.length)} of ${p.examples.length})`,
      "",
      ...p.examples.slice(0, perPattern).map(example),
    );
  }
  if (report.sessions.failed.length + report.sessions.skipped.length + report.chunk_failures.length > 0) {
    out.push("", "## Not analysed", "");
    for (const f of report.sessions.failed) out.push(`- Session ${inline(f.id)} could not be summarized: ${plain(f.error)}`);
    for (const s of report.sessions.skipped) out.push(`- Session ${inline(s.id)} skipped: ${plain(s.reason)}`);
    for (const f of report.chunk_failures) out.push(`- ${plain(f.id)} (${f.stage}) failed: ${plain(f.error)}`);
  }
  const skipsLine = assignmentSkipsLine(report);
  if (report.dropped_patterns.length > 0 || skipsLine) {
    out.push("", "## Left out", "");
    if (report.dropped_patterns.length > 0) out.push("Patterns the analyst proposed that this report does not list, and why:", "");
    for (const d of report.dropped_patterns) out.push(`- ${plain(d.name)}: ${plain(leftOutReason(d.reason))}`);
    if (skipsLine) out.push("", `_${skipsLine}_`);
  }
  out.push(
    "",
    `_${report.usage.model_calls} model calls, ${report.usage.input_tokens} input and ${report.usage.output_tokens} output tokens${report.cost ? `, ${describeCost(report.cost)}` : ""}._`,
    "",
  );
  return out.join("\n");
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
