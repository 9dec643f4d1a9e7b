import type { RawSessionSummary } from "../../domain/summary.ts";
import { countPromptTokens, formatSummarizeSessions } from "../../../prompts/index.ts";
import type { SessionInput, Usage } from "../analyst.ts";
import { ModelCallError } from "../errors.ts";
import { createUsage, type UsageTotals } from "../structured/call.ts";
import { packRequestsFirstFit, splitProportionally } from "./pack.ts";
import { summarizeAlone, summarizeTogether, usageOf, type BatchEntryOutcome, type SummaryCallSettings } from "./summary-calls.ts";

/** `DEFAULTS.speed.batch` without the switch. */
export interface SummaryBatchLimits {
  /** Sessions per call at most. */
  maxSessions: number;
  /** Input tokens per call at most: the batch prompt with every session's table. */
  maxInputTokens: number;
  /** A session larger than this is summarized alone, without waiting. */
  maxSessionTokens: number;
  /** How long a request waits for others to share its call. */
  waitMs: number;
}

interface SummaryRequest {
  input: SessionInput;
  tokens: number;
  onUsage: (usage: Usage) => void;
  signal?: AbortSignal;
  /** Resolved, rejected or aborted: nobody waits for it any more. */
  settled: boolean;
  resolve(summary: RawSessionSummary): void;
  reject(error: unknown): void;
  abort(): void;
}

/** The requests waiting on one abort signal (a run's sessions usually share it): one listener per signal, not per request. */
interface WatchedSignal {
  requests: Set<SummaryRequest>;
  onAbort: () => void;
}

interface WaitingGroup {
  requests: SummaryRequest[];
  timer: NodeJS.Timeout;
}

/**
 * Packs concurrent `summarize` requests into shared summarizer calls. Requests arriving within
 * `waitMs` of the first one waiting (with the same focus area: it is part of the prompt) are packed
 * by tokens and sent together. A batch whose whole answer is unusable is retried in halves, down to
 * single-session calls (the ordinary prompt); a session whose entry is missing or malformed is
 * retried alone while its neighbours keep their answers. Each session's summary is still checked
 * by the session graph (the hallucination rule) against its own ids.
 *
 * A hand-written collector rather than `dataloader`: the window is the only part they share; the
 * packing by tokens, the focus-area groups, abort and the split retries are ours either way.
 */
export class SummaryBatcher {
  private readonly waiting = new Map<string, WaitingGroup>();
  private readonly watched = new Map<AbortSignal, WatchedSignal>();
  /** The batch prompt without any session. */
  private readonly promptTokens: number;

  constructor(
    private readonly call: SummaryCallSettings,
    private readonly limits: SummaryBatchLimits,
  ) {
    this.promptTokens = countPromptTokens(formatSummarizeSessions({ encodedTexts: [] }));
  }

  summarize(input: SessionInput, onUsage: (usage: Usage) => void, signal?: AbortSignal): Promise<RawSessionSummary> {
    const tokens = input.encoded.stats.tokens;
    if (signal?.aborted) return Promise.reject(new ModelCallError("aborted", `summary of session ${input.encoded.sessionId}: aborted before the call`));
    if (tokens > this.limits.maxSessionTokens || this.limits.maxSessions <= 1) return summarizeAlone(this.call, input, onUsage, signal);

    return new Promise<RawSessionSummary>((resolve, reject) => {
      const settle = (finish: () => void) => {
        if (request.settled) return;
        request.settled = true;
        this.unwatch(request);
        finish();
      };
      const request: SummaryRequest = {
        input,
        tokens,
        onUsage,
        ...(signal ? { signal } : {}),
        settled: false,
        resolve: (summary) => settle(() => resolve(summary)),
        reject: (error) => settle(() => reject(error)),
        abort: () => {
          this.leave(request);
          settle(() => reject(new ModelCallError("aborted", `summary of session ${input.encoded.sessionId}: aborted`)));
        },
      };
      this.watch(request);
      this.join(request);
    });
  }

  private watch(request: SummaryRequest): void {
    const signal = request.signal;
    if (!signal) return;
    let watched = this.watched.get(signal);
    if (!watched) {
      const requests = new Set<SummaryRequest>();
      watched = {
        requests,
        onAbort: () => {
          this.watched.delete(signal);
          for (const waiting of [...requests]) waiting.abort();
        },
      };
      this.watched.set(signal, watched);
      signal.addEventListener("abort", watched.onAbort, { once: true });
    }
    watched.requests.add(request);
  }

  private unwatch(request: SummaryRequest): void {
    const signal = request.signal;
    const watched = signal && this.watched.get(signal);
    if (!watched) return;
    watched.requests.delete(request);
    if (watched.requests.size === 0) {
      signal.removeEventListener("abort", watched.onAbort);
      this.watched.delete(signal);
    }
  }

