import { describe, expect, it } from "vitest";
import { ASSIGNMENT_RULES } from "../../prompts/assign-patterns.ts";
import { countPromptTokens, promptText, YAML_RULES } from "../../prompts/common.ts";
import { EXTRACT_ASSIGN_PATTERNS_SYSTEM, ExtractAssignAnswerSchema, formatExtractAssignPatterns } from "../../prompts/extract-assign-patterns.ts";
import { PATTERN_RULES } from "../../prompts/extract-patterns.ts";
import { countTokens, UNTRUSTED_DATA_NOTICE } from "../../src/encode/index.ts";
import { parseStructured } from "../../src/llm/structured/parse.ts";
import { extractAssignYamlFromPrompt, purposeOf } from "../fakes/responses.ts";

const DIGESTS = [
  'session s1: 142 s, failed: "Could not book a room; left"\n- "Book a meeting room": failed: "Booking was not confirmed"\n  1a2b3c4d blocking confusion: "Confirm booking click throws an error"',
  'session s2: 80 s, failed: "Gave up booking"\n- "Book a meeting room": failed: "Nothing happened"\n  5e6f7a8b blocking: "Confirm booking throws"\n  9c0d1e2f abandonment: "Left the booking page"',
  'session s3: 40 s, ok: "Found a room"\n- "Find a free meeting room": ok',
];

describe("the extract-and-assign prompt", () => {
  it("keeps the rules of extraction and of assignment, and its example answer satisfies its schema", () => {
    expect(EXTRACT_ASSIGN_PATTERNS_SYSTEM).toContain(PATTERN_RULES);
    expect(EXTRACT_ASSIGN_PATTERNS_SYSTEM).toContain(ASSIGNMENT_RULES);
    const start = EXTRACT_ASSIGN_PATTERNS_SYSTEM.indexOf("Output shape:\n") + "Output shape:\n".length;
    const example = parseStructured(EXTRACT_ASSIGN_PATTERNS_SYSTEM.slice(start, EXTRACT_ASSIGN_PATTERNS_SYSTEM.indexOf(YAML_RULES)), ExtractAssignAnswerSchema);
    expect(example).toMatchObject({ ok: true, value: { patterns: [{ pattern_id: 1 }], assignments: [{ pattern_id: 1, event_ids: ["1a2b3c4d", "5e6f7a8b"] }] } });
  });

  it("fences the digests, says the notice once, and carries the run's minimum and focus area", () => {
    const text = promptText(formatExtractAssignPatterns({ digests: DIGESTS, focusArea: "booking", minSessions: 1 }));
    expect(text.split(UNTRUSTED_DATA_NOTICE)).toHaveLength(2);
    expect(text).toContain(`3 sessions:\n<untrusted_data name="sessions">\n${DIGESTS.join("\n\n")}\n</untrusted_data>`);
    expect(text).toContain("a pattern needs 1 session ");
    expect(text).toContain("Focus area: booking.");
    expect(promptText(formatExtractAssignPatterns({ digests: DIGESTS }))).not.toMatch(/Focus area|instead of 2/);
  });

  it("costs one pattern prompt's instructions and an assignment's rules: at most 720 tokens on top of the digests", () => {
    const overhead = countPromptTokens(formatExtractAssignPatterns({ digests: DIGESTS, focusArea: "booking" })) - countTokens(DIGESTS.join("\n\n"));
    console.log(`extract-and-assign instructions: ${overhead} tokens`);
    expect(overhead).toBeLessThanOrEqual(720);
  });

  it("the scripted answer to it assigns the events its digests list", () => {
    const messages = formatExtractAssignPatterns({ digests: DIGESTS });
    expect(purposeOf(messages)).toBe("extract_assign");
    const answer = extractAssignYamlFromPrompt(promptText(messages.slice(1)), [{ pattern_id: 4, pattern_name: "Booking fails" }]);
    expect(parseStructured(answer, ExtractAssignAnswerSchema)).toMatchObject({
      ok: true,
      value: { patterns: [{ pattern_id: 4, pattern_name: "Booking fails" }], assignments: [{ pattern_id: 4, event_ids: ["1a2b3c4d", "5e6f7a8b", "9c0d1e2f"] }] },
    });
  });
});
