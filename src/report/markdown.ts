import type { PatternExample, Report } from "../domain/report.ts";
import type { KeyAction } from "../domain/summary.ts";
import { issueFlags, percent, reach, sessionClock } from "./format.ts";

/** Model- and page-written text can contain Markdown; inline code spans keep it inert. */
function inline(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  // A code span ends at the first run of backticks as long as its fence: make the fence longer than any.
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  return longestRun > 0 ? `${fence} ${flat} ${fence}` : `${fence}${flat}${fence}`;
}

function plain(text: string): string {
  return text.replace(/\s+/g, " ").replace(/([\\`*_[\]<>#|])/g, "\\$1").trim();
}

function actionLine(action: KeyAction, marker = ""): string {
  const flags = issueFlags(action);
  return `${marker}${sessionClock(action.ms_since_start)} ${plain(action.description)}${flags.length ? ` (${flags.join(", ")})` : ""} — ${inline(action.event)}`;
}

function example(e: PatternExample): string {
  const lines = [
    `- Session ${inline(e.session_id)} at ${sessionClock(e.target.ms_since_start)}, segment "${plain(e.segment_name)}" (${e.segment_success ? "succeeded" : "failed"}: ${plain(e.segment_outcome)})`,
  ];
  for (const a of e.before) lines.push(`  - ${actionLine(a)}`);
  lines.push(`  - ${actionLine(e.target, "**→** ")}`);
  for (const a of e.after) lines.push(`  - ${actionLine(a)}`);
  const check = e.validation;
  if (check?.error) {
    lines.push(`  - Not checked against the replay (${check.method}): ${plain(check.error)}`);
  } else if (check) {
    const evidence = check.evidence.length ? ` — ${check.evidence.map(inline).join("; ")}` : check.observed ? ` — ${inline(check.observed)}` : "";
    const clip = check.clip_key ? ` (clip ${inline(check.clip_key)})` : "";
    lines.push(`  - Checked against the replay (${check.method}): **${check.verdict.replace("_", " ")}**${evidence}${clip}`);
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
  if (report.sessions.failed.length > 0) out.push(`${report.sessions.failed.length} sessions could not be summarized (listed at the end).`);
  if (report.sessions.skipped.length > 0) out.push(`${report.sessions.skipped.length} sessions were skipped (too short or empty).`);
  const v = report.validation;
  out.push(
    v
      ? `Flagged ${v.mode === "blocking" ? "blocking issues" : "issues"} checked against the replay (${v.method}): ${v.checked} checked, ${v.confirmed} confirmed, ${v.not_confirmed} not confirmed (downgraded), ${v.inconclusive} inconclusive${v.failed ? `, ${v.failed} could not be checked` : ""}.`
      : "Issues were not checked against the replay.",
  );
  out.push("", `## Issues to review (${report.patterns.length})`, "");
  if (report.patterns.length === 0) out.push("No issue was seen in at least two sessions.");
  for (const p of report.patterns) {
    out.push(`${p.id}. **${plain(p.name)}** — ${p.severity}, ${reach(p, analysed)} sessions, ${p.stats.occurrences} occurrences`);
  }
  for (const p of report.patterns) {
    out.push(
      "",
      `## ${p.id}. ${plain(p.name)}`,
      "",
      plain(p.description),
      "",
      `- Severity: **${p.severity}**${p.severity_adjustment ? ` (proposed ${p.severity_adjustment.from}; ${plain(p.severity_adjustment.reason)})` : ""}`,
      `- Sessions affected: ${reach(p, analysed)}; occurrences: ${p.stats.occurrences}`,
      `- Users still succeeded in ${percent(p.stats.segments_success_ratio)} of the affected segments`,
      "- Indicators:",
      ...p.indicators.map((i) => `  - ${plain(i)}`),
      "",
      `### Examples (${Math.min(perPattern, p.examples.length)} of ${p.examples.length})`,
      "",
      ...p.examples.slice(0, perPattern).map(example),
    );
  }
  if (report.sessions.failed.length > 0 || report.chunk_failures.length > 0) {
    out.push("", "## Failures", "");
    for (const f of [...report.sessions.failed, ...report.chunk_failures]) out.push(`- ${f.stage} ${inline(f.id)}: ${plain(f.error)}`);
  }
  if (report.dropped_patterns.length > 0) {
    out.push("", "## Left out", "");
    for (const d of report.dropped_patterns) out.push(`- ${plain(d.name)}: ${plain(d.reason)}`);
  }
  const skips = report.assignment_skips;
  if (skips && skips.unknown + skips.ambiguous + skips.unknown_pattern > 0) {
    out.push(
      "",
      `_Assigned event ids not used: ${skips.unknown} unknown, ${skips.ambiguous} ambiguous (in two sessions), ${skips.unknown_pattern} for patterns that do not exist._`,
    );
  }
  out.push("", `_${report.usage.model_calls} model calls, ${report.usage.input_tokens} input and ${report.usage.output_tokens} output tokens._`, "");
  return out.join("\n");
}
