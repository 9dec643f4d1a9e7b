import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import type { RawPattern } from "../src/domain/report.ts";
import { fenceUntrusted, UNTRUSTED_DATA_NOTICE } from "../src/encode/index.ts";
import { oneLine, YAML_RULES } from "./common.ts";
import { PATTERN_OUTPUT_SHAPE, PATTERN_SEVERITY_RULES } from "./extract-patterns.ts";

/** Patterns extracted from several chunks → one `RawPatternListSchema` list (only when there is more than one chunk). */

export const COMBINE_PATTERNS_SYSTEM = `You merge lists of problem patterns, each found in a separate batch of user sessions of a web app, into one list for the product team.
- Merge patterns about the same problem in the same feature or flow (same root cause, or 2 or more shared indicators). Keep problems at different steps of a journey apart.
- One pattern per root problem: a pattern that is the consequence of another (users abandon, retry or rage-click after that failure, slow page or rejected input) is merged into the root one, which keeps its name and describes the consequence.
- Patterns found in more batches matter more; one found in half of the batches or more is almost always kept.
- Merged severity: the most common among the merged ones; a tie goes to the lower.
- ${PATTERN_SEVERITY_RULES}
- Merged indicators: the 2-5 most telling, without repeats.
- Renumber pattern_id from 1: most severe first, then most widespread. At most 20 patterns.

Output shape:
${PATTERN_OUTPUT_SHAPE}
${YAML_RULES}`;

export interface PatternBatch {
  patterns: readonly RawPattern[];
  /** Sessions in the batch, when known: helps weigh prevalence. */
  sessionCount?: number;
}

const quote = (text: string): string => JSON.stringify(text.replace(/\s+/g, " ").trim());

/** One pattern in one line plus its indicators: cheaper than YAML, as clear. */
export function formatPatternLine(pattern: RawPattern): string {
  return `${pattern.pattern_id}. [${pattern.severity}] ${quote(pattern.pattern_name)}: ${quote(pattern.pattern_description)}\n   indicators: ${pattern.indicators.map(quote).join("; ")}`;
}

export function formatCombinePatterns(input: { batches: readonly PatternBatch[]; focusArea?: string }): BaseMessage[] {
  const batches = input.batches.map((batch, index) => {
    const sessions = batch.sessionCount === undefined ? "" : ` (${batch.sessionCount} sessions)`;
    const body = batch.patterns.length === 0 ? "(no patterns)" : batch.patterns.map(formatPatternLine).join("\n");
    return `batch ${index + 1}${sessions}:\n${body}`;
  });
  const focus = input.focusArea?.trim() ? `Focus area: ${oneLine(input.focusArea)}.\n\n` : "";
  return [
    new SystemMessage(COMBINE_PATTERNS_SYSTEM),
    new HumanMessage(`${UNTRUSTED_DATA_NOTICE}\n\n${input.batches.length} batches:\n${fenceUntrusted("patterns", batches.join("\n\n"))}\n\n${focus}Write the merged YAML list of patterns.`),
  ];
}
