import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import type { z } from "zod";
import { RawAssignmentListSchema, RawPatternListSchema } from "../src/domain/report.ts";
import { YAML_RULES } from "./common.ts";
import { ASSIGNMENT_OUTPUT_ITEM, ASSIGNMENT_RULES } from "./assign-patterns.ts";
import { PATTERN_OUTPUT_SHAPE, PATTERN_RULES, patternRequestData, SESSION_DIGESTS_INTRO, type ExtractPatternsInput } from "./extract-patterns.ts";

/**
 * The digests of the only chunk of a run → its patterns and, in the same answer, which flagged
 * events belong to which of them. Used when every summary fits one extraction prompt, so a run
 * makes one pattern call instead of an extraction and an assignment. The rules are those of the
 * two separate prompts.
 */

export const EXTRACT_ASSIGN_PATTERNS_SYSTEM = `You find recurring problems across user sessions of a web app, for the product team that has to fix them, and the events that show each of them. ${SESSION_DIGESTS_INTRO}

First the patterns. ${PATTERN_RULES}

Then the assignments: for each of your patterns, the flagged events that show it (its pattern_id as in your patterns list).
${ASSIGNMENT_RULES}

Output shape:
${PATTERN_OUTPUT_SHAPE}
assignments:
${ASSIGNMENT_OUTPUT_ITEM}
${YAML_RULES}`;

/** The answer: the patterns as extraction writes them, the assignments as assignment writes them. */
export const ExtractAssignAnswerSchema = RawPatternListSchema.extend({ assignments: RawAssignmentListSchema.shape.patterns });
export type ExtractAssignAnswer = z.infer<typeof ExtractAssignAnswerSchema>;

export type ExtractAssignPatternsInput = ExtractPatternsInput;

export function formatExtractAssignPatterns(input: ExtractAssignPatternsInput): BaseMessage[] {
  return [new SystemMessage(EXTRACT_ASSIGN_PATTERNS_SYSTEM), new HumanMessage(`${patternRequestData(input)}Write the YAML patterns and assignments.`)];
}
