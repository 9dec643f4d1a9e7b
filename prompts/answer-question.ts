import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { z } from "zod";
import type { MonitorQuestion, QuestionAnswer } from "../src/domain/monitor.ts";
import { EVENT_ID_PATTERN, type SessionSummary } from "../src/domain/summary.ts";
import { fenceUntrusted } from "../src/encode/index.ts";
import { oneLine, withNotice, YAML_RULES } from "./common.ts";
import { formatSummaryForPatterns } from "./summary-digest.ts";

/**
 * A monitor's own question about one session → a typed answer (`QuestionAnswer`) with the events
 * that support it. The human message carries the encoded session the summarizer read (its event
 * ids are what the evidence cites), the summary's digest to find the way, then the question.
 */

export const ANSWER_QUESTION_SYSTEM = `You answer one question about one recorded session of a web app for the product team, from its analytics events. Answer from what the events show, never from what usually happens.

Answer kinds (the question says which one to give)
- yes_no: value is "yes", "no" or "unknown". "unknown" when the events neither show nor rule it out; "no" only when the events show it did not happen.
- tags: value is the list of allowed tags that apply, each copied exactly; [] when none applies.
- score: value is a whole number from 1 (lowest) to 5 (highest), on the scale the question describes.

Evidence
- Up to 5 events that support the answer, most telling first: event_id copied exactly from the events table, and quote: the words of that row that show it, at most 20 words.
- A "yes" or a chosen tag needs at least one event. "unknown" may have none.
- The summary is another reader's account: use it to find your way; the events table decides.

explanation: why, in at most 40 words.

Cite only event_id values of the events table, copied exactly.

Output shape:
value: "yes"
evidence:
  - event_id: "9c0d1e2f"
    quote: "click Confirm booking, then exception Room is no longer free"
explanation: "The user tried to confirm the booking and an error stopped them."
${YAML_RULES}`;

export interface AnswerQuestionInput {
  /** `encodeSession(...).text` of the session: the same table its summary cites. */
  encodedText: string;
  /** The session's summary, when the cache still has it: a few lines that help find the evidence. */
  summary?: SessionSummary;
  question: MonitorQuestion;
  /** The monitor's focus area, e.g. "sign-up". */
  focusArea?: string;
}

/** Longest question text a monitor accepts (`MonitorQuestionSchema`). */
const MAX_QUESTION_LENGTH = 500;
/** The model is asked for 5 events; more are kept up to the stored answer's limit. */
const MAX_EVIDENCE = 10;
const MAX_QUOTE_LENGTH = 300;
const MAX_EXPLANATION_LENGTH = 1000;

function kindLine(question: MonitorQuestion): string {
  switch (question.answer) {
    case "yes_no":
      return 'Answer kind: yes_no (value "yes", "no" or "unknown").';
    case "tags":
      return `Answer kind: tags (value: a list of the allowed tags that apply). Allowed tags: ${question.tags.map((tag) => JSON.stringify(oneLine(tag, 60))).join(", ")}.`;
    case "score":
      return "Answer kind: score (value: a whole number from 1 to 5).";
  }
}

export function formatAnswerQuestion(input: AnswerQuestionInput): BaseMessage[] {
  const summary = input.summary
    ? `\n\nSummary of this session by another reader (it may be wrong):\n${fenceUntrusted("summary", formatSummaryForPatterns(input.summary, { includeNonBlocking: true }))}`
    : "";
  const focus = input.focusArea?.trim() ? `\n\nFocus area of the team: ${oneLine(input.focusArea)}.` : "";
  return [
    new SystemMessage(ANSWER_QUESTION_SYSTEM),
    new HumanMessage(
      `${withNotice(input.encodedText)}${summary}${focus}\n\nQuestion of the product team: ${oneLine(input.question.text, MAX_QUESTION_LENGTH)}\n${kindLine(input.question)}\n\nWrite the YAML answer.`,
    ),
  ];
}

const cut = (text: string, max: number): string => {
  const trimmed = text.replace(/\s+/g, " ").trim();
  return trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed;
};

const EvidenceSchema = z.object({
  event_id: z.string().trim().toLowerCase().regex(EVENT_ID_PATTERN, "event_id must be the 8 hex characters of a row of the events table"),
  quote: z
    .string()
    .nullish()
    .transform((quote) => cut(quote ?? "", MAX_QUOTE_LENGTH)),
});

const YES_NO = ["yes", "no", "unknown"] as const;

/** Models write `yes` as true, `Yes`, or `"yes"`: all mean the same. */
const yesNoValue = z.preprocess(
  (value) => (typeof value === "boolean" ? (value ? "yes" : "no") : typeof value === "string" ? value.trim().toLowerCase() : value),
  z.enum(YES_NO, { error: 'value must be "yes", "no" or "unknown"' }),
);

/** Tags as the monitor spells them; a tag outside the list is an error the repair request names. */
function tagsValue(allowed: readonly string[]) {
  const canonical = new Map(allowed.map((tag) => [tag.trim().toLowerCase(), tag]));
  return z.preprocess(
    (value) => (value === null || value === undefined ? [] : typeof value === "string" ? [value] : value),
    z.array(z.string({ error: "each tag must be a string" })).transform((tags, context) => {
      const chosen: string[] = [];
      for (const tag of tags) {
        const known = canonical.get(tag.trim().toLowerCase());
        if (known === undefined) {
          context.addIssue({ code: "custom", message: `${JSON.stringify(tag)} is not one of the allowed tags: ${allowed.map((t) => JSON.stringify(t)).join(", ")}` });
        } else if (!chosen.includes(known)) chosen.push(known);
      }
      return chosen;
    }),
  );
}

const SCORE_ERROR = "value must be a whole number from 1 to 5";
const scoreValue = z.preprocess(
  (value) => (typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
  z.number({ error: SCORE_ERROR }).int(SCORE_ERROR).min(1, SCORE_ERROR).max(5, SCORE_ERROR),
);

function valueSchemaOf(question: MonitorQuestion): z.ZodType<QuestionAnswer["value"]> {
  switch (question.answer) {
    case "yes_no":
      return yesNoValue;
    case "tags":
      return tagsValue(question.tags);
    case "score":
      return scoreValue;
  }
}

/**
 * What the model must write for `question`: a value of the question's kind (a tag from its list, a
 * score 1–5), evidence rows by event id, and an explanation. A "yes" or a chosen tag without any
 * evidence is refused: a claim that no row shows is what the evidence is there to prevent. Whether
 * the cited ids are in the session's table is checked after parsing (`src/llm/question.ts`).
 */
export function questionAnswerSchemaFor(question: MonitorQuestion): z.ZodType<QuestionAnswer> {
  return z
    .object({
      value: valueSchemaOf(question),
      evidence: z.preprocess(
        (value) => (value === null || value === undefined ? [] : value),
        z.array(EvidenceSchema).transform((items) => items.slice(0, MAX_EVIDENCE)),
      ),
      explanation: z
        .string()
        .nullish()
        .transform((text) => cut(text ?? "", MAX_EXPLANATION_LENGTH)),
    })
    .superRefine((answer, context) => {
      const claims = answer.value === "yes" || (Array.isArray(answer.value) && answer.value.length > 0);
      if (claims && answer.evidence.length === 0) {
        context.addIssue({ code: "custom", path: ["evidence"], message: `"${Array.isArray(answer.value) ? "chosen tags" : "yes"}" needs at least one event_id of the events table that shows it` });
      }
    });
}
