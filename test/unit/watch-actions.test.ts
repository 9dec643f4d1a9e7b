import { describe, expect, it } from "vitest";
import type { TrackedIssue } from "../../src/domain/monitor.ts";
import { applyIssueAction, IssueActionError } from "../../src/watch/actions.ts";

const NOW = new Date("2026-03-02T10:00:00.000Z");
const issue: TrackedIssue = {
  id: 7,
  project: "p",
  monitor_id: "m",
  fingerprint: "error|/checkout|pay|typeerror",
  kind: "error",
  title: "Payment fails",
  description: "",
  severity: "high",
  state: "snoozed",
  snoozed_until: "2026-03-03T00:00:00.000Z",
  first_seen: "2026-03-01T00:00:00.000Z",
  last_seen: "2026-03-02T00:00:00.000Z",
  sweeps_unseen: 2,
  sessions_total: 4,
  users_total: 3,
  examples: [],
};

describe("applyIssueAction", () => {
  it("snoozes until a future time, mutes, resolves and reopens; only a snooze keeps a date", () => {
    expect(applyIssueAction({ ...issue, state: "new" }, { action: "snooze", until: "2026-03-09" }, NOW)).toMatchObject({ state: "snoozed", snoozed_until: "2026-03-09T00:00:00.000Z" });
    const muted = applyIssueAction(issue, { action: "mute" }, NOW);
    expect(muted.state).toBe("muted");
    expect(muted).not.toHaveProperty("snoozed_until");
    expect(applyIssueAction(issue, { action: "resolve" }, NOW)).toMatchObject({ state: "resolved", sweeps_unseen: 0 });
    expect(applyIssueAction(muted, { action: "reopen" }, NOW)).toMatchObject({ state: "ongoing", sweeps_unseen: 0 });
  });

  it("refuses a snooze without a date, with a date in the past, or an unknown action, naming the issue", () => {
    expect(() => applyIssueAction(issue, { action: "snooze" }, NOW)).toThrow(IssueActionError);
    expect(() => applyIssueAction(issue, { action: "snooze", until: "2026-03-01" }, NOW)).toThrow(/must be in the future to snooze issue 7/);
    expect(() => applyIssueAction(issue, { action: "snooze", until: "next week" }, NOW)).toThrow(/ISO date/);
    expect(() => applyIssueAction(issue, { action: "delete" as never }, NOW)).toThrow(/unknown action "delete"/);
  });
});
