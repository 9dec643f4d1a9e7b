/**
 * The offline chat's rules: a request in plain words → one tool call, and tool results → an answer.
 * Pure functions of text, so every rule is unit-tested; anything they do not recognise gets a plain
 * "this needs a model" answer naming the setting.
 */

import { planWatchRequest, type WATCH_TOOLS } from "./watch-rules.ts";

export interface PlannedToolCall {
  name: "find_sessions" | "summarize_sessions" | "list_patterns" | "get_pattern" | "get_session_summary" | "search_summaries" | (typeof WATCH_TOOLS)[number];
  args: Record<string, unknown>;
}

export type HeuristicPlan = { kind: "tool"; call: PlannedToolCall } | { kind: "answer"; text: string };

/** What the rules know of the conversation besides the latest request. */
export interface ConversationFacts {
  /** A report was made in this conversation. */
  hasReport: boolean;
  /** The pattern the conversation last looked at ("show an example" means of that one). */
  lastPatternId?: number;
  /** The example of that pattern last shown ("another example" is the next one). */
  lastExample?: number;
  /** For relative dates ("this week"). */
  now: Date;
  /** The chat tracks issues (the watch tools are offered): "new issues since Monday" means tracked issues, not a report's patterns. */
  watch?: boolean;
  /** The tracked issue the conversation last looked at ("mute it"). */
  lastIssueId?: number;
}

export const CHAT_MODEL_ENV = "SESSION_SUMMARIES_CHAT";

export const NEEDS_MODEL_ANSWER =
  `I can't answer that offline: this chat runs without a language model, so it only understands a few requests. ` +
  `Set ${CHAT_MODEL_ENV} (for example ${CHAT_MODEL_ENV}=openai:gpt-4.1-mini with OPENAI_API_KEY) for free-form questions. ` +
  `Offline I can: "summarize sessions with errors on checkout", "summarize the last 20 sessions", "what are the top problems on checkout?", ` +
  `"which errors did users hit?", "which pattern affects most sessions?", "show pattern 2", "show an example", "sessions mentioning coupon", ` +
  `"find sessions with errors", "show session <id>".`;

/** How to get a model, in every "needs a model" answer. */
const NEEDS_MODEL = `This needs a model: set ${CHAT_MODEL_ENV} (for example ${CHAT_MODEL_ENV}=openai:gpt-4.1-mini with OPENAI_API_KEY).`;

/** A summarize or find request with a qualifier the rules cannot turn into a filter. */
export function unsupportedQualifierAnswer(qualifier: string): string {
  return (
    `I can't pick sessions by ${JSON.stringify(qualifier)} offline: without a language model I only filter by errors, page, time and count, ` +
    `and I would rather say so than summarize the wrong sessions. ${NEEDS_MODEL} ` +
    `Or ask without it, e.g. "summarize sessions with errors on checkout".`
  );
}

/** A question about patterns with a qualifier (device, browser, country …) patterns cannot be filtered on offline. */
export function unsupportedPatternQualifierAnswer(qualifier: string): string {
  return (
    `I can't narrow the patterns to ${JSON.stringify(qualifier)} offline: without a language model I filter patterns only by page ` +
    `("top problems on checkout") and kind (errors, slow pages, confusion, abandonment), and an answer about every session would look like one about ${JSON.stringify(qualifier)}. ` +
    NEEDS_MODEL
  );
}

/** A search of summaries asked before any report exists (there is nothing to search yet). */
export function needsReportAnswer(topic: string): string {
  return (
    `There is no report in this conversation yet, and offline I can only search the summaries of a report's sessions. ` +
    `Make one first, e.g. "summarize sessions with errors" or "summarize the last 20 sessions", then ask "sessions mentioning ${topic}".`
  );
}

const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, twenty: 20, fifty: 50, hundred: 100 };
const DAY_MS = 24 * 60 * 60 * 1000;
const UUIDISH = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i;

