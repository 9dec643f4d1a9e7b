import { createHash } from "node:crypto";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { z } from "zod";
import type { AppConfig } from "../config/env.ts";
import type { ModelRole } from "../config/models.ts";
import { RawAssignmentListSchema, RawPatternListSchema, type RawAssignment, type RawPattern } from "../domain/report.ts";
import { RawSessionSummarySchema, type Analyst, type RawSessionSummary, type SessionSummary } from "../domain/summary.ts";
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
  formatAssignPatterns,
  formatCombinePatterns,
  formatExtractPatterns,
  formatSummarizeSession,
  formatSummaryForPatterns,
  SUMMARIZE_SESSION_SYSTEM,
} from "../../prompts/index.ts";
import type { QuestionAnswer } from "../domain/monitor.ts";
import type { PipelineAnalyst, QuestionInput, SessionInput, Usage } from "./analyst.ts";
import { answerSessionQuestion } from "./question.ts";
import { describeModels, loadModel, resolveModelSpec, type LoadModelOptions } from "./models.ts";
import { callLimitsFor, type ModelCallLimits } from "./provider-limits.ts";
import { callStructured, createUsage, type UsageTotals } from "./structured/call.ts";

/** Changes whenever the summary prompt's instructions change. */
export const SUMMARY_PROMPT_VERSION = createHash("sha256").update(SUMMARIZE_SESSION_SYSTEM).digest("hex").slice(0, 8);

const NO_CALL: Usage = { model_calls: 0, input_tokens: 0, output_tokens: 0 };

function asUsage(totals: UsageTotals): Usage {
  return { model_calls: totals.calls, input_tokens: totals.inputTokens, output_tokens: totals.outputTokens };
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
  /** Only a model answers free questions: set when the summarizer role has one. */
  readonly answerQuestion?: (input: QuestionInput, onUsage: (usage: Usage) => void, signal?: AbortSignal) => Promise<QuestionAnswer>;

  constructor(
    private readonly summarizer: BaseChatModel | undefined,
    private readonly reasoner: BaseChatModel | undefined,
    readonly models: Record<string, string>,
    private readonly timeoutMs: number,
    /** The offline rules' settings (a product map's site model); `offlineKey` names them in the cache label. */
    private readonly offlineSettings: OfflineAnalystOverrides = {},
    offlineKey = "",
    /** Shared provider budgets per role's model (with a queue); absent: calls are limited only by the model client. */
    private readonly callLimits: { summarizer?: ModelCallLimits; reasoner?: ModelCallLimits } = {},
  ) {
    const offline = !summarizer && !reasoner;
    this.label = offline ? { kind: "heuristic", label: OFFLINE_ANALYST_LABEL } : { kind: "model", label: `summarizer ${models.summarizer}, reasoner ${models.reasoner}` };
    // A model's summaries are cached per prompt too, the offline analyst's per version of its rules: editing either summarizes again.
    this.cacheLabel = summarizer ? `${models.summarizer!}@${SUMMARY_PROMPT_VERSION}` : `heuristic@${OFFLINE_ANALYST_VERSION}${offlineKey ? `+${offlineKey}` : ""}`;
    // The offline rules read no prompt: all summaries go in one chunk, so no cluster is split.
    this.patternPromptBaseTokens = reasoner ? countPromptTokens(formatExtractPatterns({ digests: [] })) : 0;
    // Only the offline rules summarize better for knowing the site across sessions.
    if (!summarizer) this.siteLearning = resolveAnalystOptions(offlineSettings).learning;
    if (summarizer) this.answerQuestion = (input, onUsage, signal) => this.askSummarizer(summarizer, input, onUsage, signal);
  }

  private async askSummarizer(model: BaseChatModel, input: QuestionInput, onUsage: (usage: Usage) => void, signal?: AbortSignal): Promise<QuestionAnswer> {
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
    const usage = createUsage();
    try {
      const { value } = await callStructured({
        model: this.summarizer,
        messages: formatSummarizeSession({ encodedText: input.encoded.text, focusArea: input.focusArea }),
        schema: RawSessionSummarySchema,
        role: "summarizer",
        label: `summary of session ${input.encoded.sessionId}`,
        timeoutMs: this.timeoutMs,
        signal,
        usage,
        limits: this.callLimits.summarizer,
      });
      return value;
    } finally {
      onUsage(asUsage(usage));
    }
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

/** The analyst for a run, from the configured models (tests pass a `factory` with scripted fakes). */
export function createPipelineAnalyst(config: AppConfig, options: LoadModelOptions = {}): StagedAnalyst {
  const load = (role: ModelRole) => loadModel(role, config, options);
  // A product map sharpens the offline rules; its content is part of the cache key, so editing it summarizes again.
  const productMap = config.productMapPath ? loadProductMap(config.productMapPath) : undefined;
  const offline: OfflineAnalystOverrides = productMap ? { site: createSiteModel({ productMap }) } : {};
  const offlineKey = productMap ? `map:${createHash("sha256").update(JSON.stringify(productMap)).digest("hex").slice(0, 8)}` : "";
  const limitsOf = (role: ModelRole) => callLimitsFor(resolveModelSpec(role, config, options.overrides), options.limits);
  return new StagedAnalyst(load("summarizer"), load("reasoner"), describeModels(config, options.overrides), config.modelCalls.timeoutMs, offline, offlineKey, {
    summarizer: limitsOf("summarizer"),
    reasoner: limitsOf("reasoner"),
  });
}
