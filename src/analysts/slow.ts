import type { LoadingWait } from "../replay/waits.ts";
import { pageAreaOf, type PageArea } from "./areas.ts";
import type { SessionContext } from "./context.ts";
import { isTriggerAction, type Moment } from "./timeline.ts";

/**
 * Slow pages: a page load or an action followed by a loading indicator that stayed on screen at
 * least `slow.minWaitMs` (the recording's `loadingWaits`, read from the DOM: spinners, progress bars,
 * `aria-busy`, "Loading…" text). The user either waited it out or left while it still showed
 * (the indicator was still there when the window's recording ended; the wait then lasts until their
 * last event in that window, a page leave say, when the recording stopped first).
 * The wait is cited on what started it: the latest page load or click/submit/change in the same
 * window shortly before the indicator appeared, else the first citable moment during the wait.
 * A slow page is a root problem of its own: it is never explained away by another issue.
 */

export interface SlowFinding {
  wait: LoadingWait;
  anchor: Moment;
  /** `load`: a page load started it; `action`: a click, submit or change did. */
  startedBy: "load" | "action";
  waitedMs: number;
  /** The indicator still showed when the user's window stopped recording: they left while waiting. */
  left: boolean;
  area: PageArea;
}

function sameWindow(moment: Moment, wait: LoadingWait): boolean {
  return moment.windowId === undefined || moment.windowId === wait.windowId;
}

/**
 * What to cite for a wait: the load of the waiting page; else a click or submit on that page after
 * it loaded; else the navigating click or submit that led there; else the first citable moment
 * during the wait; else the last one before it in the window (up to `citeBeforeMs`). The encoding
 * may have dropped the load: it cuts events near the replay's end, where a user who leaves a
 * spinning page has their last events. The finding keeps the waiting page's area either way.
 */
function anchorOf(context: SessionContext, wait: LoadingWait): { anchor: Moment; startedBy: SlowFinding["startedBy"] } | undefined {
  const { triggerBeforeMs, triggerAfterMs } = context.options.slow;
  const waitingPath = wait.url ? pageAreaOf(wait.url, context.options.site).path : undefined;
  const onWaitingPage = (moment: Moment) => waitingPath === undefined || moment.page.path === waitingPath;
  const near = context.between(wait.startMs - triggerBeforeMs, wait.startMs + triggerAfterMs).filter((moment) => moment.eventId && sameWindow(moment, wait));
  const load = near.filter((moment) => moment.kind === "pageview" && onWaitingPage(moment)).at(-1);
  const actionThere = near.filter((moment) => (moment.kind === "click" || moment.kind === "submit") && moment.ms <= wait.startMs && onWaitingPage(moment) && (!load || moment.ms > load.ms)).at(-1);
  if (actionThere) return { anchor: actionThere, startedBy: "action" };
  if (load) return { anchor: load, startedBy: "load" };
  // The click or submit that led to the waiting page: the last action before the wait, cited or not,
  // with no other page loaded in between.
  const before = context.between(wait.startMs - triggerBeforeMs, wait.startMs).filter((moment) => sameWindow(moment, wait));
  const lastAction = before.filter(isTriggerAction).at(-1);
  const ledThere =
    lastAction?.eventId && lastAction.control?.navigates && !before.some((moment) => moment.kind === "pageview" && moment.ms > lastAction.ms && !onWaitingPage(moment)) ? lastAction : undefined;
  if (ledThere) return { anchor: ledThere, startedBy: "action" };
  const standIn =
    context.between(wait.startMs - 1, wait.endMs).find((moment) => moment.eventId && sameWindow(moment, wait)) ??
    context
      .between(wait.startMs - context.options.slow.citeBeforeMs, wait.startMs)
      .filter((moment) => moment.eventId && sameWindow(moment, wait))
      .at(-1);
  return standIn ? { anchor: standIn, startedBy: "load" } : undefined;
}

export function findSlowPages(context: SessionContext): SlowFinding[] {
  const findings = new Map<Moment, SlowFinding>();
  for (const wait of context.waits) {
    // Unfinished: the recording may stop before the user does; their last event there (a page leave) ends the wait.
    const lastThere = wait.resolved
      ? undefined
      : context
          .between(wait.startMs, context.endMs)
          .filter((moment) => sameWindow(moment, wait))
          .at(-1);
    const waitedMs = Math.max(wait.endMs, lastThere?.ms ?? wait.endMs) - wait.startMs;
    if (waitedMs < context.options.slow.minWaitMs) continue;
    const cited = anchorOf(context, wait);
    if (!cited) continue;
    const { anchor, startedBy } = cited;
    const finding: SlowFinding = {
      wait,
      anchor,
      startedBy,
      waitedMs,
      left: !wait.resolved,
      area: wait.url ? pageAreaOf(wait.url, context.options.site) : anchor.page,
    };
    // Two waits started by the same moment are one slow page: the longer tells it.
    const known = findings.get(anchor);
    if (!known || known.waitedMs < waitedMs) findings.set(anchor, finding);
  }
  return [...findings.values()].sort((a, b) => a.anchor.ms - b.anchor.ms);
}
