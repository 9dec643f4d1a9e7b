import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { fenceUntrusted, UNTRUSTED_DATA_NOTICE } from "../src/encode/index.ts";
import { oneLine, YAML_RULES } from "./common.ts";

/**
 * The session digests of one chunk (`formatSummaryForPatterns`) → `RawPatternListSchema` YAML.
 * Severity is judged per affected user; how frequent a pattern is gets weighed in code afterwards.
 */

export const PATTERN_SEVERITY_RULES = `severity, by the impact on an affected user (frequency is weighed later, in code):
  critical = blocks the user's goal or a core task, users give up;
  high = failed attempts or major frustration, some users get through;
  medium = minor friction, users recover;
  low = cosmetic: leave such patterns out.`;

export const PATTERN_OUTPUT_SHAPE = `patterns:
  - pattern_id: 1
    pattern_name: "Confirm booking button fails"
    pattern_description: "Clicking Confirm booking throws an error and nothing happens, so users cannot book a room."
    severity: critical
    indicators:
      - "error right after the Confirm booking click"
      - "repeated clicks on Confirm booking"`;

/** How the pattern prompts describe the session digests they list. */
export const SESSION_DIGESTS_INTRO = "Each session is listed with its segments (what the user tried: ok or failed) and its flagged key actions (event id, flags, description).";

/** What makes a pattern, shared by the prompts that find patterns. */
export const PATTERN_RULES = `A pattern is a technical failure, UX friction or barrier to the user's goal seen in at least 2 different sessions.
- No single-session patterns and no generic ones ("users browse", "errors occur").
- "So what?" test: keep a pattern only if a team could act on it: it names the feature or flow and what goes wrong.
- Non-blocking errors alone are not a pattern.
- One pattern per root problem: abandonment, retries, rage or dead clicks after a failure, slow page or rejected input belong in its pattern ("3 of 4 users gave up after it"). Abandonment stands alone only when nothing explains it. Slow pages (flag slow) are root problems.
- At most 10 patterns, most severe first. Fewer is fine; none is fine (patterns: []).
- pattern_name: 3-6 words, flow and problem. pattern_description: 1-2 sentences, what happens and its effect on users.
- indicators: 2-5 observable signs that an event belongs to the pattern, general across sessions (kind of event, message, page, behaviour), never one session's ids or values.
- ${PATTERN_SEVERITY_RULES}`;

export const EXTRACT_PATTERNS_SYSTEM = `You find recurring problems across user sessions of a web app, for the product team that has to fix them. ${SESSION_DIGESTS_INTRO}

${PATTERN_RULES}

Output shape:
${PATTERN_OUTPUT_SHAPE}
${YAML_RULES}`;

export interface ExtractPatternsInput {
  /** `formatSummaryForPatterns` of each session in the chunk. */
  digests: readonly string[];
  focusArea?: string;
  /** Sessions a pattern needs, when not 2 (a monitor's sweep: 1, its issues gather sessions across sweeps). */
  minSessions?: number;
}

export function formatExtractPatterns(input: ExtractPatternsInput): BaseMessage[] {
  return [new SystemMessage(EXTRACT_PATTERNS_SYSTEM), new HumanMessage(`${patternRequestData(input)}Write the YAML list of patterns.`)];
}

/** The data part of a pattern-finding request: the fenced digests, then the run's minimum and focus area when set. */
export function patternRequestData(input: ExtractPatternsInput): string {
  const minimum =
    input.minSessions !== undefined && input.minSessions !== 2
      ? `For this request, instead of 2: a pattern needs ${input.minSessions} session${input.minSessions === 1 ? "" : "s"} (these sessions are one sweep of a monitor; later sweeps add to them).\n\n`
      : "";
  const focus = input.focusArea?.trim() ? `Focus area: ${oneLine(input.focusArea)}. Prefer patterns about it; keep other critical ones.\n\n` : "";
  return `${UNTRUSTED_DATA_NOTICE}\n\n${input.digests.length} sessions:\n${fenceUntrusted("sessions", input.digests.join("\n\n"))}\n\n${minimum}${focus}`;
}
