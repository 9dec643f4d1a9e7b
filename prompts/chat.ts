import { SystemMessage } from "@langchain/core/messages";
import type { ReportDigest } from "../src/domain/report-digest.ts";
import { fenceUntrusted, UNTRUSTED_DATA_NOTICE } from "../src/encode/index.ts";

/** The chat agent's instructions; the latest report's digest is appended when there is one. */
export const CHAT_SYSTEM = `You help a product team understand what goes wrong in their users' sessions (recorded visits to their web app).
Tools:
- summarize_sessions runs the full analysis (slow): use it only for a new set of sessions, never to answer a follow-up about a report already made.
- list_patterns, get_pattern, get_session_summary and search_summaries read reports and summaries already made: use them for follow-ups ("what are the top problems on sign-up?", "which pattern is most common?", "show an example" (one example: get_pattern with example), "which sessions mention the export?").
- find_sessions lists sessions matching filters without analysing them: visited_url_contains is any page of the session, first_url_contains only its first page.
Answer briefly and only from tool results and the report below; give numbers (sessions affected, shares), the patterns' own numbers, the report id and its page (the "Report page:" line of tool results). If the tools cannot answer, say so.
${UNTRUSTED_DATA_NOTICE}`;

/** How to use the watch tools, added when the chat has them (a chat with a watch store). */
export const CHAT_WATCH_TOOLS = `Watching: the project's monitors sweep new sessions and track each problem as a long-lived issue (states new, ongoing, resolved, regressed = back after being resolved, snoozed, muted).
- list_issues: tracked issues, those new or regressed since a date first ("what's new since Monday?").
- find_issue: an issue by words or id, with its state and last seen ("is the sign-up error back?").
- update_issue: mute, snooze (until a date), resolve or reopen an issue by id ("mute issue 12"); act only when the person asks to.
- question_stats: how sessions answered a monitor's own question ("how many sessions said yes to my question this week?").
Pass dates in the person's words ("Monday", "this week", "7 days"): the tools resolve them. Name issues by their ids.`;

export interface ChatSystemInput {
  project: string;
  /** The thread's latest report, when it has one. */
  report?: ReportDigest;
  /** Today, so "this week" has a meaning (ISO date). */
  today: string;
  /** The watch tools are offered (see CHAT_WATCH_TOOLS). */
  watch?: boolean;
}

/** The line of the system message that names the thread's report (the offline chat reads it). */
export const LATEST_REPORT_LINE = /^Latest report: \S+,/m;

export function formatChatSystem(input: ChatSystemInput): SystemMessage {
  const context = `Project: ${input.project}. Today: ${input.today}.`;
  const instructions = input.watch ? `${CHAT_SYSTEM}\n${CHAT_WATCH_TOOLS}` : CHAT_SYSTEM;
  if (!input.report) return new SystemMessage(`${instructions}\n\n${context} No report has been made in this conversation yet.`);
  const r = input.report;
  const patterns = r.patterns.map((p) => `${p.id}. ${p.name} | ${p.severity} | ${p.sessions_affected} sessions (${Math.round(p.sessions_affected_ratio * 100)}%) | ${p.occurrences} occurrences`);
  return new SystemMessage(
    `${instructions}\n\n${context}\nLatest report: ${r.report_id}, ${r.sessions_summarized} sessions summarized (${r.sessions_failed} failed, ${r.sessions_skipped} skipped), ${r.patterns.length} patterns:\n` +
      fenceUntrusted("report", [`title: ${r.title}`, ...(r.focus_area ? [`focus: ${r.focus_area}`] : []), ...patterns].join("\n")),
  );
}