function toNumber(word: string): number | undefined {
  const n = /^\d+$/.test(word) ? Number(word) : NUMBER_WORDS[word.toLowerCase()];
  return n !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Filters named in a request: errors, a page, a count, a time range, a focus. */
export function parseSessionFilters(text: string, now: Date): Record<string, unknown> {
  const lower = text.toLowerCase();
  const args: Record<string, unknown> = {};
  if (/\b(without|no|free of) (errors?|exceptions?|crash(es)?)\b/.test(lower)) args.has_exception = false;
  else if (/\b(errors?|exceptions?|crash(es|ed|ing)?|failing|failed|broken|bugs?)\b/.test(lower)) args.has_exception = true;

  const count =
    /\b(?:last|latest|recent|newest|first|top)\s+(\d+|[a-z]+)\b(?!\s+(?:days?|weeks?|hours?|months?)\b)/.exec(lower) ??
    /\b(\d+|[a-z]+)\s+(?:most recent\s+|latest\s+|recent\s+)?sessions\b/.exec(lower);
  const limit = count ? toNumber(count[1]!) : undefined;
  if (limit !== undefined) args.limit = limit;

  const focus = /\bfocus(?:ing)? on (.+?)(?:[.?!]|$)/i.exec(text);
  if (focus) args.focus_area = focus[1]!.trim();
  const page = pageOf(focus ? text.slice(0, focus.index) : text);
  if (page) args.visited_url_contains = page;

  const days = /\b(?:last|past)\s+(\d+|[a-z]+)\s+days?\b/.exec(lower);
  if (days && toNumber(days[1]!)) args.from = new Date(now.getTime() - toNumber(days[1]!)! * DAY_MS).toISOString();
  else if (/\b(this|last|past) week\b/.test(lower)) args.from = new Date(now.getTime() - 7 * DAY_MS).toISOString();
  else if (/\btoday\b/.test(lower)) args.from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
  else if (/\byesterday\b/.test(lower)) {
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    args.from = new Date(midnight - DAY_MS).toISOString();
    args.to = new Date(midnight).toISOString();
  }
  return args;
}

const NOT_PAGES = new Set([
  "the",
  "a",
  "an",
  "my",
  "our",
  "this",
  "that",
  "it",
  "them",
  "mobile",
  "desktop",
  "errors",
  "error",
  "average",
  "all",
  "each",
  "every",
  "sessions",
  "session",
  "report",
  "total",
]);

const DEVICE_OR_PLACE =
  /\b(mobile|phones?|smartphones?|tablets?|desktops?|laptops?|ios|android|iphones?|ipads?|browsers?|chrome|firefox|safari|countr(?:y|ies)|regions?|locations?|languages?|windows|macos|linux)\b/i;
const TIME_WORDS = /^(last|past|this|today|yesterday|week|weeks|month|months|day|days|hours?|morning|monday|tuesday|wednesday|thursday|friday|saturday|sunday|earlier|before|now)$/;

/**
 * A qualifier of the request that the rules have no filter for: a device, browser or country,
 * "from X" (other than a time or a page), or "the ones …"/"those" (sessions of an earlier answer).
 */
export function unsupportedQualifier(text: string): string | undefined {
  const device = DEVICE_OR_PLACE.exec(text);
  if (device) return device[1]!;
  const from = /\bfrom\s+(?:the\s+|a\s+|an\s+|my\s+|our\s+)?([a-z][\w-]*)(\s+(?:page|step|flow|screen)\b)?/i.exec(text);
  if (from && !from[2] && !TIME_WORDS.test(from[1]!.toLowerCase())) return from[0];
  const earlier = /\b(?:(?:just|only)\s+)?the ones\b[^.?!]*|\bthose\b/i.exec(text);
  if (earlier) return earlier[0].trim();
  return undefined;
}

/** `on checkout`, `on the cart page`, `on /product/` → the URL text to look for. */
export function pageOf(text: string): string | undefined {
  const path = /(?:^|\s)(\/[\w\-./?=&%]*)/.exec(text);
  if (path && path[1]!.length > 1) return path[1];
  const named =
    /\b(?:on|at|in|during|visiting|visited|through)\s+(?:the\s+)?([a-z][\w-]*)(?:\s+(?:page|step|flow|screen))?\b/i.exec(text) ??
    /\bfrom\s+(?:the\s+)?([a-z][\w-]*)\s+(?:page|step|flow|screen)\b/i.exec(text);
  if (!named) return undefined;
  const word = named[1]!.toLowerCase();
  if (NOT_PAGES.has(word) || /^(last|past|this|today|yesterday|week|day|days)$/.test(word)) return undefined;
  return word;
}

/** The tool call (or plain answer) for the latest request. */
export function planRequest(request: string, facts: ConversationFacts): HeuristicPlan {
  const text = request.trim();
  const lower = text.toLowerCase();
  if (!text) return { kind: "answer", text: NEEDS_MODEL_ANSWER };

  const watchPlan = planWatchRequest(text, facts);
  if (watchPlan) return watchPlan;

  const sessionId = UUIDISH.exec(text)?.[0];
  if (sessionId && /\b(session|show|what happened|summary|open)\b/.test(lower) && !/\bsummari[sz]e\b/.test(lower)) {
    return { kind: "tool", call: { name: "get_session_summary", args: { session_id: sessionId } } };
  }

  if (/\b(summari[sz]e|summary of|analy[sz]e|report on|make a report|what'?s going wrong|what is going wrong|what went wrong|watch)\b/.test(lower)) {
    const qualifier = unsupportedQualifier(text);
    if (qualifier) return { kind: "answer", text: unsupportedQualifierAnswer(qualifier) };
    return { kind: "tool", call: { name: "summarize_sessions", args: parseSessionFilters(text, facts.now) } };
  }

  const patternNumber = /\b(?:pattern|issue|problem|#)\s*(?:number\s*|no\.?\s*)?(\d+)\b/.exec(lower) ?? /#(\d+)\b/.exec(lower);
  if (/\bexample\b/.test(lower)) {
    // One example: the next one of the pattern last looked at when asked for "another".
    const id = patternNumber ? Number(patternNumber[1]) : facts.lastPatternId;
    const asked = /\bexample\s+(\d+)\b/.exec(lower);
    const next = /\b(another|next|other)\b/.test(lower) && !patternNumber && facts.lastExample !== undefined ? facts.lastExample + 1 : 1;
    const example = asked ? Number(asked[1]) : next;
    return { kind: "tool", call: { name: "get_pattern", args: id !== undefined ? { pattern_id: id, example } : { rank: "most_sessions", example } } };
  }
  if (/\bexamples\b/.test(lower)) {
    const id = patternNumber ? Number(patternNumber[1]) : facts.lastPatternId;
    return { kind: "tool", call: { name: "get_pattern", args: id !== undefined ? { pattern_id: id, examples: 3 } : { rank: "most_sessions", examples: 3 } } };
  }
  if (patternNumber) return { kind: "tool", call: { name: "get_pattern", args: { pattern_id: Number(patternNumber[1]) } } };

  const patternCall = planPatternQuestion(text);
  if (patternCall) return patternCall;
  const topic =
    /\bsessions?\s+(?:that\s+|which\s+|where\s+)?(?:mention(?:s|ing)?|with|about|hit(?:ting)?|containing|involving|had|having)\s+(?:the\s+|a\s+|an\s+)?(.+?)(?:\s+(?:problem|issue))?[?.!]*$/i.exec(
      text,
    ) ?? /\b(?:search|look)\s+(?:for\s+)?(.+?)[?.!]*$/i.exec(text);
  const wantsList = /\b(find|list|which|show)\b/.test(lower) && /\bsessions?\b/.test(lower);
  const filters = parseSessionFilters(text, facts.now);
  const filterOnly = topic !== null && /^(errors?|exceptions?|crash(es)?|no errors|(errors? )?on .+)$/i.test(topic[1]!.trim());
  const hasFilters = Object.keys(filters).length > 0;
  const lists = wantsList && (filterOnly || !topic || !facts.hasReport);
  if (lists) {
    // A list by a qualifier the rules cannot filter on would list the wrong sessions.
    const qualifier = unsupportedQualifier(text);
    if (qualifier) return { kind: "answer", text: unsupportedQualifierAnswer(qualifier) };
  }
  if (lists && hasFilters) return { kind: "tool", call: { name: "find_sessions", args: filters } };
  if (topic && !filterOnly && !facts.hasReport && !hasFilters) return { kind: "answer", text: needsReportAnswer(topic[1]!.trim()) };
  if (topic && facts.hasReport) return { kind: "tool", call: { name: "search_summaries", args: { query: topic[1]!.trim() } } };
  if (wantsList) return { kind: "tool", call: { name: "find_sessions", args: filters } };

  return { kind: "answer", text: NEEDS_MODEL_ANSWER };
}

/** Kinds of problem a request names, as list_patterns and get_pattern filter them. */
export function patternKindOf(lower: string): "error" | "slow" | "confusion" | "abandonment" | undefined {
  if (/\bslow\b|\bloading\b|\btak(?:es?|ing) (?:too )?long\b/.test(lower)) return "slow";
  if (/\bconfus(?:ion|ed|ing)\b/.test(lower)) return "confusion";
  if (/\babandon(?:s|ed|ment)?\b|\bg[ai]ve up\b|\bdrop(?:ped)? off\b/.test(lower)) return "abandonment";
  if (/\b(?:errors?|exceptions?|crash(?:es)?|failures?)\b/.test(lower)) return "error";
  return undefined;
}

const RANKED_PATTERN: Array<[RegExp, string]> = [
  [/\b(most severe|worst|critical|most serious|most dangerous)\b/, "most_severe"],
  [/\b(most often|most occurrences|most frequently|happens most|occurs most)\b/, "most_occurrences"],
  [/\b(most common|most frequent|most sessions|most users|most people|biggest|top|main|largest|most widespread|affects? (the )?most|hit (the )?most)\b/, "most_sessions"],
];

/**
 * A question about the report's patterns: one pattern by rank ("which pattern affects most
 * sessions?"), or the list ("what are the top problems on checkout?", "which errors …?"), narrowed
 * by page and kind. A qualifier patterns cannot be filtered on (a device, a country) is answered
 * with "needs a model" instead of an answer about every session.
 */
function planPatternQuestion(text: string): HeuristicPlan | undefined {
  const lower = text.toLowerCase();
  if (/\bsessions?\b/.test(lower) && !/\b(pattern|issue|problem|bug)s?\b/.test(lower)) return undefined;
  const kind = patternKindOf(lower);
  const aboutPatterns = /\b(pattern|issue|problem|bug)s?\b/.test(lower) || /\bmost\b/.test(lower) || (kind !== undefined && /\b(what|which|list|show|any)\b/.test(lower));
  if (!aboutPatterns) return undefined;
  const plural = /\b(patterns|issues|problems|bugs|errors|exceptions|crashes|failures)\b/.test(lower) || (kind !== undefined && !/\b(pattern|issue|problem|bug)\b/.test(lower));
  const rank = RANKED_PATTERN.find(([words]) => words.test(lower))?.[1];
  const listed = plural && !/\bmost\b/.test(lower);
  if (!rank && !listed) return undefined;
  const qualifier = unsupportedQualifier(text) ?? patternOnlyQualifier(text);
  if (qualifier) return { kind: "answer", text: unsupportedPatternQualifierAnswer(qualifier) };
  const page = pageOf(text);
  const filter = { ...(page ? { page } : {}), ...(kind ? { kind } : {}) };
  if (listed) return { kind: "tool", call: { name: "list_patterns", args: filter } };
  return { kind: "tool", call: { name: "get_pattern", args: { rank, ...filter } } };
}

/**
 * Qualifiers a question about a report's patterns cannot honour: a report's patterns cover the
 * sessions it summarized, so a time ("this week") or a group of users ("new users") would need
 * another report, and answering about all of them would look like an answer about the group.
 */
function patternOnlyQualifier(text: string): string | undefined {
  const lower = text.toLowerCase();
  const time = /\b(?:this|last|past) (?:week|month|year)\b|\b(?:last|past) \d+ (?:days?|weeks?|hours?)\b|\btoday\b|\byesterday\b|\bsince \S+/.exec(lower);
  if (time) return time[0];
  const users =
    /\b(?:for|among|by|of)\s+(?:the\s+)?((?:[\w-]+\s+){0,2}(?:users?|customers?|visitors?|people|accounts?|members?))\b/.exec(lower) ??
    /\b((?:new|returning|paying|free|trial|premium|first[- ]time|logged[- ]in|anonymous|enterprise)\s+(?:users?|customers?|visitors?|accounts?))\b/.exec(lower);
  if (users && !/^(?:most|the most|all|many)\b/.test(users[1]!)) return users[1]!;
  return undefined;
}

const FENCE_LINE = /^<\/?untrusted_data(?: name="[^"]*")?>$/;

/** Tool results as the offline chat's answer: the results' text without the prompt fences, and a next step. */
export function composeAnswer(results: ReadonlyArray<{ name: string; content: string }>): string {
  const parts = results.map(({ name, content }) => {
    const text = content
      .split("\n")
      .filter((line) => !FENCE_LINE.test(line.trim()))
      .join("\n")
      .trim();
    const next = NEXT_STEPS[name];
    return `${text}${next && next.after.test(text) ? `\n\n${next.say}` : ""}`;
  });
  return parts.join("\n\n") || "The tools returned nothing.";
}

/** A line of a watch tool's answer naming an issue (`issueLine`), so there is an issue to act on. */
const LISTS_AN_ISSUE = /^(?:NEW |BACK |SEEN )?Issue \d+ \[/m;
const ISSUE_NEXT_STEPS = 'Say "mute issue <id>", "snooze issue <id> until Monday" or "resolve issue <id>".';
/** What to ask next, after a tool result that reads like `after`. */
const NEXT_STEPS: Record<string, { after: RegExp; say: string }> = {
  summarize_sessions: { after: /^Report \S+ is ready/, say: 'Ask "what are the top problems on checkout?", "which pattern affects most sessions?", "show pattern 1" or "show an example".' },
  list_issues: { after: LISTS_AN_ISSUE, say: ISSUE_NEXT_STEPS },
  find_issue: { after: LISTS_AN_ISSUE, say: ISSUE_NEXT_STEPS },
};
