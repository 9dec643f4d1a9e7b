import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { formatAnswerQuestion, questionAnswerSchemaFor } from "../../prompts/index.ts";
import type { MonitorQuestion, QuestionAnswer } from "../domain/monitor.ts";
import type { SessionSummary } from "../domain/summary.ts";
import type { EncodedSession } from "../encode/types.ts";
import { HallucinationError } from "./errors.ts";
import { callStructured, repairRequest, type UsageTotals } from "./structured/call.ts";
import type { ChatModelLike } from "./structured/messages.ts";
import type { ModelCallLimits } from "./provider-limits.ts";

/**
 * Asking a model a monitor's question about one session: the structured call (YAML of the
 * question's answer kind, repaired once when invalid), then the evidence check: every cited event
 * must be a row of the session's table.
 */

export interface QuestionSessionInput {
  /** The session as its summarizer read it: the text, and the ids its rows carry. */
  encoded: Pick<EncodedSession, "sessionId" | "text" | "idMap">;
  /** The session's summary, when the cache still has it. */
  summary?: SessionSummary;
  question: MonitorQuestion;
  focusArea?: string;
  /**
   * The share of cited ids allowed outside the table in the answer given after being told which
   * ids were wrong (`settings.maxUnknownIdRatio`, the summaries' rule); those ids are dropped.
   */
  maxUnknownIdRatio: number;
}

export interface AnswerQuestionCall {
  model: ChatModelLike;
  /** The model's role, for usage per role. */
  role: string;
  timeoutMs: number;
  signal?: AbortSignal;
  usage: UsageTotals;
  /** The model's shared provider budgets, when there are any. */
  limits?: ModelCallLimits;
}

/** The cited ids that are not rows of the table, each once. */
export function unknownEvidenceIds(answer: QuestionAnswer, knownIds: ReadonlySet<string> | ReadonlyMap<string, unknown>): string[] {
  return [...new Set(answer.evidence.map((item) => item.event_id).filter((id) => !knownIds.has(id.trim().toLowerCase())))];
}

/**
 * The model's answer to `input.question` about the session. An answer citing an event id that is
 * not in the table is sent back once with those ids named; the second answer is refused with
 * `HallucinationError` when more than `maxUnknownIdRatio` of its citations are still unknown, and
 * otherwise kept without them. Throws the structured call's errors (`ModelOutputError`,
 * `ModelCallError`) as they are.
 */
export async function answerSessionQuestion(input: QuestionSessionInput, call: AnswerQuestionCall): Promise<QuestionAnswer> {
  const { encoded } = input;
  const messages = formatAnswerQuestion({
    encodedText: encoded.text,
    question: input.question,
    ...(input.summary ? { summary: input.summary } : {}),
    ...(input.focusArea ? { focusArea: input.focusArea } : {}),
  });
  const schema = questionAnswerSchemaFor(input.question);
  const label = `answer to the question for session ${encoded.sessionId}`;
  const ask = (conversation: typeof messages) =>
    callStructured({
      model: call.model,
      messages: conversation,
      schema,
      role: call.role,
      label,
      timeoutMs: call.timeoutMs,
      usage: call.usage,
      ...(call.signal ? { signal: call.signal } : {}),
      ...(call.limits ? { limits: call.limits } : {}),
    });

  const first = await ask(messages);
  const unknown = unknownEvidenceIds(first.value, encoded.idMap);
  if (unknown.length === 0) return first.value;

  const problems = unknown.map((id) => `evidence cites event_id ${JSON.stringify(id)}, which is not a row of the events table: cite only event_id values of the table, copied exactly`);
  const second = await ask([...messages, new AIMessage(first.raw), new HumanMessage(repairRequest(problems))]);
  const stillUnknown = unknownEvidenceIds(second.value, encoded.idMap);
  if (stillUnknown.length === 0) return second.value;
  const cited = second.value.evidence.length;
  const unknownCitations = second.value.evidence.filter((item) => stillUnknown.includes(item.event_id)).length;
  const ratio = unknownCitations / cited;
  if (ratio > input.maxUnknownIdRatio) throw new HallucinationError(stillUnknown, cited, ratio, input.maxUnknownIdRatio);
  return { ...second.value, evidence: second.value.evidence.filter((item) => !stillUnknown.includes(item.event_id)) };
}
