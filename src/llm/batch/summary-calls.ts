import { z } from "zod";
import { describeIssues } from "../../domain/errors.ts";
import { RawSessionSummarySchema, type RawSessionSummary } from "../../domain/summary.ts";
import { batchSessionLabel, formatSummarizeSession, formatSummarizeSessions } from "../../../prompts/index.ts";
import type { SessionInput, Usage } from "../analyst.ts";
import type { ModelCallLimits } from "../provider-limits.ts";
import { callStructured, createUsage, type UsageTotals } from "../structured/call.ts";
import type { ChatModelLike } from "../structured/messages.ts";

/** The two ways of asking the summarizer: one session per call (as without batching), or several. */

export interface SummaryCallSettings {
  model: ChatModelLike;
  timeoutMs: number;
  limits?: ModelCallLimits;
}

export function usageOf(totals: UsageTotals): Usage {
  return { model_calls: totals.calls, input_tokens: totals.inputTokens, output_tokens: totals.outputTokens, ...(totals.hedgedCalls ? { hedged_calls: totals.hedgedCalls } : {}) };
}

/** One session, the single prompt: exactly what a report without batching does. */
export async function summarizeAlone(call: SummaryCallSettings, input: SessionInput, onUsage: (usage: Usage) => void, signal?: AbortSignal): Promise<RawSessionSummary> {
  const usage = createUsage();
  try {
    const { value } = await callStructured({
      model: call.model,
      messages: formatSummarizeSession({ encodedText: input.encoded.text, focusArea: input.focusArea }),
      schema: RawSessionSummarySchema,
      role: "summarizer",
      label: `summary of session ${input.encoded.sessionId}`,
      timeoutMs: call.timeoutMs,
      signal,
      usage,
      limits: call.limits,
    });
    return value;
  } finally {
    onUsage(usageOf(usage));
  }
}

/**
 * The batch answer's outer shape only: entries are checked one by one, so a malformed entry costs
 * its own session a retry and not the whole batch a repair.
 */
const BatchAnswerSchema = z.object({ sessions: z.array(z.unknown()).min(1) });

export type BatchEntryOutcome = { ok: true; summary: RawSessionSummary } | { ok: false; problem: string };

/** `s2`, `"session s2"`, `S2` all name the second session. */
function labelOf(entry: unknown): string | undefined {
  const label = (entry as { session?: unknown } | null)?.session;
  return typeof label === "string" || typeof label === "number"
    ? String(label)
        .trim()
        .toLowerCase()
        .replace(/^session\s*/, "")
    : undefined;
}

/** The summary of an entry: under `summary`, or (a common slip) the entry's own keys beside `session`. */
function summaryOf(entry: unknown): unknown {
  if (typeof entry !== "object" || entry === null) return entry;
  const { session: _label, summary, ...rest } = entry as Record<string, unknown>;
  return summary ?? rest;
}

/**
 * Several sessions in one call. Throws (a `ModelError`) when the whole answer is unusable: a
 * provider error, a timeout, or no `sessions` list even after `callStructured`'s repair. Otherwise
 * one outcome per input, in order: its summary, or why its entry is missing or malformed.
 */
export async function summarizeTogether(call: SummaryCallSettings, inputs: readonly SessionInput[], usage: UsageTotals, signal?: AbortSignal): Promise<BatchEntryOutcome[]> {
  const { value } = await callStructured({
    model: call.model,
    messages: formatSummarizeSessions({ encodedTexts: inputs.map((input) => input.encoded.text), focusArea: inputs[0]?.focusArea }),
    schema: BatchAnswerSchema,
    role: "summarizer",
    label: `summaries of sessions ${inputs.map((input) => input.encoded.sessionId).join(", ")}`,
    timeoutMs: call.timeoutMs,
    signal,
    usage,
    limits: call.limits,
  });
  const byLabel = new Map<string, unknown>();
  for (const entry of value.sessions) {
    const label = labelOf(entry);
    if (label !== undefined && !byLabel.has(label)) byLabel.set(label, entry);
  }
  return inputs.map((_, index): BatchEntryOutcome => {
    const label = batchSessionLabel(index);
    if (!byLabel.has(label)) return { ok: false, problem: `the answer has no entry for session ${label}` };
    const parsed = RawSessionSummarySchema.safeParse(summaryOf(byLabel.get(label)));
    return parsed.success ? { ok: true, summary: parsed.data } : { ok: false, problem: `session ${label}: ${describeIssues(parsed.error.issues)}` };
  });
}
