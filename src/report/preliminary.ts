import type { PreliminaryIssuesEvent } from "../domain/progress.ts";
import type { TriageSignal } from "../domain/triage.ts";
import { DEFAULTS } from "../config/defaults.ts";

/**
 * Early answers of a report run: the sessions' triage signals (offline rules, before any model
 * reads a session) grouped across sessions, shown as preliminary until the report replaces them.
 * Plain counting, no model.
 */

/** What every surface says the list is. */
export const PRELIMINARY_NOTE = "preliminary (from triage, before any model reads the sessions)";

export const PRELIMINARY_LIMITS = DEFAULTS.speed.preliminary;

/** One issue signal seen in one or more sessions. */
export interface PreliminaryIssue {
  preliminary: true;
  kind: TriageSignal["kind"];
  description: string;
  page?: string;
  /** Sessions with this signal. */
  sessions: number;
  /** A few of them (sorted ids). */
  example_session_ids: string[];
}

export interface PreliminaryIssueList {
  preliminary: true;
  source: "triage";
  note: typeof PRELIMINARY_NOTE;
  /** Sessions triage found at least one signal in, so far. */
  sessions_with_signals: number;
  /** Most sessions first. */
  issues: PreliminaryIssue[];
  /** Groups left out of `issues` (beyond `maxIssues`). */
  more_issues: number;
}

export interface PreliminaryOptions {
  maxIssues?: number;
  examplesPerIssue?: number;
}

interface Group {
  kind: TriageSignal["kind"];
  description: string;
  page?: string;
  sessions: Set<string>;
}

/**
 * Collects `preliminary_issues` events of a run. A session that reports again (a resumed or retried
 * step) replaces its earlier signals, so no session is counted twice.
 */
export class PreliminaryIssues {
  private readonly bySession = new Map<string, TriageSignal[]>();

  constructor(private readonly options: PreliminaryOptions = {}) {}

  /** True when no session has reported a signal yet. */
  get empty(): boolean {
    return this.bySession.size === 0;
  }

  /** Adds a session's signals; true when that changed the list. */
  add(event: PreliminaryIssuesEvent): boolean {
    const previous = this.bySession.get(event.session_id);
    if (event.signals.length === 0) return previous ? this.bySession.delete(event.session_id) : false;
    if (previous && JSON.stringify(previous) === JSON.stringify(event.signals)) return false;
    this.bySession.set(event.session_id, event.signals);
    return true;
  }

  list(): PreliminaryIssueList {
    return groupPreliminaryIssues(this.bySession, this.options);
  }
}

/** Groups the sessions' signals by kind, description and page; most sessions first. */
export function groupPreliminaryIssues(bySession: ReadonlyMap<string, readonly TriageSignal[]>, options: PreliminaryOptions = {}): PreliminaryIssueList {
  const maxIssues = options.maxIssues ?? PRELIMINARY_LIMITS.maxIssues;
  const examples = options.examplesPerIssue ?? PRELIMINARY_LIMITS.examplesPerIssue;
  const groups = new Map<string, Group>();
  for (const [sessionId, signals] of bySession) {
    for (const signal of signals) {
      const key = groupKey(signal);
      let group = groups.get(key);
      if (!group) {
        group = { kind: signal.kind, description: signal.description.trim(), ...(signal.page ? { page: signal.page } : {}), sessions: new Set() };
        groups.set(key, group);
      }
      group.sessions.add(sessionId);
    }
  }
  const ordered = [...groups.values()].sort(
    (a, b) => b.sessions.size - a.sessions.size || a.kind.localeCompare(b.kind) || a.description.localeCompare(b.description) || (a.page ?? "").localeCompare(b.page ?? ""),
  );
  const sessionsWithSignals = [...bySession.values()].filter((signals) => signals.length > 0).length;
  return {
    preliminary: true,
    source: "triage",
    note: PRELIMINARY_NOTE,
    sessions_with_signals: sessionsWithSignals,
    issues: ordered.slice(0, maxIssues).map((group) => ({
      preliminary: true,
      kind: group.kind,
      description: group.description,
      ...(group.page ? { page: group.page } : {}),
      sessions: group.sessions.size,
      example_session_ids: [...group.sessions].sort().slice(0, examples),
    })),
    more_issues: Math.max(0, ordered.length - maxIssues),
  };
}

/** The same signal in different sessions: case and spacing of the description do not split a group. */
function groupKey(signal: TriageSignal): string {
  const description = signal.description.trim().replace(/\s+/g, " ").toLowerCase();
  return JSON.stringify([signal.kind, description, signal.page ?? ""]);
}

/** One line per listed issue, e.g. `exception: TypeError on Pay click (/checkout), 4 sessions`. */
export function preliminaryIssueLines(list: PreliminaryIssueList, max: number = PRELIMINARY_LIMITS.issuesInMessage): string[] {
  const lines = list.issues
    .slice(0, max)
    .map((issue) => `${issue.kind.replace(/_/g, " ")}: ${issue.description}${issue.page ? ` (${issue.page})` : ""}, ${issue.sessions} session${issue.sessions === 1 ? "" : "s"}`);
  const left = list.issues.length - lines.length + list.more_issues;
  if (left > 0) lines.push(`and ${left} more`);
  return lines;
}

/** A heading for the list, e.g. `Preliminary issues (from triage, before any model reads the sessions): 3 in 5 sessions`. */
export function preliminaryHeading(list: PreliminaryIssueList): string {
  const groups = list.issues.length + list.more_issues;
  return `Preliminary issues (from triage, before any model reads the sessions): ${groups} in ${list.sessions_with_signals} session${list.sessions_with_signals === 1 ? "" : "s"}`;
}
