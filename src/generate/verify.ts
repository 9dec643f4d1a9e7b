import { readFile } from "node:fs/promises";
import path from "node:path";
import { AnalyticsEventSchema } from "../domain/events.ts";
import type { AnalyticsEvent } from "../domain/events.ts";
import { ISSUE_TRIGGER_EVENTS } from "../domain/labels.ts";
import type { LabelledIssue } from "../domain/labels.ts";
import type { BrowserMark } from "./visitor.ts";

/** How far a labelled timestamp may be from its trigger event. */
export const TRIGGER_TOLERANCE_MS = 2_000;

/** The event that marks a labelled issue in the session's events, if any (see `ISSUE_TRIGGER_EVENTS`). */
export function findTrigger(issue: LabelledIssue, events: readonly AnalyticsEvent[], toleranceMs = TRIGGER_TOLERANCE_MS): AnalyticsEvent | undefined {
  const names = ISSUE_TRIGGER_EVENTS[issue.kind];
  const at = Date.parse(issue.timestamp);
  return events.find(
    (e) =>
      names.includes(e.event) && Math.abs(Date.parse(e.timestamp) - at) <= toleranceMs && (e.event !== "$autocapture" || e.properties.$event_type === "click" || e.properties.$event_type === "submit"),
  );
}

/** The events the capture server has written for a session so far (plain JSONL, before finalizing). */
export async function readCapturedEvents(out: string, sessionId: string): Promise<AnalyticsEvent[]> {
  const text = await readFile(path.join(out, "sessions", sessionId, "events.jsonl"), "utf8").catch(() => "");
  const events: AnalyticsEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const parsed = AnalyticsEventSchema.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    } catch {
      // a torn line; the finalizer drops it too
    }
  }
  return events;
}

export interface CaptureCheck {
  /** The labels or the page structure do not match the events: the session must be recorded again. */
  problems: string[];
  /** Losses a real PostHog project also has (a click posthog-js never sent): kept, but reported. */
  notes: string[];
}

/**
 * Compares what the capture server holds for a session with what the page did: one `$pageview`
 * per page load and a trigger event for every label are required; an autocaptured click for every
 * click is expected. posthog-js now and then drops the events of its last flush before a
 * navigation; a dropped click is kept as a note, since real datasets have those gaps too.
 */
export function checkCapture(events: readonly AnalyticsEvent[], marks: readonly BrowserMark[], issues: readonly LabelledIssue[]): CaptureCheck {
  const problems: string[] = [];
  const notes: string[] = [];
  const pageLoads = marks.filter((m) => m.type === "page").length;
  const pageviews = events.filter((e) => e.event === "$pageview").length;
  if (pageviews !== pageLoads) problems.push(`${pageviews} $pageview events for ${pageLoads} page loads`);
  for (const issue of issues) {
    if (!findTrigger(issue, events)) problems.push(`no ${ISSUE_TRIGGER_EVENTS[issue.kind].join("/")} within 2 s of ${issue.kind} ${issue.pattern_key}`);
  }
  const clicks = marks.filter((m) => m.type === "click").length;
  const autocaptured = events.filter((e) => e.event === "$autocapture" && e.properties.$event_type === "click").length;
  if (autocaptured < clicks) notes.push(`posthog-js sent ${autocaptured} autocaptured clicks for ${clicks} clicks`);
  return { problems, notes };
}
