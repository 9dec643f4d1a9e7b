import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { fenceUntrusted } from "../src/encode/fence.ts";
import { quotedPatternName } from "../src/report/untrusted.ts";
import { answerFromReport, percent, reportPageLine, type ChatToolContext } from "./context.ts";
import { describePatternFilter, filterPatterns, kindWords, PatternFilterFields, patternKinds, unknownPageNote } from "./pattern-filter.ts";

export const ListPatternsInput = z.object({
  ...PatternFilterFields,
  report_id: z.string().optional().describe("A report of this project; default the conversation's latest report"),
});

/** The patterns of a report as the report numbers and orders them, optionally on one page or of one kind. */
export function makeListPatternsTool(context: ChatToolContext) {
  return tool(
    (input): Promise<string> =>
      answerFromReport(context, "list_patterns", input.report_id, async (report) => {
        const page = await reportPageLine(context, report);
        const narrowed = describePatternFilter(input);
        const kept = filterPatterns(report.patterns, input);
        if (kept.length === 0) {
          const none = report.patterns.length === 0 ? "found no pattern (no issue was seen in at least two sessions)" : `has no pattern ${narrowed} among its ${report.patterns.length}`;
          return `Report ${report.id} ${none}.${unknownPageNote(report.patterns, input)}${page}`;
        }
        const lines = kept.map(
          (p) =>
            `Pattern ${p.id}: ${quotedPatternName(p)} | ${p.severity} | ${kindWords(patternKinds(p))} | ${p.stats.sessions_affected} sessions (${percent(p.stats.sessions_affected_ratio)}) | ${p.stats.occurrences} occurrences`,
        );
        const head = narrowed
          ? `Report ${report.id}: ${kept.length} of its ${report.patterns.length} patterns ${narrowed}, numbered and ordered as in the report:`
          : `Report ${report.id}: ${kept.length} pattern${kept.length === 1 ? "" : "s"}, numbered and ordered as in the report:`;
        return `${head}\n${fenceUntrusted("patterns", lines.join("\n"))}${page}`;
      }),
    {
      name: "list_patterns",
      description:
        "The patterns of the latest (or a given) report with their numbers, severities and sessions affected; " +
        "optionally only those on a page (URL text, e.g. checkout) or of a kind (error, slow, confusion, abandonment). " +
        'Use it for "what are the top problems (on checkout)?" or "which errors did users hit?".',
      schema: ListPatternsInput,
    },
  );
}
