import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import type { RawPattern } from "../src/domain/report.ts";
import { fenceUntrusted, UNTRUSTED_DATA_NOTICE } from "../src/encode/index.ts";
import { YAML_RULES } from "./common.ts";
import { formatPatternLine } from "./combine-patterns.ts";

/** Known patterns + the digests of a chunk of sessions → `RawAssignmentListSchema` YAML. */

/** How flagged events are assigned to patterns, shared by the prompts that assign them. */
export const ASSIGNMENT_RULES = `- Only the events listed under a session (id, flags, description) can be assigned.
- Assign an event only when it clearly matches the pattern's description and indicators; when unsure, leave it out.
- Each event goes to at most one pattern, the most specific. At most one event per session per pattern: the one showing the problem best.
- Copy event ids exactly as written. Leave out patterns with no events.`;

/** One assignment in the output shape (a list item, indented under its key). */
export const ASSIGNMENT_OUTPUT_ITEM = `  - pattern_id: 1
    event_ids: ["1a2b3c4d", "5e6f7a8b"]`;

export const ASSIGN_PATTERNS_SYSTEM = `You assign flagged events from user sessions of a web app to known problem patterns.
${ASSIGNMENT_RULES}

Output shape:
patterns:
${ASSIGNMENT_OUTPUT_ITEM}
${YAML_RULES}`;

export interface AssignPatternsInput {
  patterns: readonly RawPattern[];
  /** `formatSummaryForPatterns` of each session in the chunk. */
  digests: readonly string[];
}

export function formatAssignPatterns(input: AssignPatternsInput): BaseMessage[] {
  return [
    new SystemMessage(ASSIGN_PATTERNS_SYSTEM),
    new HumanMessage(
      `${UNTRUSTED_DATA_NOTICE}\n\nPatterns:\n${fenceUntrusted("patterns", input.patterns.map(formatPatternLine).join("\n"))}\n\n` +
        `${input.digests.length} sessions:\n${fenceUntrusted("sessions", input.digests.join("\n\n"))}\n\nWrite the YAML assignments.`,
    ),
  ];
}
