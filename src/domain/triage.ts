/**
 * Triage: before any model call, the offline rules read each session for issue signals; sessions
 * without any are summarized offline and never sent to a model.
 */
export const TRIAGE_MODES = ["off", "signals"] as const;
export type TriageMode = (typeof TRIAGE_MODES)[number];

/** One issue signal the offline rules saw in a session, shown early as a preliminary issue. */
export interface TriageSignal {
  kind: "exception" | "failure_event" | "rage_click" | "dead_click" | "confusion" | "abandonment" | "slow";
  /** What happened, in a few words ("TypeError on Pay click"). */
  description: string;
  /** Route or page it happened on, when known. */
  page?: string;
}

/** What triage decided for one session. */
export interface TriageDecision {
  /** True: the session goes to the model; false: it is summarized offline. */
  send: boolean;
  signals: TriageSignal[];
}
