import { SessionSummariesError } from "../domain/errors.ts";
import type { IssueDay, IssueExample, IssueState, Monitor, TrackedIssue } from "../domain/monitor.ts";
import { compareSeverity, type PatternExample, type ReportPattern } from "../domain/report.ts";
import { fingerprintParts, formatFingerprint, sameError, similarPatterns, type FingerprintOptions, type SimilarityOptions } from "./fingerprint.ts";
import { HOUR_MS, utcDay } from "./clock.ts";

/**
 * Issues tracked over time: each sweep's patterns matched to long-lived issues by fingerprint, and
 * the issue states moved on. Plain code: the caller loads the monitor's issues and saves what comes
 * back (new issues have id 0 until saved: `withIssueIds` puts the saved ids on days and transitions).
 *
 * States (one step per sweep):
 * - seen for the first time → `new`; seen again in a later sweep → `ongoing`;
 * - not seen for `resolve_after_sweeps` sweeps in a row AND for `resolve_after_hours` → `resolved`;
 * - seen after `resolved` → `regressed`; seen again after that → `ongoing`;
 * - `snoozed` until a date: counted, no state change, until the date passed and it is seen again
 *   (→ `regressed` if it would have resolved meanwhile, else `ongoing`); unseen past the date, it can resolve;
 * - `muted`: stays muted, still counted.
 * A sweep that took no sessions is no evidence of absence: nothing moves. An issue keeps its first
 * title (people know it by it) and takes the worst severity any sweep gave it.
 */

export class IssueTrackingError extends SessionSummariesError {}

/** The monitor definition's default (`min_issue_sessions`), for callers that pass none. */
const DEFAULT_MIN_ISSUE_SESSIONS = 2;

export interface IssueTransition {
  issue: TrackedIssue;
  /** `null` for an issue seen for the first time. */
  from: IssueState | null;
  to: IssueState;
}

/** A day's counts, with the issue's fingerprint so a new issue's row can get its id once saved. */
export type TrackedIssueDay = IssueDay & { fingerprint: string };

export interface TrackIssuesOptions {
  /** Examples kept per issue (the best: confirmed replay checks first, then newest). */
  maxExamples?: number;
  /** Which UTC day a session counts on: the sweep's (windows follow the clock) or the session's start. */
  dayOf?: "sweep" | "session";
  fingerprint?: FingerprintOptions;
  similarity?: SimilarityOptions;
}

export const TRACK_ISSUES_DEFAULTS = { maxExamples: 5, dayOf: "sweep" } as const;

export interface TrackIssuesInput {
  monitor: Pick<Monitor, "id" | "project" | "resolve_after_sweeps" | "resolve_after_hours"> & Partial<Pick<Monitor, "min_issue_sessions">>;
  /** The monitor's issues as stored (every state). */
  existing: readonly TrackedIssue[];
  /** The patterns of the sweep's report. */
  patterns: readonly ReportPattern[];
  report_id: string;
  sweepAt: Date;
  /** Sessions this sweep took: only their occurrences count (each session once per monitor). */
  sessionsInSweep: readonly string[];
  /** Distinct users among sessions; default: distinct ids on the examples, a session without one its own user. */
  usersOf?: (sessionIds: readonly string[]) => number;
  /** The patterns were written by a model: also match by words when only the text parts of fingerprints differ. */
  modelWritten?: boolean;
  options?: TrackIssuesOptions;
}

export interface TrackIssuesResult {
  /** New issues (id 0) and every existing issue that changed. */
  issues: TrackedIssue[];
  days: TrackedIssueDay[];
  transitions: IssueTransition[];
}

interface Sighting {
  patterns: ReportPattern[];
  examples: Array<{ pattern: ReportPattern; example: PatternExample; index: number }>;
}

