import { createHash } from "node:crypto";
import type { BaseMessage } from "@langchain/core/messages";
import type { z } from "zod";
import { DEFAULTS } from "../config/defaults.ts";
import type { AppConfig } from "../config/env.ts";
import type { ModelRole } from "../config/models.ts";
import { RawAssignmentListSchema, RawPatternListSchema, type RawAssignment, type RawPattern } from "../domain/report.ts";
import type { Analyst, RawSessionSummary, SessionSummary } from "../domain/summary.ts";
import {
  assignEventsOffline,
  createSiteModel,
  DEFAULT_SITE,
  extractPatternsOffline,
  learnSiteFromSessions,
  resolveAnalystOptions,
  withLearnedSite,
  loadProductMap,
  OFFLINE_ANALYST_LABEL,
  OFFLINE_ANALYST_VERSION,
  summarizeSessionOffline,
  type LearnedSiteData,
  type OfflineAnalystOverrides,
  type SiteLearningOptions,
} from "../analysts/index.ts";
import type { AnalyticsEvent } from "../domain/events.ts";
import { countTokens } from "../encode/tokens.ts";
import {
  countPromptTokens,
  ExtractAssignAnswerSchema,
  formatAssignPatterns,
  formatCombinePatterns,
  formatExtractAssignPatterns,
  formatExtractPatterns,
  formatSummaryForPatterns,
  SUMMARIZE_SESSION_SYSTEM,
} from "../../prompts/index.ts";
import type { QuestionAnswer } from "../domain/monitor.ts";
import type { OfflineTriage, PipelineAnalyst, QuestionInput, SessionInput, Usage } from "./analyst.ts";
import { answerSessionQuestion } from "./question.ts";
import { describeModels, loadModel, resolveModelSpec, type LoadModelOptions } from "./models.ts";
import { callLimitsFor, type ModelCallLimits } from "./provider-limits.ts";
import { callStructured, createUsage, type UsageTotals } from "./structured/call.ts";
import { summarizeAlone, SummaryBatcher, type SummaryBatchLimits } from "./batch/index.ts";
import type { ChatModelLike } from "./structured/messages.ts";
import { createModelCallGate, type ModelCallGate } from "./hedged-model.ts";

/** Changes whenever the summary prompt's instructions change. */
export const SUMMARY_PROMPT_VERSION = createHash("sha256").update(SUMMARIZE_SESSION_SYSTEM).digest("hex").slice(0, 8);

const NO_CALL: Usage = { model_calls: 0, input_tokens: 0, output_tokens: 0 };

function asUsage(totals: UsageTotals): Usage {
  return { model_calls: totals.calls, input_tokens: totals.inputTokens, output_tokens: totals.outputTokens, ...(totals.hedgedCalls ? { hedged_calls: totals.hedgedCalls } : {}) };
}

/**
 * The report's analyst: each stage is labelled by its role's model when one is configured, and by
 * the offline rules otherwise (`summarizer` for session summaries, `reasoner` for the pattern
 * stages). With no model at all it is the offline analyst, and says so.
 */
export class StagedAnalyst implements PipelineAnalyst {
  readonly label: Analyst;
  readonly cacheLabel: string;
  readonly patternPromptBaseTokens: number;
  readonly siteLearning?: SiteLearningOptions;
  readonly triage?: OfflineTriage;
  /** Packs concurrent session summaries into shared calls when batching is on. */
  private readonly summaryBatcher?: SummaryBatcher;
  /** Only a model answers free questions: set when the summarizer role has one. */
  readonly answerQuestion?: (input: QuestionInput, onUsage: (usage: Usage) => void, signal?: AbortSignal) => Promise<QuestionAnswer>;

