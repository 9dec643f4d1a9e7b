import { SESSION_OUTCOMES, type IssueKind, type LabelledIssue, type Labels, type SessionOutcome } from "../domain/labels.ts";
import type { Report } from "../domain/report.ts";
import type { SessionSummary } from "../domain/summary.ts";
import { outcomeOf } from "../report/present.ts";

/**
 * Scoring a report against ground truth, at session level. Labelled issue kinds map onto what an
 * analyst can flag:
 * - blocking: `blocking_exception` and `visible_api_failure` (the user saw it and could not go on);
 * - noise: `benign_exception` and `invisible_api_failure` must never be flagged blocking;
 * - confusion: `confusion` and `dead_click`; abandonment: `abandonment`;
 * - slow_page: a key action flagged `slow`;
 * - dead_click on its own: a confusion-flagged key action on a `$dead_click` event, or (for a
 *   labelled one) within `DEAD_CLICK_NEAR_MS` of the labelled click.
 * Consequences (`consequence_of`) are scored per session by their kind like any issue.
 * A session's outcome is the one the report counts in its headline (`outcomeOf`), compared with
 * the label's.
 */
export const SCORED_KINDS = {
  blocking: ["blocking_exception", "visible_api_failure"],
  confusion: ["confusion", "dead_click"],
  abandonment: ["abandonment"],
  slow_page: ["slow_page"],
  dead_click: ["dead_click"],
} as const satisfies Record<string, readonly IssueKind[]>;

const DEAD_CLICK_NEAR_MS = 5_000;
/** Two reported patterns sharing at least this share of the smaller one's sessions tell one problem twice. */
export const DUPLICATE_MIN_OVERLAP = 0.75;
/** A reported pattern matches a root problem when at least this share of its examples are of it. */
export const MATCH_MIN_SHARE = 0.5;
export type ScoredKind = keyof typeof SCORED_KINDS;

const NOISE_KINDS: readonly IssueKind[] = ["benign_exception", "invisible_api_failure"];
/** Labelled problems that should surface as patterns: noise is reported as low and dropped. */
export const PATTERN_WORTHY: ReadonlySet<IssueKind> = new Set(["blocking_exception", "visible_api_failure", "confusion", "abandonment", "dead_click", "slow_page"]);

/**
 * The report's outcome of a session in the labels' words: the page and the eval must agree, so the
 * eval reads the report's own classification rather than judging outcomes a second way.
 */
export const LABEL_OF_REPORTED_OUTCOME = {
  succeeded: "success",
  failed: "failure",
  gave_up: "abandoned",
} as const satisfies Record<ReturnType<typeof outcomeOf>, SessionOutcome>;

/** Scored sessions counted by labelled outcome (rows), then by the outcome the report gives (columns). */
export type OutcomeMatrix = Record<SessionOutcome, Record<SessionOutcome, number>>;

export interface OutcomeMismatch {
  session_id: string;
  labelled: SessionOutcome;
  reported: SessionOutcome;
}

export interface KindScore {
  precision: number | null;
  recall: number | null;
  true_positives: number;
  false_positives: number;
  false_negatives: number;
}

export interface PatternRecovery {
  pattern_key: string;
  sessions: number;
  recovered: boolean;
  /** The report pattern it was found as, when exactly one matched. */
  pattern?: string;
  purity?: number;
  /** How many report patterns matched it (0: missed; more than 1: split). */
  matches: number;
}

export interface Evaluation {
  sessions_labelled: number;
  sessions_scored: number;
  sessions_failed: number;
  kinds: Record<ScoredKind, KindScore>;
  /** Sessions whose only problems are noise, flagged blocking anyway, over all such sessions. */
  false_blocking_rate: number | null;
  noise_sessions: number;
  /** Labelled root problems (pattern-worthy, not consequences, in at least 2 scored sessions). */
  patterns_labelled: number;
  patterns_recovered: number;
  patterns: PatternRecovery[];
  patterns_reported: number;
  /** Pairs of reported patterns with at least `DUPLICATE_MIN_OVERLAP` session overlap. */
  duplicate_patterns: Array<{ a: string; b: string; overlap: number }>;
  /** Reported patterns that match a labelled root problem, over reported patterns. */
  pattern_precision: number | null;
  /** Reported patterns that match no labelled root problem. */
  patterns_unmatched: string[];
  /** Scored sessions whose reported outcome is the labelled one, over scored sessions. */
  outcome_accuracy: number | null;
  outcome_matrix: OutcomeMatrix;
  /** The scored sessions whose reported outcome is not the labelled one, in label order. */
  outcome_mismatches: OutcomeMismatch[];
}

const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 1000) / 1000);