function checkInput(input: TrackIssuesInput, maxExamples: number): void {
  if (Number.isNaN(input.sweepAt.getTime())) throw new IssueTrackingError("invalid_sweep_time", "sweepAt is not a valid date");
  if (!Number.isInteger(maxExamples) || maxExamples < 0) throw new IssueTrackingError("invalid_option", `maxExamples must be a non-negative integer, got ${maxExamples}`);
  const fingerprints = new Set<string>();
  for (const issue of input.existing) {
    if (issue.monitor_id !== input.monitor.id) throw new IssueTrackingError("wrong_monitor", `issue ${issue.id} belongs to monitor ${issue.monitor_id}, not ${input.monitor.id}`);
    if (fingerprints.has(issue.fingerprint))
      throw new IssueTrackingError("duplicate_fingerprint", `two issues of monitor ${input.monitor.id} have the fingerprint ${JSON.stringify(issue.fingerprint)}`);
    fingerprints.add(issue.fingerprint);
  }
}

function distinctUsers(examples: readonly PatternExample[]): (ids: readonly string[]) => number {
  const userOf = new Map(examples.map((example) => [example.session_id, example.distinct_id ?? `session:${example.session_id}`]));
  return (ids) => new Set(ids.map((id) => userOf.get(id) ?? `session:${id}`)).size;
}

function verdictRank(verdict: IssueExample["verdict"]): number {
  // A replay check that saw the problem is the best evidence; one that did not see it, the worst.
  return verdict === "confirmed" ? 0 : verdict === "not_confirmed" ? 2 : 1;
}

/** The best `max` examples, one per session: confirmed replay checks first, then newest. */
export function bestExamples(examples: readonly IssueExample[], max: number): IssueExample[] {
  const ranked = [...examples].sort((a, b) => verdictRank(a.verdict) - verdictRank(b.verdict) || b.timestamp.localeCompare(a.timestamp) || a.session_id.localeCompare(b.session_id));
  const sessions = new Set<string>();
  const best: IssueExample[] = [];
  for (const example of ranked) {
    if (best.length >= max) break;
    if (sessions.has(example.session_id)) continue;
    sessions.add(example.session_id);
    best.push(example);
  }
  return best;
}

function issueExample(pattern: ReportPattern, example: PatternExample, index: number, reportId: string): IssueExample {
  return {
    session_id: example.session_id,
    report_id: reportId,
    pattern_id: pattern.id,
    example_index: index,
    timestamp: example.target.timestamp,
    ...(example.target.current_url ? { url: example.target.current_url } : {}),
    description: example.target.description,
    ...(example.validation ? { verdict: example.validation.verdict } : {}),
  };
}

/** Whether an issue unseen since `last_seen` has been away long enough to count as resolved. */
function awayLongEnough(issue: TrackedIssue, sweepsUnseen: number, at: Date, monitor: TrackIssuesInput["monitor"]): boolean {
  const hours = (at.getTime() - Date.parse(issue.last_seen)) / HOUR_MS;
  return sweepsUnseen >= monitor.resolve_after_sweeps && hours >= monitor.resolve_after_hours;
}

/** The state an issue moves to when a sweep sees it. */
function stateWhenSeen(issue: TrackedIssue, at: Date, monitor: TrackIssuesInput["monitor"]): IssueState {
  switch (issue.state) {
    case "candidate":
      return "candidate";
    case "new":
    case "ongoing":
    case "regressed":
      return "ongoing";
    case "resolved":
      return "regressed";
    case "muted":
      return "muted";
    case "snoozed": {
      if (issue.snoozed_until !== undefined && Date.parse(issue.snoozed_until) > at.getTime()) return "snoozed";
      return awayLongEnough(issue, issue.sweeps_unseen, at, monitor) ? "regressed" : "ongoing";
    }
  }
}

/** The state an issue moves to when a sweep (that took sessions) does not see it. */
function stateWhenUnseen(issue: TrackedIssue, sweepsUnseen: number, at: Date, monitor: TrackIssuesInput["monitor"]): IssueState {
  switch (issue.state) {
    case "new":
    case "ongoing":
    case "regressed":
      return awayLongEnough(issue, sweepsUnseen, at, monitor) ? "resolved" : issue.state;
    case "snoozed": {
      const snoozing = issue.snoozed_until !== undefined && Date.parse(issue.snoozed_until) > at.getTime();
      return !snoozing && awayLongEnough(issue, sweepsUnseen, at, monitor) ? "resolved" : "snoozed";
    }
    // A candidate waits for its next session, however long: it was never shown, so it cannot resolve.
    case "candidate":
    case "resolved":
    case "muted":
      return issue.state;
  }
}

