import type { KeyAction, SessionSummary } from "../src/domain/summary.ts";

/**
 * A session summary as the pattern stages read it: a few lines, no uuids, urls or timestamps.
 *
 * ```
 * session s3: 142 s, failed: "Could not book a room; left"
 * - Find a free meeting room: ok
 * - Book a meeting room: failed: "Booking was not confirmed"
 *   1a2b3c4d blocking confusion replay-confirmed: "Confirm booking click throws an error"
 * ```
 *
 * Only flagged key actions are listed (they are the only pattern evidence). Actions whose only
 * flag is a non-blocking exception are left out by default: non-blocking errors are not pattern
 * evidence, and listing them invites patterns of harmless noise.
 */

export interface DigestOptions {
  /** How the session is named in the prompt, e.g. `s3`. */
  label?: string;
  includeNonBlocking?: boolean;
}

function flagsOf(action: KeyAction): string[] {
  const flags: string[] = [];
  if (action.exception) flags.push(action.exception);
  if (action.confusion) flags.push("confusion");
  if (action.abandonment) flags.push("abandonment");
  if (action.slow) flags.push("slow");
  return flags;
}

function isEvidence(action: KeyAction, includeNonBlocking: boolean): boolean {
  if (action.exception === "blocking" || action.confusion || action.abandonment || action.slow) return true;
  return includeNonBlocking && action.exception === "non-blocking";
}

const quote = (text: string): string => JSON.stringify(text.replace(/\s+/g, " ").trim());

export function formatSummaryForPatterns(summary: SessionSummary, options: DigestOptions = {}): string {
  const includeNonBlocking = options.includeNonBlocking ?? false;
  const verdicts = new Map((summary.visual_checks ?? []).map((check) => [check.event_id, check.verdict]));
  const outcome = summary.session_outcome;
  const lines = [`session ${options.label ?? "s"}: ${Math.round(summary.duration_s)} s, ${outcome.success ? "ok" : "failed"}: ${quote(outcome.summary)}`];
  for (const segment of summary.segments) {
    const result = segment.outcome.success ? "ok" : `failed: ${quote(segment.outcome.summary)}`;
    lines.push(`- ${quote(segment.name)}: ${result}`);
    for (const action of segment.key_actions) {
      if (!isEvidence(action, includeNonBlocking)) continue;
      const flags = flagsOf(action);
      const verdict = verdicts.get(action.event_id);
      if (verdict === "confirmed") flags.push("replay-confirmed");
      lines.push(`  ${action.event_id} ${flags.join(" ")}: ${quote(action.description)}`);
    }
  }
  return lines.join("\n");
}

/** The event ids a digest lists: what an assignment may cite for this session. */
export function digestEventIds(summary: SessionSummary, options: Pick<DigestOptions, "includeNonBlocking"> = {}): string[] {
  const includeNonBlocking = options.includeNonBlocking ?? false;
  return summary.segments.flatMap((segment) => segment.key_actions.filter((action) => isEvidence(action, includeNonBlocking)).map((action) => action.event_id));
}
