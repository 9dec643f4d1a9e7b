/** Steps every app's personas share. */
import type { PersonaContext } from "./persona.ts";
import type { BrowserMark } from "./visitor.ts";

/** Issues are labelled only after this much of the session has passed (the first 5 s, plus margin). */
export const ISSUE_NOT_BEFORE_MS = 6_500;

/** Waits, reading the page, until an issue may be triggered (not in the session's first seconds). */
export async function reachIssueWindow(context: PersonaContext): Promise<void> {
  const wait = context.startedAt + ISSUE_NOT_BEFORE_MS - (await context.user.now());
  if (wait > 0) await context.user.read(wait / context.user.pace);
}

/** Browser time at which the page with this path last started loading, after `after` (its `$pageview` follows at once). */
export async function pageLoadedAt(context: PersonaContext, path: string, after = 0): Promise<number> {
  const marks = await context.user.marks();
  const mark = [...marks].reverse().find((m) => m.type === "page" && m.path === path && m.t >= after);
  if (!mark) throw new Error(`no page load of ${path} in the page log`);
  return mark.t;
}

/** The first mark of this type the page logged inside the labelling window that matches `test`. */
export async function firstMarkInWindow(context: PersonaContext, type: string, test: (mark: BrowserMark) => boolean = () => true): Promise<BrowserMark | undefined> {
  const marks = await context.user.marks();
  return marks.find((m) => m.type === type && m.t >= context.startedAt + ISSUE_NOT_BEFORE_MS && test(m));
}
