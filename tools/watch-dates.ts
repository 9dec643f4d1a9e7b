import { SessionSummariesError } from "../src/domain/errors.ts";
import { DAY_MS, HOUR_MS } from "../src/watch/clock.ts";

/**
 * Dates people say in chat ("since Monday", "this week", "snooze until Friday") resolved in code
 * against the context's clock, never by the model: a model guessing today's date would be off by
 * days. All in UTC, like the watch store's days and windows, and every answer names the date it used.
 */

export class WatchDateError extends SessionSummariesError {}

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;
const UNIT_MS: Record<string, number> = { hour: HOUR_MS, day: DAY_MS, week: 7 * DAY_MS };
const NUMBER_WORDS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, fourteen: 14, thirty: 30 };

export interface ResolvedDate {
  at: Date;
  /** How an answer names it: `Monday 2026-11-30`, `2026-11-30T09:00:00.000Z`. */
  label: string;
}

const DATE_HELP = 'use an ISO date (2026-11-30) or time, or words like "today", "yesterday", "Monday", "this week", "7 days"';

function midnight(at: Date): number {
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
}

function dayLabel(ms: number): string {
  const at = new Date(ms);
  return `${WEEKDAYS[at.getUTCDay()]!.replace(/^./, (c) => c.toUpperCase())} ${at.toISOString().slice(0, 10)}`;
}

/** `3 days`, `two weeks`, `an hour`: the length in ms, or undefined. */
function durationOf(words: string): number | undefined {
  const match = /^(\d+|[a-z]+)\s*(hours?|h|days?|d|weeks?|w)$/.exec(words);
  if (!match) return undefined;
  const count = /^\d+$/.test(match[1]!) ? Number(match[1]) : NUMBER_WORDS[match[1]!];
  if (count === undefined || count <= 0 || !Number.isSafeInteger(count)) return undefined;
  const unit = match[2]!.startsWith("h") ? "hour" : match[2]!.startsWith("d") ? "day" : "week";
  return count * UNIT_MS[unit]!;
}

function isoOf(text: string): ResolvedDate | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return undefined;
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) return undefined;
  return { at: new Date(ms), label: text.length === 10 ? dayLabel(ms) : new Date(ms).toISOString() };
}

/** The words of a date phrase without the fillers people put around it ("since last Monday" → "monday"). */
function normalized(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[?.!,]+$/g, "")
    .replace(/^(?:since|from|after|until|till|til|for|in|the)\s+/, "")
    .replace(/^(?:last|past|previous|next|the last|the past)\s+(?=\d|[a-z]+\s+(?:hours?|days?|weeks?)$)/, "")
    .replace(/\s+ago$/, "")
    .replace(/\s+/g, " ");
}

/**
 * The start of a period that reaches up to now: "Monday" is the latest Monday before today (on a
 * Monday, a week ago: "since Monday" said on a Monday means the last one), "this week" starts on
 * Monday 00:00 UTC, "7 days"/"last week" are that long before now.
 */
export function resolveSince(text: string, now: Date): ResolvedDate {
  const iso = isoOf(text.trim());
  if (iso) {
    if (iso.at.getTime() > now.getTime()) throw new WatchDateError("invalid_date", `"since" ${JSON.stringify(text)} is in the future (now is ${now.toISOString()})`);
    return iso;
  }
  const words = normalized(text);
  const today = midnight(now);
  if (words === "today") return { at: new Date(today), label: `${dayLabel(today)} (today)` };
  if (words === "yesterday") return { at: new Date(today - DAY_MS), label: `${dayLabel(today - DAY_MS)} (yesterday)` };
  if (words === "this week") {
    const back = (now.getUTCDay() + 6) % 7;
    return { at: new Date(today - back * DAY_MS), label: `${dayLabel(today - back * DAY_MS)} (this week)` };
  }
  if (words === "this month") {
    const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    return { at: new Date(start), label: `${dayLabel(start)} (this month)` };
  }
  const weekday = WEEKDAYS.indexOf(words.replace(/^(?:last|past|previous)\s+/, "") as (typeof WEEKDAYS)[number]);
  if (weekday >= 0) {
    const back = (now.getUTCDay() - weekday + 7) % 7 || 7;
    return { at: new Date(today - back * DAY_MS), label: dayLabel(today - back * DAY_MS) };
  }
  const span = /^(?:last|past) (week|day|hour|month)$/.exec(words);
  const length = span ? (span[1] === "month" ? 30 * DAY_MS : UNIT_MS[span[1]!]) : durationOf(words);
  if (length !== undefined) {
    const at = new Date(now.getTime() - length);
    return { at, label: `${at.toISOString().slice(0, 16).replace("T", " ")} UTC (the last ${span ? span[1] : words})` };
  }
  throw new WatchDateError("invalid_date", `cannot read ${JSON.stringify(text)} as a date: ${DATE_HELP}`);
}

/**
 * A time after now, for snoozing: "Monday" is the next Monday 00:00 UTC, "3 days" is that long
 * from now, "tomorrow" is tomorrow 00:00 UTC; an ISO date or time is taken as given.
 */
export function resolveUntil(text: string, now: Date): ResolvedDate {
  const iso = isoOf(text.trim());
  if (iso) return iso;
  const words = normalized(text);
  const today = midnight(now);
  if (words === "tomorrow") return { at: new Date(today + DAY_MS), label: dayLabel(today + DAY_MS) };
  if (words === "next week" || words === "monday" || words === "next monday") {
    const ahead = (1 - now.getUTCDay() + 7) % 7 || 7;
    return { at: new Date(today + ahead * DAY_MS), label: dayLabel(today + ahead * DAY_MS) };
  }
  const weekday = WEEKDAYS.indexOf(words.replace(/^next\s+/, "") as (typeof WEEKDAYS)[number]);
  if (weekday >= 0) {
    const ahead = (weekday - now.getUTCDay() + 7) % 7 || 7;
    return { at: new Date(today + ahead * DAY_MS), label: dayLabel(today + ahead * DAY_MS) };
  }
  const length = durationOf(words);
  if (length !== undefined) {
    const at = new Date(now.getTime() + length);
    return { at, label: at.toISOString() };
  }
  throw new WatchDateError("invalid_date", `cannot read ${JSON.stringify(text)} as a time to snooze until: use an ISO date or time, or words like "tomorrow", "Monday", "3 days"`);
}
