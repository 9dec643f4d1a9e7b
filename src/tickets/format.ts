import type { IssueExample, TrackedIssue } from "../domain/monitor.ts";
import type { PatternExample } from "../domain/report.ts";
import { redactOutputText } from "../encode/pii.ts";

/**
 * A ticket's title and Markdown body from an issue: what happens, who is affected, the evidence of
 * its best examples (quotes and replay-check verdicts), links to the replay, the key events. Plain
 * code. Every text written from sessions is redacted (`redactOutputText`) and made inert: no
 * `@mentions` that would ping people, no HTML, quotes kept inside their blockquote.
 */

/** What a ticket says about one example, beyond what the issue keeps: read from the example's report when it is at hand. */
export interface ExampleDetails {
  example: IssueExample;
  /** The report page's place of the example (the replay clip is shown there). */
  link?: string;
  /** The replay check's quoted, timed observations. */
  evidence: string[];
  /** What the replay showed, in a sentence or two. */
  observed?: string;
  /** How it was checked (`dom`, `vision <model>`). */
  method?: string;
  /** The key events around the problem: before, the problem itself, after. */
  keyEvents: Array<{ timestamp: string; description: string; target?: boolean }>;
}

export interface TicketContent {
  issue: TrackedIssue;
  monitorName?: string;
  /** Sessions the monitor's sweeps took since the issue was first seen: what the share is of. */
  sessionsWatched?: number;
  /** The issues page, when served at a known address. */
  issueUrl?: string;
  examples: ExampleDetails[];
}

export interface FormattedTicket {
  title: string;
  body: string;
}

/** Characters of one quoted text; trackers refuse very long bodies (GitHub: 65,536). */
const MAX_TEXT = 600;
const MAX_TITLE = 200;

/** Session-written text for one Markdown line: redacted, on one line, no mentions, no HTML. */
export function inline(text: string, max = MAX_TEXT): string {
  const clean = redactOutputText(text)
    .replace(/\s+/g, " ")
    .trim()
    // A zero-width joiner after `@` keeps the text readable and stops trackers from notifying someone.
    .replace(/@(?=[\w-])/g, "@\u200d")
    .replace(/[<>]/g, (c) => (c === "<" ? "&lt;" : "&gt;"));
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Inline code that survives backticks in the value. */
function code(text: string): string {
  return `\`${inline(text, 200).replaceAll("`", "'")}\``;
}

function day(iso: string): string {
  return iso.slice(0, 16).replace("T", " ") + " UTC";
}

function percent(part: number, whole: number): string {
  const share = (part / whole) * 100;
  return share >= 10 || share === 0 ? `${Math.round(share)}%` : `${share.toFixed(1)}%`;
}

const VERDICT_WORDS: Record<NonNullable<IssueExample["verdict"]>, string> = {
  confirmed: "confirmed on the replay",
  not_confirmed: "not seen on the replay",
  inconclusive: "replay inconclusive",
};

export function ticketTitle(issue: TrackedIssue): string {
  return inline(issue.title, MAX_TITLE);
}

export function formatTicket(content: TicketContent): FormattedTicket {
  const { issue } = content;
  const lines: string[] = [];
  lines.push("## What happens", "", inline(issue.description || issue.title, 2_000), "");
  lines.push(
    `**Kind:** ${inline(issue.kind, 40)} · **Severity:** ${inline(issue.severity, 20)} · **State:** ${issue.state}${content.monitorName ? ` · **Monitor:** ${inline(content.monitorName, 100)}` : ""}`,
    "",
  );

  lines.push("## Who is affected", "");
  const share = content.sessionsWatched ? ` (${percent(issue.sessions_total, Math.max(content.sessionsWatched, issue.sessions_total))} of ${content.sessionsWatched} sessions watched)` : "";
  lines.push(`- **Sessions:** ${issue.sessions_total}${share}`);
  lines.push(`- **Users:** ${issue.users_total}`);
  lines.push(`- **First seen:** ${day(issue.first_seen)}`);
  lines.push(`- **Last seen:** ${day(issue.last_seen)}`, "");

  if (content.examples.length > 0) {
    lines.push("## Evidence", "");
    content.examples.forEach((details, index) => {
      const { example } = details;
      const verdict = example.verdict ? VERDICT_WORDS[example.verdict] : "not checked on the replay";
      lines.push(`### Example ${index + 1}: session ${code(example.session_id)} at ${day(example.timestamp)} (${verdict})`, "");
      lines.push(`> ${inline(example.description)}`, "");
      if (example.url) lines.push(`Page: ${code(example.url)}`, "");
      if (details.observed) lines.push(`Replay check${details.method ? ` (${inline(details.method, 60)})` : ""}: ${inline(details.observed)}`, "");
      if (details.evidence.length > 0) {
        lines.push("Evidence:", "");
        for (const quote of details.evidence) lines.push(`> ${inline(quote)}`, ">");
        lines.pop();
        lines.push("");
      }
      if (details.keyEvents.length > 0) {
        lines.push("Key events:", "");
        for (const event of details.keyEvents) lines.push(`- ${event.timestamp.slice(11, 19)} ${event.target ? "**" : ""}${inline(event.description, 300)}${event.target ? "**" : ""}`);
        lines.push("");
      }
      lines.push(details.link ? `Replay and clip: ${details.link}` : `Replay: session ${code(example.session_id)} in report ${code(example.report_id)}`, "");
    });
  }

  if (content.issueUrl) lines.push("## Links", "", `- Issue page: ${content.issueUrl}`, "");
  lines.push(
    "---",
    `Opened by session-summaries from issue ${issue.id} (fingerprint ${code(issue.fingerprint)}). One ticket per issue: if it comes back after being resolved, a comment is added here.`,
  );
  return { title: ticketTitle(issue), body: lines.join("\n") };
}

/** The comment a regression adds to the ticket. */
export function formatRegressionComment(issue: TrackedIssue, issueUrl?: string): string {
  return [
    `**Regressed:** issue ${issue.id} was seen again (last seen ${day(issue.last_seen)}) after it had been resolved.`,
    "",
    `In all: ${issue.sessions_total} sessions, ${issue.users_total} users since ${day(issue.first_seen)}.`,
    ...(issueUrl ? ["", `Issue page: ${issueUrl}`] : []),
  ].join("\n");
}

/** The details of an example found in its report: the replay check and the key events around it. */
export function detailsFromPattern(example: IssueExample, found: PatternExample | undefined, link?: string): ExampleDetails {
  if (!found) return { example, evidence: [], keyEvents: [], ...(link ? { link } : {}) };
  const validation = found.validation;
  return {
    example,
    ...(link ? { link } : {}),
    evidence: validation?.evidence ?? [],
    ...(validation?.observed ? { observed: validation.observed } : {}),
    ...(validation?.method ? { method: validation.method } : {}),
    keyEvents: [
      ...found.before.map((action) => ({ timestamp: action.timestamp, description: action.description })),
      { timestamp: found.target.timestamp, description: found.target.description, target: true },
      ...found.after.map((action) => ({ timestamp: action.timestamp, description: action.description })),
    ],
  };
}
