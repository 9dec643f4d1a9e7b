import pLimit from "p-limit";
import { DEFAULTS } from "../../config/defaults.ts";
import { SessionSummariesError } from "../../domain/errors.ts";
import type { AnalyticsEvent } from "../../domain/events.ts";
import { MonitorQuestionSchema, type MonitorQuestion, type QuestionAnswer } from "../../domain/monitor.ts";
import type { Report } from "../../domain/report.ts";
import type { SessionSummary } from "../../domain/summary.ts";
import { describeDroppedEvents } from "../../encode/filters.ts";
import { encodeRecordedSession } from "../../encode/recorded.ts";
import type { EncodedSession } from "../../encode/types.ts";
import { addUsage, NO_USAGE, type Usage } from "../../llm/analyst.ts";
import { computeRecordingMetadata, type RecordingMetadata } from "../../replay/metadata.ts";
import type { PipelineRuntime } from "../../runtime/runtime.ts";
import { summaryCacheLabels } from "../../store/cache-labels.ts";

/**
 * A monitor's own question, asked of every session a sweep's report summarized: one summarizer
 * call per session, reading the session encoded exactly as its summary was made (so the evidence
 * cites the same event ids) with the summary's digest to find the way.
 */

/** A question that cannot be asked: it does not match `MonitorQuestionSchema`. */
export class QuestionError extends SessionSummariesError {}

/** What `answerQuestions` says when the analyst has no model to ask (the sweep's note). */
export const OFFLINE_QUESTION_NOTE = "the question was not asked: the offline analyst does not answer questions; configure a model for the summarizer role (SESSION_SUMMARIES_SUMMARIZER)";

export interface QuestionAnswersInput {
  report: Report;
  question: MonitorQuestion;
  /** The monitor's focus area; the report's when absent. */
  focus_area?: string;
  /** Only these sessions (those the report summarized); all summarized sessions when absent. */
  sessionIds?: readonly string[];
}

export interface QuestionAnswersOptions {
  /** Sessions asked at once; default `DEFAULTS.pipeline.sessionConcurrency`. */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface SessionQuestionResult {
  session_id: string;
  answer?: QuestionAnswer;
  /** Why this session has no answer; the other sessions are answered regardless. */
  error?: string;
}

export interface QuestionAnswers {
  /** One per session asked, in the report's order. */
  answers: SessionQuestionResult[];
  /** Model calls and tokens of all answers, failed ones included. */
  usage: Usage;
  /** Set when nothing was asked, and why. */
  skipped?: string;
}

/**
 * Answers `question` for each session the report summarized (or the given ones among them),
 * `concurrency` at a time. A session whose answer fails (the model's error, an answer that is
 * still invalid after a repair, evidence outside the session, a session that can no longer be
 * read) gets its error and the others go on. Sessions the report did not summarize (skipped or
 * failed there, with the report's reason) are not asked. When the analyst has no model, nothing is
 * asked and `skipped` says so. Throws `QuestionError` for an invalid question, and the abort
 * reason when `signal` fires.
 */
export async function answerQuestions(runtime: PipelineRuntime, input: QuestionAnswersInput, options: QuestionAnswersOptions = {}): Promise<QuestionAnswers> {
  const parsed = MonitorQuestionSchema.safeParse(input.question);
  if (!parsed.success) {
    throw new QuestionError(
      "invalid_question",
      `the question of report ${input.report.id} cannot be asked: ${parsed.error.issues.map((issue) => `${issue.path.join(".") || "question"}: ${issue.message}`).join("; ")}`,
    );
  }
  const question = parsed.data;
  const concurrency = options.concurrency ?? DEFAULTS.pipeline.sessionConcurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new QuestionError("invalid_concurrency", `concurrency must be a whole number of at least 1, got ${concurrency}`);
  const analyst = runtime.analyst;
  if (!analyst.answerQuestion) return { answers: [], usage: NO_USAGE, skipped: OFFLINE_QUESTION_NOTE };
  const ask = analyst.answerQuestion.bind(analyst);

  const summarized = new Set(input.report.sessions.summarized);
  const sessionIds = input.sessionIds ? [...new Set(input.sessionIds)].filter((id) => summarized.has(id)) : input.report.sessions.summarized;
  const focusArea = input.focus_area ?? input.report.focus_area;
  let usage: Usage = NO_USAGE;
  const limit = pLimit(concurrency);
  const answers = await Promise.all(
    sessionIds.map((sessionId) =>
      limit(async (): Promise<SessionQuestionResult> => {
        if (options.signal?.aborted) return { session_id: sessionId, error: "not asked: the run was stopped" };
        try {
          const [encoded, summary] = await Promise.all([encodeAsSummarized(runtime, sessionId, options.signal), cachedSummary(runtime, input.report, sessionId)]);
          const answer = await ask(
            { encoded, question, maxUnknownIdRatio: runtime.settings.maxUnknownIdRatio, ...(summary ? { summary } : {}), ...(focusArea ? { focusArea } : {}) },
            (spent) => {
              usage = addUsage(usage, spent);
            },
            options.signal,
          );
          return { session_id: sessionId, answer };
        } catch (error) {
          return { session_id: sessionId, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    ),
  );
  options.signal?.throwIfAborted();
  return { answers, usage };
}

/** The summary the report was built from (the replay-checked one first), if the cache still has it. */
async function cachedSummary(runtime: PipelineRuntime, report: Report, sessionId: string): Promise<SessionSummary | undefined> {
  for (const analyst of summaryCacheLabels(runtime, report.learned_site)) {
    const summary = await runtime.summaries.get({ project: runtime.project, sessionId, focusArea: report.focus_area, analyst });
    if (summary) return summary;
  }
  return undefined;
}

/**
 * The session encoded as the report's `load` step encoded it: same events, same recording bounds
 * and signals, same redaction, hence the same rows and event ids the summary cites. A recording
 * that cannot be read leaves the events alone, as it did there.
 */
async function encodeAsSummarized(runtime: PipelineRuntime, sessionId: string, signal?: AbortSignal): Promise<EncodedSession> {
  const meta = await runtime.source.getMeta(sessionId);
  const events: AnalyticsEvent[] = [];
  for await (const event of runtime.source.streamEvents(sessionId, signal ? { signal } : {})) events.push(event);
  let recording: RecordingMetadata | undefined;
  try {
    recording = await computeRecordingMetadata(runtime.source.streamRecording(sessionId, signal ? { signal } : {}));
  } catch (error) {
    if (!(error instanceof SessionSummariesError)) throw error;
  }
  const encoded = encodeRecordedSession({ sessionId, events, recording, startUrl: meta.first_url }, { redactPii: runtime.settings.redactPii ?? true });
  if (encoded.stats.rows === 0) throw new QuestionError("no_events", `session ${sessionId} has no event left to read (${describeDroppedEvents(encoded.stats)})`);
  return encoded;
}