function predictedKinds(summary: SessionSummary): Set<ScoredKind> {
  const kinds = new Set<ScoredKind>();
  for (const segment of summary.segments) {
    for (const action of segment.key_actions) {
      if (action.exception === "blocking") kinds.add("blocking");
      if (action.confusion) kinds.add("confusion");
      if (action.abandonment) kinds.add("abandonment");
      if (action.slow) kinds.add("slow_page");
      if (action.confusion && action.event === "$dead_click") kinds.add("dead_click");
    }
  }
  return kinds;
}

/** A labelled dead click is also found by a confusion flag near it (the click's autocapture, say). */
function deadClickNear(summary: SessionSummary, issues: readonly LabelledIssue[]): boolean {
  const times = issues.filter((i) => i.kind === "dead_click").map((i) => Date.parse(i.timestamp));
  return summary.segments.some((segment) => segment.key_actions.some((action) => action.confusion && times.some((t) => Math.abs(Date.parse(action.timestamp) - t) <= DEAD_CLICK_NEAR_MS)));
}

/** The root problem an issue belongs to: its own key, or the key it is a consequence of. */
function rootKeyOf(issue: LabelledIssue): string {
  return issue.consequence_of ?? issue.pattern_key;
}

export function evaluate(labels: Labels, report: Report, summaries: ReadonlyMap<string, SessionSummary>, minPurity = 0.8): Evaluation {
  const kinds = Object.fromEntries((Object.keys(SCORED_KINDS) as ScoredKind[]).map((k) => [k, { true_positives: 0, false_positives: 0, false_negatives: 0 }])) as Record<
    ScoredKind,
    Omit<KindScore, "precision" | "recall">
  >;
  let noiseSessions = 0;
  let falseBlocking = 0;
  let scored = 0;
  const outcomeMatrix = emptyOutcomeMatrix();
  const outcomeMismatches: OutcomeMismatch[] = [];

  for (const [sessionId, label] of Object.entries(labels.sessions)) {
    const summary = summaries.get(sessionId);
    if (!summary) continue;
    scored += 1;
    const reportedOutcome = LABEL_OF_REPORTED_OUTCOME[outcomeOf(summary)];
    outcomeMatrix[label.outcome][reportedOutcome] += 1;
    if (reportedOutcome !== label.outcome) outcomeMismatches.push({ session_id: sessionId, labelled: label.outcome, reported: reportedOutcome });
    const predicted = predictedKinds(summary);
    const labelled = new Set(label.issues.map((i) => i.kind));
    for (const kind of Object.keys(SCORED_KINDS) as ScoredKind[]) {
      const truth = SCORED_KINDS[kind].some((k) => labelled.has(k));
      const flagged = predicted.has(kind) || (kind === "dead_click" && truth && deadClickNear(summary, label.issues));
      if (truth && flagged) kinds[kind].true_positives += 1;
      else if (flagged) kinds[kind].false_positives += 1;
      else if (truth) kinds[kind].false_negatives += 1;
    }
    const noiseOnly = label.issues.some((i) => NOISE_KINDS.includes(i.kind)) && !SCORED_KINDS.blocking.some((k) => labelled.has(k));
    if (noiseOnly) {
      noiseSessions += 1;
      if (predicted.has("blocking")) falseBlocking += 1;
    }
  }

  const patterns = recoverPatterns(labels, report, summaries, minPurity);
  const reported = scoreReportedPatterns(labels, report, summaries);
  return {
    sessions_labelled: Object.keys(labels.sessions).length,
    sessions_scored: scored,
    sessions_failed: report.sessions.failed.length,
    kinds: Object.fromEntries(
      Object.entries(kinds).map(([k, c]) => [
        k,
        { ...c, precision: ratio(c.true_positives, c.true_positives + c.false_positives), recall: ratio(c.true_positives, c.true_positives + c.false_negatives) },
      ]),
    ) as Record<ScoredKind, KindScore>,
    false_blocking_rate: ratio(falseBlocking, noiseSessions),
    noise_sessions: noiseSessions,
    patterns_labelled: patterns.length,
    patterns_recovered: patterns.filter((p) => p.recovered).length,
    patterns,
    ...reported,
    outcome_accuracy: ratio(scored - outcomeMismatches.length, scored),
    outcome_matrix: outcomeMatrix,
    outcome_mismatches: outcomeMismatches,
  };
}

function emptyOutcomeMatrix(): OutcomeMatrix {
  const row = () => Object.fromEntries(SESSION_OUTCOMES.map((outcome) => [outcome, 0])) as Record<SessionOutcome, number>;
  return Object.fromEntries(SESSION_OUTCOMES.map((outcome) => [outcome, row()])) as OutcomeMatrix;
}

/**
 * The flags of a key action that can stand for a labelled issue of each kind. A root problem's
 * example may be the failure itself or what it led to (retries, abandonment), and an abandonment's
 * example the repeated attempts before it: one pattern per root problem tells both.
 */
