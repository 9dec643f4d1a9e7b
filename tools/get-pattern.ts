import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { severityRank, type PatternExample, type Report, type ReportPattern } from "../src/domain/report.ts";
import { fenceUntrusted } from "../src/encode/fence.ts";
import { quotedPatternName } from "../src/report/untrusted.ts";
import { answerFromReport, oneLine, percent, reportPageLine, type ChatToolContext } from "./context.ts";
import { describePatternFilter, filterPatterns, PatternFilterFields, unknownPageNote } from "./pattern-filter.ts";

export const PATTERN_RANKS = ["most_sessions", "most_occurrences", "most_severe", "least_success"] as const;
export type PatternRank = (typeof PATTERN_RANKS)[number];

export const GetPatternInput = z.object({
  pattern_id: z.number().int().min(1).optional().describe("The pattern's number in the report (1, 2, ...)"),
  rank: z.enum(PATTERN_RANKS).optional().describe("Instead of a number: the pattern affecting the most sessions, with the most occurrences, the most severe, or whose affected segments succeed least"),
  ...PatternFilterFields,
  report_id: z.string().optional().describe("A report of this project; default the conversation's latest report"),
  examples: z.number().int().min(0).max(10).optional().describe("How many examples to show with the pattern (default 2)"),
  example: z.number().int().min(1).optional().describe('Instead of the whole pattern: only its example of this number (1, 2, ...), for "show an example"'),
});

/** The pattern a rank picks; ties go to the lower id. */
export function pickPattern(patterns: readonly ReportPattern[], rank: PatternRank): ReportPattern | undefined {
  const score = (p: ReportPattern): number[] => {
    switch (rank) {
      case "most_sessions":
        return [p.stats.sessions_affected, p.stats.occurrences];
      case "most_occurrences":
        return [p.stats.occurrences, p.stats.sessions_affected];
      case "most_severe":
        return [severityRank(p.severity), p.stats.sessions_affected];
      case "least_success":
        return [-p.stats.segments_success_ratio, p.stats.sessions_affected];
    }
  };
  let best: ReportPattern | undefined;
  for (const pattern of patterns) {
    if (!best) best = pattern;
    else {
      const [a, b] = [score(pattern), score(best)];
      if (a[0]! > b[0]! || (a[0] === b[0] && a[1]! > b[1]!)) best = pattern;
    }
  }
  return best;
}

const RANK_WORDS: Record<PatternRank, string> = {
  most_sessions: "affects the most sessions",
  most_occurrences: "occurs most often",
  most_severe: "is the most severe",
  least_success: "has the lowest success rate",
};

/** Details and examples of one pattern of a report. */
export function makeGetPatternTool(context: ChatToolContext) {
  return tool(
    (input): Promise<string> =>
      answerFromReport(context, "get_pattern", input.report_id, async (report) => {
        if (report.patterns.length === 0) return `Report ${report.id} found no pattern (no issue was seen in at least two sessions).`;
        if (input.pattern_id === undefined && input.rank === undefined) return "Say which pattern: a pattern_id (1, 2, ...) or a rank (most_sessions, most_occurrences, most_severe, least_success).";
        const page = await reportPageLine(context, report);
        let pattern: ReportPattern | undefined;
        let why = "";
        if (input.pattern_id !== undefined) {
          pattern = report.patterns.find((p) => p.id === input.pattern_id);
          if (!pattern) return `Report ${report.id} has no pattern ${input.pattern_id}; its patterns are numbered 1 to ${report.patterns.length}.`;
        } else {
          // A rank among the patterns on a page or of a kind: "which pattern affects most sessions on checkout?"
          const candidates = filterPatterns(report.patterns, input);
          const narrowed = describePatternFilter(input);
          pattern = pickPattern(candidates, input.rank!);
          if (!pattern) return `Report ${report.id} has no pattern ${narrowed} among its ${report.patterns.length}.${unknownPageNote(report.patterns, input)}${page}`;
          why = ` (it ${RANK_WORDS[input.rank!]} of ${candidates.length} pattern${candidates.length === 1 ? "" : "s"}${narrowed ? ` ${narrowed}` : ""})`;
        }
        if (input.example !== undefined) return `${describeOneExample(report, pattern, input.example)}${page}`;
        return `${describePattern(report, pattern, input.examples ?? 2, why)}${page}`;
      }),
    {
      name: "get_pattern",
      description:
        "Details of one pattern of the latest (or a given) report: stats, indicators and example moments, or only one example (`example`). " +
        "Pick it by number, or by rank (e.g. the one affecting most sessions), optionally among the patterns on a page or of a kind.",
      schema: GetPatternInput,
    },
  );
}

export function describePattern(report: Report, pattern: ReportPattern, exampleCount: number, why = ""): string {
  const s = pattern.stats;
  const head =
    `Pattern ${pattern.id} of report ${report.id}${why}: ${s.sessions_affected} of ${report.sessions.summarized.length} sessions affected (${percent(s.sessions_affected_ratio)}), ` +
    `${s.occurrences} occurrence${s.occurrences === 1 ? "" : "s"}, severity ${pattern.severity}, ${percent(s.segments_success_ratio)} of the affected segments still succeeded, ${pattern.examples.length} example${pattern.examples.length === 1 ? "" : "s"}.`;
  const shown = pattern.examples.slice(0, exampleCount);
  const body = [
    `name: ${quotedPatternName(pattern)}`,
    `description: ${oneLine(pattern.description, 600)}`,
    `indicators: ${pattern.indicators.map((i) => oneLine(i, 160)).join("; ")}`,
    ...shown.map((example, index) => `example ${index + 1}: ${describeExample(example)}`),
  ];
  return `${head}\n${fenceUntrusted("pattern", body.join("\n"))}`;
}

/** One example of a pattern, for "show an example": the moment, not the whole pattern again. */
export function describeOneExample(report: Report, pattern: ReportPattern, number: number): string {
  const count = pattern.examples.length;
  if (count === 0) return `Pattern ${pattern.id} of report ${report.id} has no example.`;
  if (number > count) return `Pattern ${pattern.id} of report ${report.id} has ${count} example${count === 1 ? "" : "s"}; there is no example ${number}.`;
  const example = pattern.examples[number - 1]!;
  const around = [...example.before.map((a) => `before: ${oneLine(a.description, 160)}`), ...example.after.map((a) => `after: ${oneLine(a.description, 160)}`)];
  return (
    `Example ${number} of ${count} of pattern ${pattern.id} of report ${report.id}${count > number ? ' (ask "another example" for the next)' : ""}:\n` +
    fenceUntrusted("example", [`pattern: ${quotedPatternName(pattern)}`, describeExample(example), ...around].join("\n"))
  );
}

export function describeExample(example: PatternExample): string {
  const target = example.target;
  const verdict = example.validation ? `; replay check: ${example.validation.verdict}` : "";
  return (
    `session ${example.session_id} at ${target.timestamp}${target.current_url ? ` on ${oneLine(target.current_url, 120)}` : ""}, ` +
    `segment "${oneLine(example.segment_name, 80)}" (${example.segment_success ? "succeeded" : "failed"}): ${oneLine(target.description, 240)}${verdict}`
  );
}
