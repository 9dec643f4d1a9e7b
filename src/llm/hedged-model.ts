import { createHash } from "node:crypto";
import type { BaseMessage } from "@langchain/core/messages";
import pLimit, { type LimitFunction } from "p-limit";
import { DEFAULTS } from "../config/defaults.ts";
import { percentile } from "../stats/percentile.ts";
import { countTokens } from "../encode/index.ts";
import { ModelCallError } from "./errors.ts";
import { messageText, type ChatModelLike } from "./structured/messages.ts";

/**
 * One analyst's model calls: a cap on calls in flight shared by every role's model, and hedging of
 * the long tail. A call still running after its stage's running p90 gets one duplicate; the first
 * answer wins and the other is cancelled. A stage is a role and a system prompt (summaries,
 * extraction, combination, assignment each have their own latencies).
 */

/** The `response_metadata` key of an answer that took a hedged duplicate; `callStructured` counts it as a call. */
export const HEDGED_CALLS_METADATA_KEY = "hedged_calls";

export interface HedgeSettings {
  /** The stage's latency percentile after which a running call gets a duplicate. */
  percentile: number;
  /** Finished calls of a stage before any of its calls is hedged. */
  minSamples: number;
  /** Finished calls kept per stage. */
  window: number;
}

export interface ModelCallGateOptions {
  /** Model calls in flight at once, hedged duplicates included. */
  maxInFlight: number;
  /** Hedge slow calls (`true`: the defaults); absent or `false`: calls are only capped. */
  hedge?: boolean | Partial<HedgeSettings>;
}

export interface ModelCallStats {
  /** Model calls started, hedged duplicates included. */
  calls: number;
  /** Duplicates started. */
  hedgedCalls: number;
  /** Hedged calls the duplicate answered first. */
  hedgeWins: number;
  /** Calls past their stage's percentile that got no duplicate because the cap was full (it would only have queued). */
  hedgesSkippedAtCap: number;
  inFlight: number;
  peakInFlight: number;
}

interface Attempted {
  message: BaseMessage;
  /** How long the model took for this attempt alone (not the wait for a slot). */
  ms: number;
}

/** The latencies of a stage's last finished calls. */
export class LatencyWindow {
  private readonly samples: number[] = [];
  private next = 0;
  private readonly listeners = new Set<() => void>();
  /** Calls of the stage started and finished since it began (not only those in the window). */
  private startedCalls = 0;
  private finishedCalls = 0;

  constructor(private readonly size: number) {}

  get count(): number {
    return this.samples.length;
  }

  /** A call of the stage started. */
  started(): void {
    this.startedCalls += 1;
  }

  /** The share of the stage's started calls that have finished. */
  get finishedShare(): number {
    return this.startedCalls === 0 ? 0 : Math.min(1, this.finishedCalls / this.startedCalls);
  }

  add(ms: number): void {
    this.finishedCalls += 1;
    if (this.samples.length < this.size) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
    for (const listener of [...this.listeners]) listener();
  }

  /** Calls `listener` after each new sample, until the returned function is called. */
  onSample(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Nearest-rank percentile (`p` in 0..1); undefined with no sample. */
  percentile(p: number): number | undefined {
    return percentile(this.samples, p);
  }
}

export class ModelCallGate {
  readonly stats: ModelCallStats = { calls: 0, hedgedCalls: 0, hedgeWins: 0, hedgesSkippedAtCap: 0, inFlight: 0, peakInFlight: 0 };
  readonly hedge: HedgeSettings | undefined;
  private readonly limit: LimitFunction;
  private readonly stages = new Map<string, LatencyWindow>();

  constructor(options: ModelCallGateOptions) {
    this.limit = pLimit(options.maxInFlight);
    const { hedge } = options;
    if (hedge) {
      const { percentile, minSamples, latencyWindow } = DEFAULTS.speed.hedge;
      this.hedge = { percentile, minSamples, window: latencyWindow, ...(hedge === true ? {} : hedge) };
    }
  }