function flagsFit(kind: IssueKind, target: { exception: string | null; confusion: boolean; abandonment: boolean; slow?: boolean }): boolean {
  switch (kind) {
    case "blocking_exception":
    case "visible_api_failure":
      return target.exception === "blocking" || target.confusion || target.abandonment;
    case "confusion":
    case "abandonment":
      return target.confusion || target.abandonment;
    case "dead_click":
      return target.confusion;
    case "slow_page":
      return target.slow === true;
    default:
      return true;
  }
}

type Example = Report["patterns"][number]["examples"][number];

/**
 * The root problems an example is "of": its session has an issue of that root (the root itself or
 * a consequence of it), of a kind its flags can stand for, within `nearMs` of it.
 */
function rootKeysOfExample(labels: Labels, example: Example, nearMs = 15_000): Set<string> {
  const at = Date.parse(example.target.timestamp);
  const issues = labels.sessions[example.session_id]?.issues ?? [];
  return new Set(issues.filter((i) => flagsFit(i.kind, example.target) && Math.abs(Date.parse(i.timestamp) - at) <= nearMs).map(rootKeyOf));
}

/** Labelled root problems of pattern-worthy kinds, with the scored sessions they occur in. */
function rootProblems(labels: Labels, summaries: ReadonlyMap<string, SessionSummary>): Map<string, Set<string>> {
  const sessionsByKey = new Map<string, Set<string>>();
  for (const [sessionId, label] of Object.entries(labels.sessions)) {
    if (!summaries.has(sessionId)) continue;
    for (const issue of label.issues) {
      if (!PATTERN_WORTHY.has(issue.kind) || issue.consequence_of !== undefined) continue;
      const set = sessionsByKey.get(issue.pattern_key) ?? new Set<string>();
      set.add(sessionId);
      sessionsByKey.set(issue.pattern_key, set);
    }
  }
  return new Map([...sessionsByKey].filter(([, sessions]) => sessions.size >= 2).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * A labelled root problem is recovered when exactly one report pattern has at least 2 examples of
 * it, and at least `minPurity` of that pattern's examples are of it.
 */
function recoverPatterns(labels: Labels, report: Report, summaries: ReadonlyMap<string, SessionSummary>, minPurity: number): PatternRecovery[] {
  const exampleKeys = report.patterns.map((pattern) => ({ pattern, keys: pattern.examples.map((example) => rootKeysOfExample(labels, example)) }));
  const recoveries: PatternRecovery[] = [];
  for (const [key, keySessions] of rootProblems(labels, summaries)) {
    const matches = exampleKeys
      .map(({ pattern, keys }) => {
        const overlap = keys.filter((k) => k.has(key)).length;
        return { pattern, overlap, purity: keys.length === 0 ? 0 : overlap / keys.length };
      })
      .filter((m) => m.overlap >= 2 && m.purity >= minPurity);
    const only = matches.length === 1 ? matches[0] : undefined;
    recoveries.push({
      pattern_key: key,
      sessions: keySessions.size,
      recovered: only !== undefined,
      matches: matches.length,
      ...(only ? { pattern: only.pattern.name, purity: Math.round(only.purity * 100) / 100 } : {}),
    });
  }
  return recoveries;
}

/**
 * The report as a reader sees it: how many patterns, which pairs tell the same sessions twice, and
 * how many match a labelled root problem (at least `MATCH_MIN_SHARE` of their examples are of one).
 */
function scoreReportedPatterns(labels: Labels, report: Report, summaries: ReadonlyMap<string, SessionSummary>) {
  const roots = rootProblems(labels, summaries);
  const sessionsOf = (pattern: Report["patterns"][number]) => new Set(pattern.examples.map((example) => example.session_id));
  const duplicates: Array<{ a: string; b: string; overlap: number }> = [];
  report.patterns.forEach((a, i) => {
    const sa = sessionsOf(a);
    for (const b of report.patterns.slice(i + 1)) {
      const sb = sessionsOf(b);
      const smaller = Math.min(sa.size, sb.size);
      if (smaller === 0) continue;
      const overlap = [...sa].filter((id) => sb.has(id)).length / smaller;
      if (overlap >= DUPLICATE_MIN_OVERLAP) duplicates.push({ a: a.name, b: b.name, overlap: Math.round(overlap * 100) / 100 });
    }
  });
  const unmatched: string[] = [];
  for (const pattern of report.patterns) {
    const keys = pattern.examples.map((example) => rootKeysOfExample(labels, example));
    const matches = [...roots.keys()].some((key) => keys.length > 0 && keys.filter((k) => k.has(key)).length / keys.length >= MATCH_MIN_SHARE);
    if (!matches) unmatched.push(pattern.name);
  }
  return {
    patterns_reported: report.patterns.length,
    duplicate_patterns: duplicates,
    pattern_precision: ratio(report.patterns.length - unmatched.length, report.patterns.length),
    patterns_unmatched: unmatched,
  };
}
