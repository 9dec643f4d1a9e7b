import { describe, expect, it } from "vitest";
import { ReportSchema, type Report } from "../../src/domain/report.ts";
import { renderHtml, renderMarkdown } from "../../src/report/index.ts";
import { keyAction } from "../fixtures/key-action.ts";

const HOSTILE = `<script>alert(1)</script> **bold** [link](http://evil.test) \`code\` | pipe`;
/** Tries to close an inline code span early with a longer backtick run. */
const FENCE_BREAKER = "x``<img src=x onerror=alert(1)>[click](javascript:alert(1))``y";

const action = keyAction;

const report: Report = ReportSchema.parse({
  id: "r1",
  title: "Checkout this week",
  focus_area: "checkout",
  created_at: "2026-11-22T03:00:00.000Z",
  analyst: { kind: "heuristic", label: "offline analyst" },
  models: { summarizer: "heuristic" },
  sessions: {
    requested: 12,
    summarized: Array.from({ length: 10 }, (_, i) => `s${i}`),
    failed: [{ id: "s10", stage: "summarize", error: "model timed out" }],
    skipped: [{ id: "s11", reason: "shorter than 10 s" }],
  },
  patterns: [
    {
      id: 1,
      slug: "place-order-fails",
      name: "Place order fails",
      description: `The order button throws. ${HOSTILE}`,
      severity: "critical",
      indicators: ["TypeError on click", HOSTILE],
      stats: { occurrences: 5, sessions_affected: 4, sessions_affected_ratio: 0.4, segments_success_ratio: 0.25 },
      examples: [
        {
          session_id: "s1",
          session_start: "2026-11-01T10:00:00.000Z",
          session_duration_s: 80,
          segment_index: 1,
          segment_name: "Checkout",
          segment_outcome: "Could not pay",
          segment_success: false,
          target: action("aaaaaaaa", `Clicked Place order; ${HOSTILE}`, { exception: "blocking", event: FENCE_BREAKER }),
          before: [action("bbbbbbbb", "Filled the form")],
          after: [action("cccccccc", "Left the page", { abandonment: true })],
          validation: { verdict: "confirmed", method: "dom", evidence: ["'Payment failed' became visible", FENCE_BREAKER] },
        },
      ],
    },
    {
      id: 2,
      slug: "coupon-rejected",
      name: "Coupon rejected",
      description: "Codes are refused with a vague message.",
      severity: "medium",
      severity_adjustment: { from: "low", reason: "test" },
      indicators: ["Invalid code"],
      stats: { occurrences: 3, sessions_affected: 3, sessions_affected_ratio: 0.3, segments_success_ratio: 0.67 },
      examples: [],
    },
  ],
  chunk_failures: [],
  dropped_patterns: [{ name: "Slow fonts", reason: "evidence from 1 session(s), 2 needed" }],
  assignment_skips: { unknown: 2, ambiguous: 1, unflagged: 0, non_blocking_only: 3, unknown_pattern: 0 },
  usage: { model_calls: 0, input_tokens: 0, output_tokens: 0 },
});

describe("renderMarkdown", () => {
  const md = renderMarkdown(report);

  it("lists patterns in order with their numbers, then details and examples", () => {
    expect(md).toContain("10 sessions analysed by offline analyst, focus: checkout");
    expect(md).toContain("1. **Place order fails** — critical; 4 of 10 sessions (40%), seen 5 times");
    expect(md).toContain("2. **Coupon rejected** — medium; 3 of 10 sessions (30%), seen 3 times");
    expect(md.indexOf("## 1. Place order fails")).toBeLessThan(md.indexOf("## 2. Coupon rejected"));
    expect(md).toContain("- Sessions affected: 4 of 10 sessions (40%); seen 5 times");
    expect(md).toContain("Users still succeeded in 25% of the affected steps");
    expect(md).toMatch(/\*\*→\*\* 01:05 Clicked Place order;.*\(blocking exception\)/);
    expect(md).toContain("Checked against the replay (dom): **confirmed**");
    expect(md).toContain("- Session `s10` could not be summarized: model timed out");
    expect(md).toContain("- Slow fonts: only 1 session could be tied to it (2 needed)");
    expect(md).toContain("Assigned event ids not used: 2 unknown, 1 ambiguous (in two sessions), 0 for patterns that do not exist.");
  });

  it("keeps page-written text inert", () => {
    expect(md).not.toContain("<script>");
    // text with a double-backtick run stays inside a longer fence
    expect(md).toContain("``` x``<img src=x onerror=alert(1)>[click](javascript:alert(1))``y ```");
    expect(md).not.toContain("[link](http://evil.test)");
    expect(md).toContain("\\<script\\>");
  });
});

describe("renderHtml", () => {
  const html = renderHtml(report);

  it("escapes every piece of text and loads nothing", () => {
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/);
  });

  it("gives each pattern an anchor for sharing, in report order", () => {
    expect(html.indexOf('id="place-order-fails"')).toBeGreaterThan(0);
    expect(html.indexOf('id="place-order-fails"')).toBeLessThan(html.indexOf('id="coupon-rejected"'));
    expect(html).toContain("4 of 10 sessions (40%), seen 5 times");
  });
});