  constructor(
    private readonly summarizer: ChatModelLike | undefined,
    private readonly reasoner: ChatModelLike | undefined,
    readonly models: Record<string, string>,
    private readonly timeoutMs: number,
    /** The offline rules' settings (a product map's site model); `offlineKey` names them in the cache label. */
    private readonly offlineSettings: OfflineAnalystOverrides = {},
    offlineKey = "",
    /** Shared provider budgets per role's model (with a queue); absent: calls are limited only by the model client. */
    private readonly callLimits: { summarizer?: ModelCallLimits; reasoner?: ModelCallLimits } = {},
    /** Several small sessions per summarizer call (`DEFAULTS.speed.batch`); absent: one call per session. */
    summaryBatch?: SummaryBatchLimits,
  ) {
    if (summarizer && summaryBatch) this.summaryBatcher = new SummaryBatcher({ model: summarizer, timeoutMs, limits: callLimits.summarizer }, summaryBatch);
    const offline = !summarizer && !reasoner;
    this.label = offline ? { kind: "heuristic", label: OFFLINE_ANALYST_LABEL } : { kind: "model", label: `summarizer ${models.summarizer}, reasoner ${models.reasoner}` };
    // A model's summaries are cached per prompt too, the offline analyst's per version of its rules: editing either summarizes again.
    this.cacheLabel = summarizer ? `${models.summarizer!}@${SUMMARY_PROMPT_VERSION}` : `heuristic@${OFFLINE_ANALYST_VERSION}${offlineKey ? `+${offlineKey}` : ""}`;
    // The offline rules read no prompt: all summaries go in one chunk, so no cluster is split.
    this.patternPromptBaseTokens = reasoner ? countPromptTokens(formatExtractPatterns({ digests: [] })) : 0;
    // Only the offline rules summarize better for knowing the site across sessions.
    if (!summarizer) this.siteLearning = resolveAnalystOptions(offlineSettings).learning;
    if (summarizer) this.answerQuestion = (input, onUsage, signal) => this.askSummarizer(summarizer, input, onUsage, signal);
    if (summarizer) {
      this.triage = {
        label: { kind: "heuristic", label: OFFLINE_ANALYST_LABEL },
        cacheLabel: `heuristic@${OFFLINE_ANALYST_VERSION}${offlineKey ? `+${offlineKey}` : ""}+triage`,
        summarize: (input) => summarizeSessionOffline(input, this.offlineSettings),
      };
    }
  }

  private async askSummarizer(model: ChatModelLike, input: QuestionInput, onUsage: (usage: Usage) => void, signal?: AbortSignal): Promise<QuestionAnswer> {
    const usage = createUsage();
    try {
      return await answerSessionQuestion(input, {
        model,
        role: "summarizer",
        timeoutMs: this.timeoutMs,
        usage,
        ...(signal ? { signal } : {}),
        ...(this.callLimits.summarizer ? { limits: this.callLimits.summarizer } : {}),
      });
    } finally {
      onUsage(asUsage(usage));
    }
  }

  learnSite(sessions: ReadonlyArray<readonly AnalyticsEvent[]>): LearnedSiteData {
    const options = resolveAnalystOptions(this.offlineSettings);
    return learnSiteFromSessions(sessions, options.site, options.learning, options.routes);
  }

  async summarize(input: SessionInput, onUsage: (usage: Usage) => void, signal?: AbortSignal): Promise<RawSessionSummary> {
    if (!this.summarizer) {
      onUsage(NO_CALL);
      const site = input.learnedSite ? withLearnedSite(this.offlineSettings.site ?? DEFAULT_SITE, input.learnedSite) : this.offlineSettings.site;
      return summarizeSessionOffline(input, { ...this.offlineSettings, ...(site ? { site } : {}) });
    }
    if (this.summaryBatcher) return this.summaryBatcher.summarize(input, onUsage, signal);
    return summarizeAlone({ model: this.summarizer, timeoutMs: this.timeoutMs, limits: this.callLimits.summarizer }, input, onUsage, signal);
  }

  async extractPatterns(summaries: SessionSummary[], focusArea: string | undefined, onUsage: (usage: Usage) => void, options: { minSessions?: number } = {}): Promise<RawPattern[]> {
    const { minSessions } = options;
    if (!this.reasoner) {
      const settings = minSessions === undefined ? this.offlineSettings : { ...this.offlineSettings, patterns: { ...this.offlineSettings.patterns, minSessions } };
      return extractPatternsOffline(summaries, settings);
    }
    const value = await this.reason(
      formatExtractPatterns({ digests: summaries.map((s, i) => formatSummaryForPatterns(s, { label: `s${i + 1}` })), focusArea, ...(minSessions !== undefined ? { minSessions } : {}) }),
      RawPatternListSchema,
      `patterns of ${summaries.length} sessions`,
      onUsage,
    );
    return value.patterns;
  }

