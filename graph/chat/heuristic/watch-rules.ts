import type { ConversationFacts, HeuristicPlan } from "./rules.ts";

/**
 * The offline chat's rules for watching: tracked issues ("what's new since Monday?", "is the
 * checkout error back?", "mute issue 12") and monitors' questions ("how many sessions said yes to
 * my question this week?"). Dates go to the tools in the person's words: the tools resolve them
 * against the clock, so the rules never compute one.
 */

export const WATCH_TOOLS = ["list_issues", "find_issue", "update_issue", "question_stats"] as const;

/** The answer when a request is about watching and the chat has no watch store (its tools are not offered). */
export const WATCH_UNAVAILABLE_ANSWER =
  "I can't answer that in this chat: tracked issues and the answers to monitors' questions live in the watch store, and this chat was started without one. " +
  'Ask where monitors run (the server\'s chat), or summarize sessions instead, e.g. "summarize sessions with errors".';

/** What the offline chat understands about watching, added to its "needs a model" answer when the watch tools are offered. */
export const WATCH_OFFLINE_REQUESTS = ` With monitors: "what's new since Monday?", "is the checkout error back?", "mute issue 12", "snooze issue 12 until Friday", "how many sessions said yes to my question this week?".`;

/** Words of an action on an issue → the action; the first match wins (so "unmute" is not "mute"). */
const ISSUE_ACTIONS: Array<[RegExp, "mute" | "snooze" | "resolve" | "reopen"]> = [
  [/\b(?:un-?mute|re-?open|un-?snooze|reactivate)\b/, "reopen"],
  [/\b(?:mute|silence|ignore)\b/, "mute"],
  [/\bsnooze\b/, "snooze"],
  [/\b(?:resolve|close)\b|\bmark\b.*\b(?:resolved|fixed|done|closed)\b/, "resolve"],
];

/** A time phrase of the request, in its own words ("Monday", "this week", "3 days"), for a tool's `since`. */
export function sincePhrase(text: string): string | undefined {
  const since = /\bsince\s+(.+?)\s*(?:[?.!,;]|\band\b|$)/i.exec(text);
  if (since) return since[1]!.trim();
  const period = /\b(this week|this month|last week|past week|today|yesterday)\b/i.exec(text);
  if (period) return period[1]!;
  const span = /\b(?:last|past)\s+(\d+|[a-z]+)\s+(hours?|days?|weeks?)\b/i.exec(text);
  return span ? `${span[1]} ${span[2]}` : undefined;
}

/** The issue an action names: "issue 12", "#12", "mute 12"; "it"/"that one" is the issue last looked at. */
function issueIdOf(lower: string, facts: ConversationFacts): number | undefined {
  const named = /\b(?:issue|problem)\s*(?:number\s*|no\.?\s*)?#?\s*(\d+)\b/.exec(lower) ?? /#(\d+)\b/.exec(lower) ?? /\b(?:mute|snooze|resolve|reopen|unmute|close)\s+(\d+)\b/.exec(lower);
  if (named) return Number(named[1]);
  if (facts.lastIssueId !== undefined && /\b(?:it|that(?: one)?|this(?: one)?|the issue)\b/.test(lower)) return facts.lastIssueId;
  return undefined;
}

/** The tool call for a request about watching, or undefined when the request is about something else. */
export function planWatchRequest(text: string, facts: ConversationFacts): HeuristicPlan | undefined {
  const lower = text.toLowerCase();
  if (/\b(?:summari[sz]e|analy[sz]e)\b/.test(lower)) return undefined;

  const action = ISSUE_ACTIONS.find(([words]) => words.test(lower))?.[1];
  const issueId = action ? issueIdOf(lower, facts) : undefined;
  if (action && issueId !== undefined) {
    const until = action === "snooze" ? (/\b(?:until|till|til)\s+(.+?)[?.!]*$/i.exec(text) ?? /\bfor\s+(.+?)[?.!]*$/i.exec(text))?.[1]?.trim() : undefined;
    return { kind: "tool", call: { name: "update_issue", args: { issue_id: issueId, action, ...(until ? { until } : {}) } } };
  }

  if (/\b(?:said|say|says|saying|answered)\s+["']?(?:yes|no)\b|\bmy question\b|\byes[- ]rate\b|\bquestion'?s? (?:answers|results|stats)\b|\banswers? to (?:the|my|our) question\b/.test(lower)) {
    const since = sincePhrase(text);
    const monitor = /\b(?:of|on|for|from|to|by)\s+(?:the|my|our)\s+["']?([\w-]+(?:\s+[\w-]+)?)["']?\s+monitor\b/i.exec(text)?.[1];
    return { kind: "tool", call: { name: "question_stats", args: { ...(monitor ? { monitor } : {}), ...(since ? { since } : {}) } } };
  }

  const back =
    /\b(?:is|are|has|have|did)\s+(?:the\s+|that\s+|this\s+|our\s+|my\s+)?(.+?)\s+(?:back|come back|came back|returned|returning|recurring|reappeared|happening again|still (?:happening|there|around|broken|failing|occurring|slow|open)|fixed|resolved|gone)\b/i.exec(
      text,
    ) ?? /\b(?:status|state) of\s+(?:the\s+)?(.+?)[?.!]*$/i.exec(text);
  if (back) return { kind: "tool", call: { name: "find_issue", args: { text: back[1]!.trim() } } };

  const whatsNew = /\bwhat'?s new\b|\bwhat is new\b|\banything new\b|\bwhat (?:has )?changed\b/.test(lower);
  const issuesAsked = /\b(?:issues|regressions)\b/.test(lower) && (/\b(?:new|tracked|open|regressed|since)\b/.test(lower) || /\bregressions\b/.test(lower));
  // "new issues" also reads as the report's patterns: only a chat that tracks issues takes it as them.
  if (whatsNew || (facts.watch && issuesAsked)) {
    const since = sincePhrase(text);
    const regressed = /\bregress(?:ed|ions?)\b/.test(lower) && !whatsNew;
    return { kind: "tool", call: { name: "list_issues", args: { ...(since ? { since } : {}), ...(regressed ? { states: ["regressed"] } : {}) } } };
  }
  return undefined;
}
