import { EventType, IncrementalSource, MouseInteractions } from "@rrweb/types";
import type { eventWithTime } from "@rrweb/types";
import type { ValidationVerdict } from "../domain/summary.ts";
import { blankCanvasIds, unreplayableContent } from "../render/unreplayable.ts";

/** What the replay showed around a flagged moment: the page's visible text and screen at each frame, and the recording's events. */
export interface ReplayObservation {
  /** Epoch ms of each frame. */
  frameTimes: readonly number[];
  /** Visible text of the replayed page at each frame. */
  texts: readonly string[];
  /**
   * Fingerprint of the screen at each frame, the cursor left out (`RenderedClip.screens`). Without
   * them a click is judged by the page's text alone, and the evidence says so.
   */
  screens?: readonly string[];
  /** The rrweb events the clip was replayed from (clicks and page loads are read from them). */
  events: readonly eventWithTime[];
  /** Epoch ms the replay starts at: evidence times are given from it, like the events table. */
  replayStartMs: number;
  /** Epoch ms the recording ends: a session ending inside the clip means the user left. */
  recordingEndMs?: number;
}

export interface DomVerdict {
  verdict: ValidationVerdict;
  observed: string;
  evidence: string[];
}

export const DOM_VALIDATOR_RULES = {
  /** Only what became visible this soon after the flagged event counts as its error message. */
  errorTextWithinMs: 5_000,
  /** The frame this long before the event is the "before" picture. */
  baselineBeforeMs: 1_000,
  /** The click that caused the error comes at most this long before it. */
  triggerClickBeforeMs: 2_000,
  /** A click whose page shows no change this long after it "changed nothing". */
  clickResponseMs: 2_000,
  /** A click that changed nothing, then nothing else for this long, means the user was stuck. */
  stuckAfterMs: 3_000,
  /** Rage clicks: this many clicks ... */
  rageClicks: 3,
  /** ... within this long, ... */
  rageWithinMs: 1_000,
  /** ... within this many pixels of each other. */
  rageRadiusPx: 40,
} as const;

/**
 * Words of error messages. Only lines that *appear* after the flagged event are tested, so page
 * copy that happens to contain one ("no problem returning it") does not count.
 */
const ERROR_WORDS =
  /\b(error|errors|failed|failure|fails|went wrong|unable|couldn[’']?t|could not|can[’']?t|cannot|try again|invalid|declined|unavailable|not found|denied|expired|timed out|problem|sorry|oops|refused|rejected)\b/i;

const MAX_QUOTE = 160;

function linesOf(text: string): Set<string> {
  const lines = new Set<string>();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\s+/g, " ").trim();
    if (line) lines.add(line.length > MAX_QUOTE ? `${line.slice(0, MAX_QUOTE - 1)}…` : line);
  }
  return lines;
}

interface Click {
  at: number;
  /** The clicked node. */
  id?: number;
  x?: number;
  y?: number;
}

function clicksOf(events: readonly eventWithTime[]): Click[] {
  const clicks: Click[] = [];
  for (const event of events) {
    if (event.type !== EventType.IncrementalSnapshot) continue;
    const data = event.data as { source?: IncrementalSource; type?: MouseInteractions; id?: number; x?: number; y?: number };
    if (data.source !== IncrementalSource.MouseInteraction || data.type !== MouseInteractions.Click) continue;
    clicks.push({ at: event.timestamp, id: data.id, x: data.x, y: data.y });
  }
  return clicks.sort((a, b) => a.at - b.at);
}

function pageLoadsOf(events: readonly eventWithTime[]): Array<{ at: number; href: string }> {
  return events.filter((event) => event.type === EventType.Meta).map((event) => ({ at: event.timestamp, href: String((event.data as { href?: unknown }).href ?? "") }));
}

