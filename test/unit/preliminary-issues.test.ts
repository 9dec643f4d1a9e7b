import { describe, expect, it } from "vitest";
import type { PreliminaryIssuesEvent, RunEvent } from "../../src/domain/progress.ts";
import { PreliminaryIssues, preliminaryHeading, preliminaryIssueLines } from "../../src/report/preliminary.ts";
import { RunProgress } from "../../src/cli/run-progress.ts";

const TYPE_ERROR = { kind: "exception", description: "TypeError on Pay click", page: "/checkout" } as const;
const RAGE = { kind: "rage_click", description: "Rage clicks on Apply coupon", page: "/cart" } as const;
const SLOW = { kind: "slow", description: "Search took 9 s", page: "/search" } as const;

function event(sessionId: string, ...signals: PreliminaryIssuesEvent["signals"]): PreliminaryIssuesEvent {
  return { kind: "preliminary_issues", session_id: sessionId, signals };
}

describe("preliminary issues from triage", () => {
  it("groups signals across sessions by kind, description and page, most sessions first, each marked preliminary", () => {
    const issues = new PreliminaryIssues();
    issues.add(event("s3", RAGE));
    issues.add(event("s1", TYPE_ERROR, RAGE));
    issues.add(event("s2", { ...TYPE_ERROR, description: "  typeerror on  Pay click " }));
    issues.add(event("s4", TYPE_ERROR, SLOW));
    issues.add(event("s5", RAGE));
    // The same description on another page is another issue.
    issues.add(event("s6", { ...TYPE_ERROR, page: "/cart" }));
    const list = issues.list();
    expect(list).toMatchObject({ preliminary: true, source: "triage", sessions_with_signals: 6, more_issues: 0 });
    expect(list.issues.map((i) => [i.kind, i.description, i.page, i.sessions])).toEqual([
      ["exception", "TypeError on Pay click", "/checkout", 3],
      ["rage_click", "Rage clicks on Apply coupon", "/cart", 3],
      ["exception", "TypeError on Pay click", "/cart", 1],
      ["slow", "Search took 9 s", "/search", 1],
    ]);
    for (const issue of list.issues) expect(issue.preliminary).toBe(true);
    expect(list.issues[0]!.example_session_ids).toEqual(["s1", "s2", "s4"]);
  });

  it("counts a session once, even when it reports again or repeats a signal, and keeps a few examples", () => {
    const issues = new PreliminaryIssues({ examplesPerIssue: 2 });
    expect(issues.empty).toBe(true);
    expect(issues.add(event("a", TYPE_ERROR, TYPE_ERROR))).toBe(true);
    expect(issues.add(event("a", TYPE_ERROR, TYPE_ERROR))).toBe(false);
    expect(issues.add(event("b", TYPE_ERROR))).toBe(true);
    expect(issues.add(event("c", TYPE_ERROR))).toBe(true);
    // A session with no signal changes nothing.
    expect(issues.add(event("d"))).toBe(false);
    const [issue] = issues.list().issues;
    expect(issue).toMatchObject({ sessions: 3, example_session_ids: ["a", "b"] });
    expect(issues.list().sessions_with_signals).toBe(3);
    // A session that reports again replaces what it said.
    expect(issues.add(event("c", SLOW))).toBe(true);
    expect(issues.list().issues.map((i) => [i.kind, i.sessions])).toEqual([
      ["exception", 2],
      ["slow", 1],
    ]);
  });

  it("lists at most maxIssues groups and counts the others; the lines say so", () => {
    const issues = new PreliminaryIssues({ maxIssues: 2 });
    for (let i = 0; i < 5; i++) issues.add(event(`s${i}`, { kind: "failure_event", description: `POST /api/${i} failed` }, ...(i < 3 ? [TYPE_ERROR] : [])));
    const list = issues.list();
    expect(list.issues).toHaveLength(2);
    expect(list.more_issues).toBe(4);
    expect(list.issues[0]).toMatchObject({ kind: "exception", sessions: 3 });
    expect(preliminaryHeading(list)).toBe("Preliminary issues (from triage, before any model reads the sessions): 6 in 5 sessions");
    expect(preliminaryIssueLines(list, 1)).toEqual(["exception: TypeError on Pay click (/checkout), 3 sessions", "and 5 more"]);
  });

  it("the CLI's progress prints the first preliminary issues once, on its log, between progress lines", () => {
    const lines: string[] = [];
    const progress = new RunProgress({ isTTY: false } as NodeJS.WriteStream, (line) => lines.push(line));
    const run: RunEvent[] = [
      { kind: "sessions_resolved", total: 2 },
      event("a", TYPE_ERROR),
      event("b", RAGE),
      { kind: "session_done", session_id: "a", status: "summarized", cached: false },
      { kind: "session_done", session_id: "b", status: "summarized", cached: false },
    ];
    for (const e of run) progress.handle(e);
    expect(lines).toEqual([
      "Watching sessions: 0/2",
      "Preliminary issues (from triage, before any model reads the sessions): 1 in 1 session",
      "  - exception: TypeError on Pay click (/checkout), 1 session",
      "  1/2",
      "  2/2",
    ]);
  });
});