/** Matches one pattern to an issue: the same fingerprint, else the same error on another page, else (model-written) the most similar one of the same kind and route. */
export function matchIssue(
  fingerprint: string,
  pattern: Pick<ReportPattern, "name" | "description">,
  issues: ReadonlyMap<string, TrackedIssue>,
  input: Pick<TrackIssuesInput, "modelWritten"> & { options?: Pick<TrackIssuesOptions, "similarity"> },
): TrackedIssue | undefined {
  const exact = issues.get(fingerprint);
  if (exact) return exact;
  // The same error on another page: one issue (ties to the alphabetically first fingerprint, independent of load order).
  const sameErrorIssue = [...issues.values()].filter((issue) => sameError(fingerprint, issue.fingerprint)).sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1))[0];
  if (sameErrorIssue) return sameErrorIssue;
  if (!input.modelWritten) return undefined;
  let best: { issue: TrackedIssue; score: number } | undefined;
  for (const issue of issues.values()) {
    const { similar, score } = similarPatterns(
      { fingerprint, name: pattern.name, description: pattern.description },
      { fingerprint: issue.fingerprint, name: issue.title, description: issue.description },
      input.options?.similarity,
    );
    // Ties go to the alphabetically first fingerprint, so the choice never depends on the order issues were loaded in.
    if (similar && (!best || score > best.score || (score === best.score && issue.fingerprint < best.issue.fingerprint))) best = { issue, score };
  }
  return best?.issue;
}

/**
 * Matches a sweep's patterns to the monitor's issues and moves their states (see the header).
 * Two patterns of one sweep with the same fingerprint (or, model-written, similar words) are one
 * issue; their sessions are counted once.
 */