  private join(request: SummaryRequest): void {
    const key = request.input.focusArea?.trim() ?? "";
    let group = this.waiting.get(key);
    if (!group) {
      group = { requests: [], timer: setTimeout(() => this.flush(key), this.limits.waitMs) };
      this.waiting.set(key, group);
    }
    group.requests.push(request);
    // A full call's worth waiting: no reason to wait longer.
    if (group.requests.length >= this.limits.maxSessions) this.flush(key);
  }

  /** A request aborted while waiting leaves its group (an empty group stops its timer). */
  private leave(request: SummaryRequest): void {
    const key = request.input.focusArea?.trim() ?? "";
    const group = this.waiting.get(key);
    if (!group) return;
    group.requests = group.requests.filter((candidate) => candidate !== request);
    if (group.requests.length === 0) {
      clearTimeout(group.timer);
      this.waiting.delete(key);
    }
  }

  private flush(key: string): void {
    const group = this.waiting.get(key);
    if (!group) return;
    clearTimeout(group.timer);
    this.waiting.delete(key);
    const packs = packRequestsFirstFit(group.requests, (request) => request.tokens, {
      maxItems: this.limits.maxSessions,
      maxTokens: this.limits.maxInputTokens - this.promptTokens,
      maxItemTokens: this.limits.maxSessionTokens,
    });
    for (const pack of packs) void this.send(pack);
  }

  /** One call for `requests`; never rejects (every request is settled by it or by its retries). */
  private async send(requests: readonly SummaryRequest[]): Promise<void> {
    const members = requests.filter((request) => !request.settled);
    if (members.length === 0) return;
    if (members.length === 1) return this.sendAlone(members[0]!);

    const usage = createUsage();
    const cancel = abortWhenAllAbort(members.map((request) => request.signal));
    let outcomes: BatchEntryOutcome[] | undefined;
    try {
      outcomes = await summarizeTogether(
        this.call,
        members.map((request) => request.input),
        usage,
        cancel?.signal,
      );
    } catch {
      outcomes = undefined;
    } finally {
      cancel?.dispose();
    }
    attributeUsage(members, usage);
    if (!outcomes) {
      // The whole answer was unusable: halves, down to single-session calls, so one bad session cannot fail the rest.
      const half = Math.ceil(members.length / 2);
      await Promise.all([this.send(members.slice(0, half)), this.send(members.slice(half))]);
      return;
    }
    const answered = outcomes;
    await Promise.all(
      members.map((request, index) => {
        const outcome = answered[index]!;
        if (outcome.ok) {
          request.resolve(outcome.summary);
          return undefined;
        }
        return this.sendAlone(request);
      }),
    );
  }

  private async sendAlone(request: SummaryRequest): Promise<void> {
    if (request.settled) return;
    try {
      request.resolve(await summarizeAlone(this.call, request.input, request.onUsage, request.signal));
    } catch (error) {
      request.reject(error);
    }
  }
}

/**
 * A batch call's usage, counted once: the call(s) go to the first member still waiting, the tokens
 * are split over the members still waiting by their input size (so the run's sum is exact). Members
 * that aborted meanwhile have returned and count nothing, unless every member did.
 */
function attributeUsage(members: readonly SummaryRequest[], totals: UsageTotals): void {
  const waiting = members.filter((request) => !request.settled);
  const payers = waiting.length > 0 ? waiting : members;
  const weights = payers.map((request) => request.tokens);
  const input = splitProportionally(totals.inputTokens, weights);
  const output = splitProportionally(totals.outputTokens, weights);
  const usage = usageOf(totals);
  payers.forEach((request, index) =>
    request.onUsage({
      model_calls: index === 0 ? usage.model_calls : 0,
      input_tokens: input[index]!,
      output_tokens: output[index]!,
      ...(index === 0 && usage.hedged_calls ? { hedged_calls: usage.hedged_calls } : {}),
    }),
  );
}

/** A signal that aborts once every one of `signals` has; `undefined` when one of them can never abort. */
function abortWhenAllAbort(signals: ReadonlyArray<AbortSignal | undefined>): { signal: AbortSignal; dispose(): void } | undefined {
  if (signals.some((signal) => signal === undefined)) return undefined;
  const distinct = [...new Set(signals as AbortSignal[])];
  // One signal for all (a run's sessions): it is the batch's signal as it is.
  if (distinct.length === 1) return { signal: distinct[0]!, dispose: () => {} };
  const controller = new AbortController();
  const check = () => {
    if (distinct.every((signal) => signal.aborted)) controller.abort(new ModelCallError("aborted", "every session of the batch was aborted"));
  };
  for (const signal of distinct) signal.addEventListener("abort", check, { once: true });
  check();
  return {
    signal: controller.signal,
    dispose: () => {
      for (const signal of distinct) signal.removeEventListener("abort", check);
    },
  };
}
