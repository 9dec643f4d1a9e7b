import { tool } from "@langchain/core/tools";
import { z } from "zod";
import type { PatternExample, Report, ReportPattern } from "../src/domain/report.ts";
import { fenceUntrusted } from "../src/encode/fence.ts";
import { failureText, oneLine, percent, resolveReport, type ChatToolContext } from "./context.ts";

export const PATTERN_RANKS = ["most_sessions", "most_occurrences", "most_severe", "least_success"] as const;
export type PatternRank = (typeof PATTERN_RANKS)[number];

export const GetPatternInput = z.object({
  pattern_id: z.number().int().min(1).optional().describe("The pattern's number in the report (1, 2, ...)"),
  rank: z
    .enum(PATTERN_RANKS)
    .optional()
    .describe("Instead of a number: the pattern affecting the most sessions, with the most occurrences, the most severe, or whose affected segments succeed least"),
  report_id: z.string().optional().describe("A report of this project; default the conversation's latest report"),
  examples: z.number().int().min(0).max(10).optional().describe("How many examples to show (default 2)"),
});

const SEVERITY_ORDER = { low: 0, medium: 1, high: 2, critical: 3 } as const;

/** The pattern a rank picks; ties go to the lower id. */
export function pickPattern(patterns: readonly ReportPattern[], rank: PatternRank): ReportPattern | undefined {
  const score = (p: ReportPattern): number[] => {
    switch (rank) {
      case "most_sessions":
        return [p.stats.sessions_affected, p.stats.occurrences];
      case "most_occurrences":
        return [p.stats.occurrences, p.stats.sessions_affected];
      case "most_severe":
        return [SEVERITY_ORDER[p.severity], p.stats.sessions_affected];
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
    async (input): Promise<string> => {
      try {
        const report = await resolveReport(context, input.report_id);
        if (typeof report === "string") return report;
        if (report.patterns.length === 0) return `Report ${report.id} found no pattern (no issue was seen in at least two sessions).`;
        if (input.pattern_id === undefined && input.rank === undefined) return "Say which pattern: a pattern_id (1, 2, ...) or a rank (most_sessions, most_occurrences, most_severe, least_success).";
        const pattern = input.pattern_id !== undefined ? report.patterns.find((p) => p.id === input.pattern_id) : pickPattern(report.patterns, input.rank!);
        if (!pattern) return `Report ${report.id} has no pattern ${input.pattern_id}; its patterns are numbered 1 to ${report.patterns.length}.`;
        const why = input.pattern_id === undefined ? ` (it ${RANK_WORDS[input.rank!]} of ${report.patterns.length} patterns)` : "";
        return describePattern(report, pattern, input.examples ?? 2, why);
      } catch (error) {
        return `Could not read the report: ${failureText(context, "get_pattern", error)}`;
      }
    },
    {
      name: "get_pattern",
      description: "Details of one pattern of the latest (or a given) report: stats, indicators and example moments. Pick it by number or by rank (e.g. the one affecting most sessions).",
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
    `name: ${pattern.name}`,
    `description: ${oneLine(pattern.description, 600)}`,
    `indicators: ${pattern.indicators.map((i) => oneLine(i, 160)).join("; ")}`,
    ...shown.map((example, index) => `example ${index + 1}: ${describeExample(example)}`),
  ];
  return `${head}\n${fenceUntrusted("pattern", body.join("\n"))}`;
}

export function describeExample(example: PatternExample): string {
  const target = example.target;
  const verdict = example.validation ? `; replay check: ${example.validation.verdict}` : "";
  return (
    `session ${example.session_id} at ${target.timestamp}${target.current_url ? ` on ${oneLine(target.current_url, 120)}` : ""}, ` +
    `segment "${oneLine(example.segment_name, 80)}" (${example.segment_success ? "succeeded" : "failed"}): ${oneLine(target.description, 240)}${verdict}`
  );
}