function hasRageClicks(clicks: readonly Click[]): Click | undefined {
  const { rageClicks, rageWithinMs, rageRadiusPx } = DOM_VALIDATOR_RULES;
  for (let i = 0; i + rageClicks - 1 < clicks.length; i++) {
    const burst = clicks.slice(i, i + rageClicks);
    if (burst.at(-1)!.at - burst[0]!.at > rageWithinMs) continue;
    const near = burst.every((c) => c.x === undefined || burst[0]!.x === undefined || Math.hypot(c.x - burst[0]!.x, (c.y ?? 0) - (burst[0]!.y ?? 0)) <= rageRadiusPx);
    if (near) return burst[0];
  }
  return undefined;
}

function pathOf(href: string): string {
  try {
    const url = new URL(href);
    return `${url.pathname}${url.search}`;
  } catch {
    return href.slice(0, MAX_QUOTE);
  }
}

/**
 * The offline validator: judges from the replayed page whether the flagged problem at `eventMs`
 * stopped the user. Confirmed when an error message became visible, when clicks after it changed
 * nothing on screen (twice or more, or rage clicks), or when the only click changed nothing and
 * nothing else happened until the user left or the clip ended (at least `stuckAfterMs`). Not
 * confirmed when nothing went unanswered and the page reacted to the user (or they moved on to
 * another page) with no error shown. Anything else is inconclusive.
 *
 * "Changed nothing on screen" means neither the text nor the pixels (cursor aside) of the frames
 * after the click differ from the frame at it; the evidence gives the frame counts. A click on a
 * canvas the replay shows blank is neither answered nor unanswered: its effect cannot be seen.
 */
