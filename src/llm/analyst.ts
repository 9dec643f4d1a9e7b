import type { MonitorQuestion, QuestionAnswer } from "../domain/monitor.ts";
import type { RawAssignment, RawPattern } from "../domain/report.ts";
import type { Analyst as AnalystLabel, RawSessionSummary, SessionSummary } from "../domain/summary.ts";
import type { AnalyticsEvent } from "../domain/events.ts";
import type { EncodedSession } from "../encode/index.ts";
import type { RecordingMetadata } from "../replay/metadata.ts";
import type { LearnedSiteData, SiteLearningOptions } from "../analysts/index.ts";

/** Model calls and tokens spent, summed across the run. */
export interface Usage {
  model_calls: number;
  input_tokens: number;
  output_tokens: number;
  /** Hedged duplicates of slow calls, already counted in `model_calls` (their input in `input_tokens`); absent when none. */
  hedged_calls?: number;
}

export const NO_USAGE: Usage = { model_calls: 0, input_tokens: 0, output_tokens: 0 };

export function addUsage(a: Usage, b: Usage): Usage {
  const hedged = (a.hedged_calls ?? 0) + (b.hedged_calls ?? 0);
  return {
    model_calls: a.model_calls + b.model_calls,
    input_tokens: a.input_tokens + b.input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    // Absent rather than 0, so runs without hedging keep the usage they always had.
    ...(hedged > 0 ? { hedged_calls: hedged } : {}),
  };
}

export interface SessionInput {
  encoded: EncodedSession;
  events: AnalyticsEvent[];
  recording?: RecordingMetadata;
  focusArea?: string;
  /** What the run learned about the site across its sessions (offline analyst only; see `learn_site`). */
  learnedSite?: LearnedSiteData;
}

/** A monitor's question about one session, with what the answer reads. */
export interface QuestionInput {
  /** The session encoded as for its summary: the evidence cites the ids of its table. */
  encoded: EncodedSession;
  /** The session's summary, when the cache still has it. */
  summary?: SessionSummary;
  question: MonitorQuestion;
  focusArea?: string;
  /** The run's hallucination rule (`settings.maxUnknownIdRatio`), applied to the cited evidence. */
  maxUnknownIdRatio: number;
}

/** The offline rules as triage uses them: their summary, and how summaries they keep are labelled and cached. */
export interface OfflineTriage {
  readonly label: AnalystLabel;
  readonly cacheLabel: string;
  summarize(input: SessionInput): RawSessionSummary;
}

/**
 * The labelling work of every stage, done by a model or by the offline rules. Everything that
 * counts, merges or computes is plain code outside this interface. Each call reports its usage
 * through `onUsage`; failures throw (typed model errors), and the node decides what fails.
 */
export interface PipelineAnalyst {
  /** Written into summaries and reports: which analyst produced them. */
  readonly label: AnalystLabel;
  /** Per role, `provider:model` or `heuristic`, for the report. */
  readonly models: Record<string, string>;
  /** The summary cache key part: a different analyst means a different summary. */
  readonly cacheLabel: string;
  /**
   * Set when session summaries are made by rules that learn the site across sessions first (the
   * offline analyst): the report graph's `learn_site` step then runs with these settings. A model
   * reads each session on its own and leaves it unset.
   */
  readonly siteLearning?: SiteLearningOptions;
  /** Learns the site from the sessions' events (called by `learn_site` when `siteLearning` is set). */
  learnSite?(sessions: ReadonlyArray<readonly AnalyticsEvent[]>): LearnedSiteData;
  /**
   * Set when a model summarizes sessions: the offline rules, which triage (`src/triage`) runs on each
   * session before any call; a session without an issue signal keeps their summary and is never sent.
   */
  readonly triage?: OfflineTriage;
  summarize(input: SessionInput, onUsage: (usage: Usage) => void, signal?: AbortSignal): Promise<RawSessionSummary>;
  /**
   * A monitor's question about one session, answered by the summarizer's model. Absent when no
   * model reads sessions (the offline analyst): its rules have no answer to free questions. Usage
   * goes to `onUsage` even when the answer is refused, so budgets count the calls it took.
   */
  answerQuestion?(input: QuestionInput, onUsage: (usage: Usage) => void, signal?: AbortSignal): Promise<QuestionAnswer>;
  /** `minSessions`: sessions a pattern needs in this run (default: the analyst's own, 2). */
  extractPatterns(summaries: SessionSummary[], focusArea: string | undefined, onUsage: (usage: Usage) => void, options?: { minSessions?: number }): Promise<RawPattern[]>;
  combinePatterns(lists: RawPattern[][], focusArea: string | undefined, onUsage: (usage: Usage) => void): Promise<RawPattern[]>;
  assignEvents(patterns: RawPattern[], summaries: SessionSummary[], onUsage: (usage: Usage) => void): Promise<RawAssignment[]>;
  /**
   * Patterns and the assignment of the summaries' flagged events to them in one call, for a run
   * whose summaries fit one extraction chunk. Assignments cite the answer's own pattern ids. Absent
   * when extraction and assignment are not model calls (the offline rules): the graph then runs them
   * apart.
   */
  extractAndAssign?(
    summaries: SessionSummary[],
    focusArea: string | undefined,
    onUsage: (usage: Usage) => void,
    options?: { minSessions?: number },
  ): Promise<{ patterns: RawPattern[]; assignments: RawAssignment[] }>;
  /** Tokens a summary costs in the pattern prompts, for chunking. */
  patternInputTokens(summary: SessionSummary): number;
  /** Tokens of the pattern prompts without any summary. */
  readonly patternPromptBaseTokens: number;
}