export function trackIssues(input: TrackIssuesInput): TrackIssuesResult {
  const maxExamples = input.options?.maxExamples ?? TRACK_ISSUES_DEFAULTS.maxExamples;
  const dayOf = input.options?.dayOf ?? TRACK_ISSUES_DEFAULTS.dayOf;
  checkInput(input, maxExamples);
  const at = input.sweepAt;
  const atIso = at.toISOString();
  const inSweep = new Set(input.sessionsInSweep);

  const byFingerprint = new Map<string, TrackedIssue>(input.existing.map((issue) => [issue.fingerprint, issue]));
  const sightings = new Map<string, Sighting>();
  const created = new Map<string, TrackedIssue>();

  for (const pattern of input.patterns) {
    const examples = pattern.examples.map((example, index) => ({ pattern, example, index })).filter(({ example }) => inSweep.has(example.session_id));
    // Occurrences outside this sweep's sessions were counted by the sweep that took them.
    if (examples.length === 0) continue;
    const parts = fingerprintParts({ examples: examples.map((e) => e.example) }, input.options?.fingerprint);
    const fingerprint = formatFingerprint(parts);
    let issue = matchIssue(fingerprint, pattern, byFingerprint, input);
    if (!issue) {
      issue = {
        id: 0,
        project: input.monitor.project,
        monitor_id: input.monitor.id,
        fingerprint,
        kind: parts.kind,
        title: pattern.name,
        description: pattern.description,
        severity: pattern.severity,
        state: "new",
        first_seen: atIso,
        last_seen: atIso,
        sweeps_unseen: 0,
        sessions_total: 0,
        users_total: 0,
        examples: [],
      };
      byFingerprint.set(fingerprint, issue);
      created.set(fingerprint, issue);
    }
    const sighting = sightings.get(issue.fingerprint) ?? { patterns: [], examples: [] };
    sighting.patterns.push(pattern);
    sighting.examples.push(...examples);
    sightings.set(issue.fingerprint, sighting);
  }

  const issues: TrackedIssue[] = [];
  const days: TrackedIssueDay[] = [];
  const transitions: IssueTransition[] = [];
  const sweepTookSessions = inSweep.size > 0;

  for (const issue of byFingerprint.values()) {
    const sighting = sightings.get(issue.fingerprint);
    const isNew = created.has(issue.fingerprint);
    if (!sighting) {
      if (!sweepTookSessions) continue;
      const sweepsUnseen = issue.sweeps_unseen + 1;
      const state = stateWhenUnseen(issue, sweepsUnseen, at, input.monitor);
      const updated: TrackedIssue = { ...issue, sweeps_unseen: sweepsUnseen, state };
      issues.push(updated);
      if (state !== issue.state) transitions.push({ issue: updated, from: issue.state, to: state });
      continue;
    }
    const allExamples = sighting.examples.map((e) => e.example);
    const usersOf = input.usersOf ?? distinctUsers(allExamples);
    const sessionIds = [...new Set(allExamples.map((example) => example.session_id))].sort();
    const sessionsTotal = issue.sessions_total + sessionIds.length;
    const minSessions = input.monitor.min_issue_sessions ?? DEFAULT_MIN_ISSUE_SESSIONS;
    const seen: IssueState = isNew ? "new" : stateWhenSeen(issue, at, input.monitor);
    // Below the minimum it stays a candidate; reaching it, the candidate becomes new (and alerts as new).
    const state: IssueState = seen === "new" || seen === "candidate" ? (sessionsTotal >= minSessions ? "new" : "candidate") : seen;
    const severity = sighting.patterns.map((p) => p.severity).reduce((worst, s) => (compareSeverity(s, worst) < 0 ? s : worst), issue.severity);
    const fresh = sighting.examples.map(({ pattern, example, index }) => issueExample(pattern, example, index, input.report_id));
    const updated: TrackedIssue = {
      ...issue,
      state,
      severity,
      last_seen: atIso,
      sweeps_unseen: 0,
      sessions_total: sessionsTotal,
      // A sum over sweeps: a user seen in two sweeps counts twice (the store keeps no user sets).
      users_total: issue.users_total + usersOf(sessionIds),
      // A fresh example of a session already kept replaces it only if it ranks better.
      examples: bestExamples([...fresh, ...issue.examples], maxExamples),
      ...(state === "snoozed" ? {} : { snoozed_until: undefined }),
    };
    if (updated.snoozed_until === undefined) delete updated.snoozed_until;
    issues.push(updated);
    if (isNew) transitions.push({ issue: updated, from: null, to: state });
    else if (state !== issue.state) transitions.push({ issue: updated, from: issue.state, to: state });

    const byDay = new Map<string, string[]>();
    for (const id of sessionIds) {
      const example = allExamples.find((e) => e.session_id === id)!;
      const day = dayOf === "session" ? utcDay(new Date(example.session_start)) : utcDay(at);
      byDay.set(day, [...(byDay.get(day) ?? []), id]);
    }
    for (const [day, ids] of [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      days.push({ issue_id: issue.id, fingerprint: issue.fingerprint, day, sessions: ids.length, users: usersOf(ids) });
    }
  }
  return { issues, days, transitions };
}

/**
 * Days and transitions with the ids the store gave the issues (new issues were saved with id 0);
 * matched by fingerprint, which is unique per monitor.
 */
export function withIssueIds(result: TrackIssuesResult, saved: readonly TrackedIssue[]): { issues: TrackedIssue[]; days: IssueDay[]; transitions: IssueTransition[] } {
  const byFingerprint = new Map(saved.map((issue) => [issue.fingerprint, issue]));
  const savedOf = (fingerprint: string): TrackedIssue => {
    const issue = byFingerprint.get(fingerprint);
    if (!issue || issue.id <= 0) throw new IssueTrackingError("issue_not_saved", `no saved issue with the fingerprint ${JSON.stringify(fingerprint)}`);
    return issue;
  };
  return {
    issues: result.issues.map((issue) => savedOf(issue.fingerprint)),
    days: result.days.map(({ fingerprint, ...day }) => ({ ...day, issue_id: savedOf(fingerprint).id })),
    transitions: result.transitions.map((transition) => ({ ...transition, issue: savedOf(transition.issue.fingerprint) })),
  };
}
