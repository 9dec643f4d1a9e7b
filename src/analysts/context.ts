import { isForwardNavigation, type PageArea } from "./areas.ts";
import type { LoadingWait } from "../replay/waits.ts";
import type { ClickAnswer } from "../replay/metadata.ts";
import type { OfflineAnalystOptions } from "./options.ts";
import { isProgressEvent, isTriggerAction, type Moment, type Timeline } from "./timeline.ts";

/** The timeline plus the look-ups every rule needs (what came before or after a moment). */
export class SessionContext {
  readonly moments: readonly Moment[];
  readonly startMs: number;
  readonly endMs: number;
  readonly waits: readonly LoadingWait[];
  readonly clickAnswers: readonly ClickAnswer[];
  private readonly indexByMoment: Map<Moment, number>;

  constructor(
    timeline: Timeline,
    readonly options: OfflineAnalystOptions,
  ) {
    this.moments = timeline.moments;
    this.startMs = timeline.startMs;
    this.endMs = timeline.endMs;
    this.waits = timeline.waits;
    this.clickAnswers = timeline.clickAnswers;
    this.indexByMoment = new Map(this.moments.map((moment, index) => [moment, index]));
  }

  /** Index of the first moment at or after `ms`. */
  indexAtOrAfter(ms: number): number {
    let low = 0;
    let high = this.moments.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.moments[mid]!.ms < ms) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Moments with `fromMs < ms <= toMs`, in time order. */
  between(fromMs: number, toMs: number): Moment[] {
    const result: Moment[] = [];
    for (let i = this.indexAtOrAfter(fromMs); i < this.moments.length; i += 1) {
      const moment = this.moments[i]!;
      if (moment.ms > toMs) break;
      if (moment.ms > fromMs) result.push(moment);
    }
    return result;
  }

  /** Moments strictly before `moment` in time order, nearest first, back to `windowMs` earlier. */
  *before(moment: Moment, windowMs: number): Generator<Moment> {
    const index = this.indexByMoment.get(moment) ?? -1;
    for (let i = index - 1; i >= 0; i -= 1) {
      const other = this.moments[i]!;
      if (moment.ms - other.ms > windowMs) return;
      yield other;
    }
  }

  /** Whether two moments happened in the same browser window (unknown windows count as the same). */
  sameWindow(a: Moment, b: Moment): boolean {
    return a.windowId === undefined || b.windowId === undefined || a.windowId === b.windowId;
  }

  /**
   * The first sign, after `fromMs` and up to `toMs`, that the user moved on: a conversion or a step
   * event, or a page change forward (or onward while browsing) from `area` in the same window.
   */
  firstProgress(fromMs: number, toMs: number, area: PageArea, reference?: Moment): Moment | undefined {
    return this.between(fromMs, toMs).find(
      (moment) =>
        isProgressEvent(moment) || (moment.kind === "pageview" && (!reference || this.sameWindow(moment, reference)) && isForwardNavigation(area, moment.page, this.options.learning.minOrderGap)),
    );
  }

  /** The latest click, submit or change in the same window within `windowMs` before `moment`. */
  triggerActionBefore(moment: Moment, windowMs: number): Moment | undefined {
    for (const other of this.before(moment, windowMs)) {
      if (isTriggerAction(other) && this.sameWindow(other, moment)) return other;
    }
    return undefined;
  }

  /** The latest page load in the same window within `windowMs` before `moment`. */
  pageviewBefore(moment: Moment, windowMs: number): Moment | undefined {
    for (const other of this.before(moment, windowMs)) {
      if (other.kind === "pageview" && this.sameWindow(other, moment)) return other;
    }
    return undefined;
  }

  /** The recorded click nearest to a click event (same window, within `slackMs`), if the recording has it. */
  recordedClick(moment: Moment, slackMs: number): ClickAnswer | undefined {
    let best: ClickAnswer | undefined;
    for (const click of this.clickAnswers) {
      if (moment.windowId !== undefined && click.windowId !== moment.windowId) continue;
      const distance = Math.abs(click.ms - moment.ms);
      if (distance <= slackMs && (!best || distance < Math.abs(best.ms - moment.ms))) best = click;
    }
    return best;
  }

  firstConversion(): Moment | undefined {
    return this.moments.find((moment) => moment.customClass === "conversion");
  }

  hasConversionBetween(fromMs: number, toMs: number): boolean {
    return this.between(fromMs, toMs).some((moment) => moment.customClass === "conversion");
  }
}
