import type { IssueKind, Labels } from "../domain/labels.ts";
import type { Report } from "../domain/report.ts";
import type { SessionSummary } from "../domain/summary.ts";

/**
 * Scoring a report against ground truth, at session level. Labelled issue kinds map onto what an
 * analyst can flag:
 * - blocking: `blocking_exception` and `visible_api_failure` (the user saw it and could not go on);
 * - noise: `benign_exception` and `invisible_api_failure` must never be flagged blocking;
 * - confusion: `confusion` and `dead_click`; abandonment: `abandonment`.
 * `slow_page` is in none of them: waiting is neither an error nor, by itself, confusion.
 */
export const SCORED_KINDS = {
  blocking: ["blocking_exception", "visible_api_failure"],
  confusion: ["confusion", "dead_click"],
  abandonment: ["abandonment"],
} as const satisfies Record<string, readonly IssueKind[]>;
export type ScoredKind = keyof typeof SCORED_KINDS;

const NOISE_KINDS: readonly IssueKind[] = ["benign_exception", "invisible_api_failure"];
/** Labelled problems that should surface as patterns: noise is reported as low and dropped. */
const PATTERN_WORTHY: ReadonlySet<IssueKind> = new Set(["blocking_exception", "visible_api_failure", "confusion", "abandonment", "dead_click", "slow_page"]);

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
  patterns_labelled: number;
  patterns_recovered: number;
  patterns: PatternRecovery[];
}

const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 1000) / 1000);

function predictedKinds(summary: SessionSummary): Set<ScoredKind> {
  const kinds = new Set<ScoredKind>();
  for (const segment of summary.segments) {
    for (const action of segment.key_actions) {
      if (action.exception === "blocking") kinds.add("blocking");
      if (action.confusion) kinds.add("confusion");
      if (action.abandonment) kinds.add("abandonment");
    }
  }
  return kinds;
}

export function evaluate(labels: Labels, report: Report, summaries: ReadonlyMap<string, SessionSummary>, minPurity = 0.8): Evaluation {
  const kinds = Object.fromEntries(
    (Object.keys(SCORED_KINDS) as ScoredKind[]).map((k) => [k, { true_positives: 0, false_positives: 0, false_negatives: 0 }]),
  ) as Record<ScoredKind, Omit<KindScore, "precision" | "recall">>;
  let noiseSessions = 0;
  let falseBlocking = 0;
  let scored = 0;

  for (const [sessionId, label] of Object.entries(labels.sessions)) {
    const summary = summaries.get(sessionId);
    if (!summary) continue;
    scored += 1;
    const predicted = predictedKinds(summary);
    const labelled = new Set(label.issues.map((i) => i.kind));
    for (const kind of Object.keys(SCORED_KINDS) as ScoredKind[]) {
      const truth = SCORED_KINDS[kind].some((k) => labelled.has(k));
      const flagged = predicted.has(kind);
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
  };
}

/** The flags of a key action that can stand for a labelled issue of each kind. */
function flagsFit(kind: IssueKind, target: { exception: string | null; confusion: boolean; abandonment: boolean }): boolean {
  switch (kind) {
    case "blocking_exception":
    case "visible_api_failure":
      // The error itself, or the retries it caused; the abandonment that followed is its own key.
      return target.exception === "blocking" || target.confusion;
    case "confusion":
    case "dead_click":
      return target.confusion;
    case "abandonment":
      return target.abandonment;
    default:
      return true;
  }
}

/**
 * A labelled pattern key (of a pattern-worthy kind, seen in at least 2 scored sessions) is
 * recovered when exactly one report pattern has at least 2 examples of it, and at least
 * `minPurity` of that pattern's examples are of it. An example is "of" a key when its session has
 * an issue with that key, of a kind its flags can stand for, within `nearMs` of it: one session often
 * carries several keys (the error and the abandonment it caused), and each pattern should match one.
 */
function recoverPatterns(labels: Labels, report: Report, summaries: ReadonlyMap<string, SessionSummary>, minPurity: number, nearMs = 15_000): PatternRecovery[] {
  const sessionsByKey = new Map<string, Set<string>>();
  for (const [sessionId, label] of Object.entries(labels.sessions)) {
    if (!summaries.has(sessionId)) continue;
    for (const issue of label.issues) {
      if (!PATTERN_WORTHY.has(issue.kind)) continue;
      const set = sessionsByKey.get(issue.pattern_key) ?? new Set<string>();
      set.add(sessionId);
      sessionsByKey.set(issue.pattern_key, set);
    }
  }
  const keysOf = (example: Report["patterns"][number]["examples"][number]): Set<string> => {
    const at = Date.parse(example.target.timestamp);
    const issues = labels.sessions[example.session_id]?.issues ?? [];
    return new Set(issues.filter((i) => flagsFit(i.kind, example.target) && Math.abs(Date.parse(i.timestamp) - at) <= nearMs).map((i) => i.pattern_key));
  };
  const exampleKeys = report.patterns.map((pattern) => ({ pattern, keys: pattern.examples.map(keysOf) }));
  const recoveries: PatternRecovery[] = [];
  for (const [key, keySessions] of [...sessionsByKey].sort(([a], [b]) => a.localeCompare(b))) {
    if (keySessions.size < 2) continue;
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
