import type { AnalyticsEvent } from "../domain/events.ts";
import { issueKindsOf, type RawSessionSummary } from "../domain/summary.ts";
import type { TriageDecision, TriageSignal } from "../domain/triage.ts";
import type { EventRef } from "../encode/types.ts";
import { describeException, exceptionFactsOf } from "../encode/exceptions.ts";
import { redactOutputText } from "../encode/pii.ts";
import type { RecordingMetadata } from "../replay/metadata.ts";
import { DEFAULTS } from "../config/defaults.ts";

/**
 * Triage reads a session for issue signals before any model call, from two sources that fail
 * differently: the raw events (an exception, a rage or dead click, an event whose name says
 * something failed, a long loading wait in the recording) and the offline rules' summary (their
 * flags: exceptions, confusion such as retries and back-and-forth, abandonment, slow pages). Any
 * one signal sends the session to the model; none at all means the offline summary is the summary.
 * It errs towards sending: a missed issue costs more than a call.
 */

export interface TriageInput {
  events: readonly AnalyticsEvent[];
  recording?: RecordingMetadata;
  /** The encoding's ids, to name the page of a flagged key action. */
  idMap: ReadonlyMap<string, EventRef>;
  /** The offline rules' summary; absent when they could not summarize (the session is then sent). */
  offline?: RawSessionSummary;
}

export interface TriageOptions {
  longWaitMs?: number;
  maxSignals?: number;
}

/** Custom events whose name says a step failed (`checkout validation failed`, `coupon rejected`, `api_error`). */
const FAILURE_NAME = /(fail|error|reject|invalid|denied|timed?[\s_-]?out|declin|unavailable|crash)/i;

/** "(4 times)" in a rule's description: the same problem reads the same in every session. */
const REPEAT_COUNT = /\s*\(\d+ times\)/g;

export function triageSession(input: TriageInput, options: TriageOptions = {}): TriageDecision {
  const longWaitMs = options.longWaitMs ?? DEFAULTS.speed.triageLongWaitMs;
  const maxSignals = options.maxSignals ?? DEFAULTS.speed.triageMaxSignals;
  const signals: TriageSignal[] = [];
  for (const event of input.events) {
    const page = pathOf(event.properties.$current_url);
    if (event.event === "$exception") {
      signals.push({ kind: "exception", description: describeException(exceptionFactsOf(event.properties)) || "an exception", ...page });
    } else if (event.event === "$rageclick") {
      signals.push({ kind: "rage_click", description: `rage clicks${elementText(event)}`, ...page });
    } else if (event.event === "$dead_click") {
      signals.push({ kind: "dead_click", description: `a click nothing answered${elementText(event)}`, ...page });
    } else if (!event.event.startsWith("$") && FAILURE_NAME.test(event.event)) {
      signals.push({ kind: "failure_event", description: event.event, ...page });
    }
  }
  for (const wait of input.recording?.loadingWaits ?? []) {
    const ms = wait.endMs - wait.startMs;
    if (ms >= longWaitMs || !wait.resolved) signals.push({ kind: "slow", description: wait.resolved ? `a ${Math.round(ms / 100) / 10} s loading wait` : "left while the page was loading" });
  }
  if (!input.offline) {
    // The rules could not read the session: only a model can say whether anything went wrong.
    return { send: true, signals: dedupe(signals).slice(0, maxSignals) };
  }
  // The rules' flags add what the raw events do not already say on that page (their words vary per
  // session, the events' do not: the preliminary list groups by them).
  const raw = new Set(signals.map((signal) => `${signal.kind}\u0000${signal.page ?? ""}`));
  for (const segment of input.offline.segments) {
    for (const action of segment.key_actions) {
      const page = pathOf(input.idMap.get(action.event_id)?.url);
      for (const kind of issueKindsOf(action)) {
        const signalKind = kind === "blocking_exception" || kind === "non_blocking_exception" ? "exception" : kind === "slow_page" ? "slow" : kind;
        if (raw.has(`${signalKind}\u0000${page.page ?? ""}`)) continue;
        signals.push({ kind: signalKind, description: action.description.replace(REPEAT_COUNT, ""), ...page });
      }
    }
  }
  const unique = dedupe(signals);
  return { send: unique.length > 0, signals: unique.slice(0, maxSignals) };
}

/** Signals as they leave the run (streams, pages): page text and error messages may hold personal data or keys. */
export function redactSignals(signals: readonly TriageSignal[]): TriageSignal[] {
  return signals.map((signal) => ({ ...signal, description: redactOutputText(signal.description), ...(signal.page ? { page: redactOutputText(signal.page) } : {}) }));
}

function dedupe(signals: TriageSignal[]): TriageSignal[] {
  const seen = new Set<string>();
  return signals.filter((signal) => {
    const key = `${signal.kind}\u0000${signal.description}\u0000${signal.page ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The URL's path (no query: it may hold personal data), as `{ page }` when there is one. */
function pathOf(url: unknown): { page?: string } {
  if (typeof url !== "string" || url === "") return {};
  try {
    return { page: new URL(url).pathname };
  } catch {
    return {};
  }
}

function elementText(event: AnalyticsEvent): string {
  const text = event.properties.$el_text;
  return typeof text === "string" && text.trim() !== "" ? ` on "${text.trim().slice(0, 40)}"` : "";
}
