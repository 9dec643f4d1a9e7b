import { SessionSummariesError } from "../domain/errors.ts";
import type { TrackedIssue } from "../domain/monitor.ts";
import type { WatchStore } from "./store/types.ts";

/**
 * What people do to an issue (API, chat, CLI): snooze it until a date, mute it, resolve it, or
 * reopen it. Plain code: the caller loads the issue and saves what comes back. The next sweep
 * moves states on from here (a resolved issue seen again is `regressed`; a snooze ends at its date).
 */

export class IssueActionError extends SessionSummariesError {}

export const ISSUE_ACTIONS = ["snooze", "mute", "resolve", "reopen"] as const;
export type IssueAction = (typeof ISSUE_ACTIONS)[number];

export interface IssueActionRequest {
  action: IssueAction;
  /** snooze: until when (ISO time, after `now`). */
  until?: string;
}

/** The issue after the action, or an `IssueActionError` saying what was wrong with the request. */
export function applyIssueAction(issue: TrackedIssue, request: IssueActionRequest, now: Date): TrackedIssue {
  const { snoozed_until: _dropped, ...rest } = issue;
  switch (request.action) {
    case "snooze": {
      const until = request.until === undefined ? Number.NaN : Date.parse(request.until);
      if (Number.isNaN(until)) throw new IssueActionError("invalid_until", `snoozing issue ${issue.id} needs "until", an ISO date or time; got ${JSON.stringify(request.until)}`);
      if (until <= now.getTime()) throw new IssueActionError("invalid_until", `"until" (${request.until}) must be in the future to snooze issue ${issue.id}`);
      return { ...rest, state: "snoozed", snoozed_until: new Date(until).toISOString() };
    }
    case "mute":
      return { ...rest, state: "muted" };
    case "resolve":
      // Counting unseen sweeps again from here: the issue regresses when it is seen, whenever that is.
      return { ...rest, state: "resolved", sweeps_unseen: 0 };
    case "reopen":
      return { ...rest, state: "ongoing", sweeps_unseen: 0 };
    default:
      throw new IssueActionError("invalid_action", `unknown action ${JSON.stringify((request as { action: unknown }).action)}; one of ${ISSUE_ACTIONS.join(", ")}`);
  }
}

/**
 * Applies the action and saves only the state columns (`updateIssueState`): a sweep writing the
 * issue's counts at the same time keeps them. `issue_not_found` when it vanished meanwhile.
 */
export async function applyIssueActionAndSave(store: WatchStore, issue: TrackedIssue, request: IssueActionRequest, now: Date): Promise<TrackedIssue> {
  const changed = applyIssueAction(issue, request, now);
  const saved = await store.updateIssueState(issue.project, issue.id, {
    state: changed.state,
    sweeps_unseen: changed.sweeps_unseen,
    ...(changed.snoozed_until !== undefined ? { snoozed_until: changed.snoozed_until } : {}),
  });
  if (!saved) throw new IssueActionError("issue_not_found", `issue ${issue.id} is no longer there`);
  return saved;
}