  get maxInFlight(): number {
    return this.limit.concurrency;
  }

  /** `model` behind the cap (and hedged, when hedging is on); `role` names its stages. */
  wrap(model: ChatModelLike, role: string): ChatModelLike {
    return { invoke: (messages, options) => this.invoke(model, role, messages, options?.signal) };
  }

  /** The delay after which a call of this role and conversation is hedged, once its stage has enough finished calls. */
  hedgeDelayMs(role: string, messages: readonly BaseMessage[]): number | undefined {
    return this.delayOf(this.stages.get(stageKey(role, messages)));
  }

  private delayOf(stage: LatencyWindow | undefined): number | undefined {
    if (!this.hedge || !stage || stage.count < this.hedge.minSamples) return undefined;
    return stage.percentile(this.hedge.percentile);
  }

  private async invoke(model: ChatModelLike, role: string, messages: BaseMessage[], signal: AbortSignal | undefined): Promise<BaseMessage> {
    if (signal?.aborted) throw abortReasonOf(signal);
    if (!this.hedge) return (await this.attempt(model, messages, signal)).message;
    const key = stageKey(role, messages);
    let stage = this.stages.get(key);
    if (!stage) this.stages.set(key, (stage = new LatencyWindow(this.hedge.window)));
    return this.invokeHedged(model, messages, stage, signal);
  }

  /**
   * The original call and, if it is still running after `delayMs`, one duplicate. The first answer
   * wins and the other attempt is aborted; a failure waits for the other attempt; the caller's
   * abort cancels both.
   */
  private invokeHedged(model: ChatModelLike, messages: BaseMessage[], stage: LatencyWindow, signal: AbortSignal | undefined): Promise<BaseMessage> {
    return new Promise<BaseMessage>((resolve, reject) => {
      const original = new AbortController();
      let duplicate: AbortController | undefined;
      let originalStartedAt: number | undefined;
      let timer: NodeJS.Timeout | undefined;
      let stopListening: (() => void) | undefined;
      let settled = false;
      let running = 0;
      let firstError: unknown;

      const settle = () => {
        settled = true;
        clearTimeout(timer);
        stopListening?.();
        signal?.removeEventListener("abort", onCallerAbort);
      };
      const onCallerAbort = () => {
        if (settled) return;
        settle();
        const reason = abortReasonOf(signal!);
        original.abort(reason);
        duplicate?.abort(reason);
        reject(reason);
      };
      signal?.addEventListener("abort", onCallerAbort, { once: true });

      /**
       * Sets the duplicate's timer at the stage's percentile, counted from the original's start; false
       * while it has none. A call that started before the stage had its samples (a run's first calls
       * start together) waits too until the stage's share of finished calls reaches the percentile:
       * the first of a burst to finish are its fastest, and their p90 alone would hedge most of the rest.
       */
      let startedEarly = false;
      const armHedge = (): boolean => {
        if (settled || timer !== undefined || originalStartedAt === undefined) return timer !== undefined;
        const delayMs = this.delayOf(stage);
        if (delayMs === undefined || (startedEarly && stage.finishedShare < this.hedge!.percentile)) return false;
        stopListening?.();
        timer = setTimeout(startDuplicate, Math.max(0, delayMs - (performance.now() - originalStartedAt)));
        return true;
      };

      const startDuplicate = () => {
        if (settled) return;
        // A duplicate that has to wait for a slot would only add to the queue it is meant to beat.
        if (this.limit.activeCount >= this.limit.concurrency || this.limit.pendingCount > 0) {
          this.stats.hedgesSkippedAtCap += 1;
          return;
        }
        duplicate = new AbortController();
        this.stats.hedgedCalls += 1;
        launch(duplicate, true);
      };

      const launch = (controller: AbortController, isDuplicate: boolean) => {
        running += 1;
        const onStarted = (startedAt: number) => {
          if (isDuplicate) return;
          originalStartedAt = startedAt;
          stage.started();
          // A call started before its stage had enough finished calls is armed once it has (see armHedge).
          startedEarly = this.delayOf(stage) === undefined;
          if (!armHedge()) stopListening = stage.onSample(() => void armHedge());
        };
        this.attempt(model, messages, controller.signal, onStarted).then(
          ({ message, ms }) => {
            running -= 1;
            if (settled) return;
            settle();
            stage.add(ms);
            const loser = isDuplicate ? original : duplicate;
            loser?.abort(new ModelCallError("aborted", "cancelled: the other attempt of a hedged call answered first"));
            // The original lost: it ran past the percentile, so it is a slow call; leaving it out would pull the percentile down after each hedge.
            if (isDuplicate && originalStartedAt !== undefined) stage.add(performance.now() - originalStartedAt);
            if (isDuplicate) this.stats.hedgeWins += 1;
            resolve(duplicate ? markHedged(message, messages) : message);
          },
          (error: unknown) => {
            running -= 1;
            if (settled) return;
            if (firstError === undefined || !isDuplicate) firstError = error;
            // The other attempt may still answer.
            if (running > 0) return;
            settle();
            reject(firstError);
          },
        );
      };

      launch(original, false);
    });
  }