  async combinePatterns(lists: RawPattern[][], focusArea: string | undefined, onUsage: (usage: Usage) => void): Promise<RawPattern[]> {
    // The offline analyst extracts from all summaries at once (no token limit): nothing to combine.
    if (!this.reasoner) return lists.flat();
    const value = await this.reason(formatCombinePatterns({ batches: lists.map((patterns) => ({ patterns })), focusArea }), RawPatternListSchema, `combining ${lists.length} pattern lists`, onUsage);
    return value.patterns;
  }

  async assignEvents(patterns: RawPattern[], summaries: SessionSummary[], onUsage: (usage: Usage) => void): Promise<RawAssignment[]> {
    if (!this.reasoner) return assignEventsOffline(patterns, summaries, this.offlineSettings);
    const value = await this.reason(
      formatAssignPatterns({ patterns, digests: summaries.map((s, i) => formatSummaryForPatterns(s, { label: `s${i + 1}` })) }),
      RawAssignmentListSchema,
      `assigning events of ${summaries.length} sessions`,
      onUsage,
    );
    return value.patterns;
  }

  /** Only a reasoner model extracts and assigns in one call; the offline rules keep their two steps (and their reports). */
  get extractAndAssign(): PipelineAnalyst["extractAndAssign"] {
    return this.reasoner ? (summaries, focusArea, onUsage, options) => this.extractAndAssignWithReasoner(summaries, focusArea, onUsage, options) : undefined;
  }

  private async extractAndAssignWithReasoner(
    summaries: SessionSummary[],
    focusArea: string | undefined,
    onUsage: (usage: Usage) => void,
    options: { minSessions?: number } = {},
  ): Promise<{ patterns: RawPattern[]; assignments: RawAssignment[] }> {
    const { minSessions } = options;
    const value = await this.reason(
      formatExtractAssignPatterns({ digests: summaries.map((s, i) => formatSummaryForPatterns(s, { label: `s${i + 1}` })), focusArea, ...(minSessions !== undefined ? { minSessions } : {}) }),
      ExtractAssignAnswerSchema,
      `patterns and assignments of ${summaries.length} sessions`,
      onUsage,
    );
    return { patterns: value.patterns, assignments: value.assignments };
  }

  patternInputTokens(summary: SessionSummary): number {
    return this.reasoner ? countTokens(formatSummaryForPatterns(summary)) : 0;
  }

  private async reason<S extends z.ZodType>(messages: BaseMessage[], schema: S, label: string, onUsage: (usage: Usage) => void): Promise<z.output<S>> {
    const usage = createUsage();
    try {
      const { value } = await callStructured({ model: this.reasoner!, messages, schema, role: "reasoner", label, timeoutMs: this.timeoutMs, usage, limits: this.callLimits.reasoner });
      return value;
    } finally {
      onUsage(asUsage(usage));
    }
  }
}

/**
 * The analyst for a run, from the configured models (tests pass a `factory` with scripted fakes).
 * Its models share `calls`: the cap on calls in flight (`SESSION_SUMMARIES_MODEL_CONCURRENCY`),
 * hedging when `SESSION_SUMMARIES_HEDGE` is on, and the counters of both.
 */
export function createPipelineAnalyst(
  config: AppConfig,
  options: LoadModelOptions = {},
  calls: ModelCallGate = createModelCallGate({ maxInFlight: config.modelCalls.maxConcurrency, hedge: config.speed.hedge }),
): StagedAnalyst {
  const load = (role: ModelRole) => {
    const model = loadModel(role, config, options);
    return model ? calls.wrap(model, role) : undefined;
  };
  // A product map sharpens the offline rules; its content is part of the cache key, so editing it summarizes again.
  const productMap = config.productMapPath ? loadProductMap(config.productMapPath) : undefined;
  const offline: OfflineAnalystOverrides = productMap ? { site: createSiteModel({ productMap }) } : {};
  const offlineKey = productMap ? `map:${createHash("sha256").update(JSON.stringify(productMap)).digest("hex").slice(0, 8)}` : "";
  const limitsOf = (role: ModelRole) => callLimitsFor(resolveModelSpec(role, config, options.overrides), options.limits);
  return new StagedAnalyst(
    load("summarizer"),
    load("reasoner"),
    describeModels(config, options.overrides),
    config.modelCalls.timeoutMs,
    offline,
    offlineKey,
    {
      summarizer: limitsOf("summarizer"),
      reasoner: limitsOf("reasoner"),
    },
    config.speed.batch ? DEFAULTS.speed.batch : undefined,
  );
}