export function judgeFromReplay(observation: ReplayObservation, eventMs: number): DomVerdict {
  const rules = DOM_VALIDATOR_RULES;
  const { frameTimes, texts } = observation;
  const clock = (ms: number) => `t=${((ms - observation.replayStartMs) / 1000).toFixed(1)} s`;
  if (frameTimes.length === 0 || texts.every((text) => text.trim() === "")) {
    return { verdict: "inconclusive", observed: "The replay showed no readable page in this clip.", evidence: [] };
  }
  const frameAt = (ms: number) => {
    let index = 0;
    for (let i = 0; i < frameTimes.length; i++) if (frameTimes[i]! <= ms) index = i;
    return index;
  };
  const evidence: string[] = [];

  // Error text: lines visible soon after the event that were not there just before it.
  const baseline = linesOf(texts[frameAt(eventMs - rules.baselineBeforeMs)] ?? "");
  const errorLines = new Map<string, number>();
  for (let i = 0; i < frameTimes.length; i++) {
    const at = frameTimes[i]!;
    if (at < eventMs - rules.baselineBeforeMs || at > eventMs + rules.errorTextWithinMs) continue;
    for (const line of linesOf(texts[i]!)) {
      // A message already on screen before the event (an earlier failure's banner) is not this event's.
      if (baseline.has(line) || !ERROR_WORDS.test(line) || errorLines.has(line)) continue;
      errorLines.set(line, at);
    }
  }
  for (const [line, at] of [...errorLines].slice(0, 3)) evidence.push(`${clock(at)}: error text became visible: "${line}"`);

  // Did the page answer the clicks from the one that caused the error on? A click answered when its
  // frames show a different screen (cursor aside) or text, or a page load follows it.
  const screens = observation.screens?.length === frameTimes.length ? observation.screens : undefined;
  const blankCanvases = blankCanvasIds(observation.events);
  const pageLoads = pageLoadsOf(observation.events);
  const lastFrameMs = frameTimes.at(-1)!;
  const clicks = clicksOf(observation.events).filter((c) => c.at >= eventMs - rules.triggerClickBeforeMs && c.at <= lastFrameMs);
  let unanswered = 0;
  let answered = 0;
  let unseen = 0;
  let lastUnansweredMs = -Infinity;
  for (const click of clicks) {
    const beforeIndex = frameAt(click.at);
    const after = frameTimes.map((at, i) => ({ at, i })).filter((f) => f.at > click.at && f.at <= click.at + rules.clickResponseMs);
    if (after.length === 0) continue; // too close to the clip's end to tell
    const textChanged = after.some((f) => texts[f.i] !== texts[beforeIndex]);
    const screensChanged = screens ? after.filter((f) => screens[f.i] !== screens[beforeIndex]).length : undefined;
    const loaded = pageLoads.some((p) => p.at > click.at && p.at <= click.at + rules.clickResponseMs);
    const frames = `${screensChanged ?? 0} of ${after.length} frame${after.length === 1 ? "" : "s"} after it differ${after.length === 1 ? "s" : ""}`;
    if (textChanged || loaded || (screensChanged ?? 0) > 0) {
      answered += 1;
      if (!textChanged && !loaded) evidence.push(`${clock(click.at)}: a click changed the screen but no text (${frames})`);
    } else if (click.id !== undefined && blankCanvases.has(click.id)) {
      // What the user saw on the canvas is not in the replay: the click's effect cannot be judged.
      unseen += 1;
      evidence.push(`${clock(click.at)}: a click on a canvas the replay shows blank: its effect cannot be seen`);
    } else {
      unanswered += 1;
      lastUnansweredMs = click.at;
      if (unanswered <= 3) {
        evidence.push(
          screens ? `${clock(click.at)}: a click changed nothing on screen (${frames}, cursor aside)` : `${clock(click.at)}: a click changed no text on the page (the screen was not compared)`,
        );
      }
    }
  }
  const rage = hasRageClicks(clicks.filter((c) => c.at >= eventMs - rules.triggerClickBeforeMs));
  if (rage) evidence.push(`${clock(rage.at)}: rage clicks (${rules.rageClicks}+ within ${rules.rageWithinMs / 1000} s)`);
  const navigation = pageLoads.find((p) => p.at > eventMs);
  if (navigation) evidence.push(`${clock(navigation.at)}: went to ${pathOf(navigation.href)}`);
  const left = observation.recordingEndMs !== undefined && observation.recordingEndMs <= lastFrameMs && !navigation;
  if (left) evidence.push(`${clock(observation.recordingEndMs!)}: the session ends`);
  for (const content of unreplayableContent(observation.events)) evidence.push(content.note);

  if (errorLines.size > 0) {
    return { verdict: "confirmed", observed: `An error message appeared after the event: "${[...errorLines.keys()][0]}".`, evidence };
  }
  const stuck = unanswered === 1 && answered === 0 && !navigation && (left || lastFrameMs - lastUnansweredMs >= rules.stuckAfterMs);
  if (rage || unanswered >= 2 || stuck) {
    const nothing = screens ? "nothing on screen" : "no text on the page";
    const why = rage
      ? "rage clicks"
      : unanswered >= 2
        ? `${unanswered} clicks that changed ${nothing}`
        : left
          ? "a click that changed nothing, then the session ended"
          : `a click that changed nothing, and no progress in the ${Math.floor((lastFrameMs - lastUnansweredMs) / 1000)} s after it`;
    return { verdict: "confirmed", observed: `No error message was shown, but the user was stuck: ${why}.`, evidence };
  }
  if (unanswered === 0 && (answered > 0 || navigation)) {
    const how = answered > 0 ? `the page answered ${answered} click${answered === 1 ? "" : "s"}` : "";
    const moved = navigation ? `the user went on to ${pathOf(navigation.href)}` : "";
    return { verdict: "not_confirmed", observed: `No error was visible and the user was not stopped: ${[how, moved].filter(Boolean).join(", and ")}.`, evidence };
  }
  const observed =
    clicks.length === 0
      ? "No error was visible, and the user did not interact in the clip."
      : unseen > 0 && unanswered === 0 && answered === 0
        ? `No error was visible; the user clicked on a canvas the replay shows blank, so what the click did cannot be seen.`
        : "No error was visible; the clicks after it give mixed signals.";
  return { verdict: "inconclusive", observed, evidence };
}