  /** One model call in a slot of the cap. */
  private attempt(model: ChatModelLike, messages: BaseMessage[], signal: AbortSignal | undefined, onStarted?: (startedAt: number) => void): Promise<Attempted> {
    return this.limit(async () => {
      // Aborted while waiting for a slot: give the slot to the next call.
      if (signal?.aborted) throw abortReasonOf(signal);
      const { stats } = this;
      stats.calls += 1;
      stats.inFlight += 1;
      stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);
      const startedAt = performance.now();
      onStarted?.(startedAt);
      try {
        const message = await untilAborted(model.invoke(messages, signal ? { signal } : {}), signal);
        return { message, ms: performance.now() - startedAt };
      } finally {
        stats.inFlight -= 1;
      }
    });
  }
}

export function createModelCallGate(options: ModelCallGateOptions): ModelCallGate {
  return new ModelCallGate(options);
}

/** How many hedged duplicates an answer took (0 for an answer without one). */
export function hedgedCallsOf(message: BaseMessage): number {
  const count = (message.response_metadata as Record<string, unknown> | undefined)?.[HEDGED_CALLS_METADATA_KEY];
  return typeof count === "number" ? count : 0;
}

/** A role and a hash of the conversation's system prompt. */
function stageKey(role: string, messages: readonly BaseMessage[]): string {
  const system = messages.find((message) => message.getType() === "system");
  return `${role}:${createHash("sha256")
    .update(system ? messageText(system) : "")
    .digest("hex")
    .slice(0, 12)}`;
}

/**
 * The winning answer, marked as hedged: the duplicate read the same input, so the input tokens
 * count twice (usage as the provider reported it, or estimated like `callStructured` does).
 */
function markHedged(message: BaseMessage, messages: readonly BaseMessage[]): BaseMessage {
  const target = message as BaseMessage & { usage_metadata?: { input_tokens: number; output_tokens: number; total_tokens: number } };
  const input = target.usage_metadata?.input_tokens ?? countTokens(messages.map(messageText).join("\n"));
  const output = target.usage_metadata?.output_tokens ?? countTokens(messageText(message));
  target.usage_metadata = { ...target.usage_metadata, input_tokens: 2 * input, output_tokens: output, total_tokens: 2 * input + output };
  target.response_metadata = { ...target.response_metadata, [HEDGED_CALLS_METADATA_KEY]: 1 };
  return target;
}

function abortReasonOf(signal: AbortSignal): unknown {
  return signal.reason ?? new ModelCallError("aborted", "model call aborted");
}

/** A model that ignores its abort signal must not hold a slot of the cap after the abort. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReasonOf(signal));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
