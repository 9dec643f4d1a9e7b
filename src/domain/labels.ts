import { z } from "zod";

/**
 * Ground truth for evaluation: `<dataset>/labels.json`, written by whoever knows what happened in
 * each session (the scripted-users generator, or a person labelling by hand). See
 * examples/dataset/README.md for the conventions.
 */

export const ISSUE_KINDS = ["blocking_exception", "benign_exception", "visible_api_failure", "invisible_api_failure", "confusion", "abandonment", "dead_click", "slow_page"] as const;
export type IssueKind = (typeof ISSUE_KINDS)[number];

/** success: the user reached their goal; failure: an error stopped them; abandoned: they left without an error stopping them. */
export const SESSION_OUTCOMES = ["success", "failure", "abandoned"] as const;
export type SessionOutcome = (typeof SESSION_OUTCOMES)[number];

/**
 * The analytics event that marks each kind of issue in a session's events: the labelled timestamp
 * is within a couple of seconds of one of these. An API failure is marked by the `$exception` the
 * app reports for it; an abandonment by the user's last attempt (a click or a submit).
 */
export const ISSUE_TRIGGER_EVENTS: Record<IssueKind, readonly string[]> = {
  blocking_exception: ["$exception"],
  benign_exception: ["$exception"],
  visible_api_failure: ["$exception"],
  invisible_api_failure: ["$exception"],
  confusion: ["$autocapture"],
  abandonment: ["$autocapture"],
  dead_click: ["$dead_click"],
  slow_page: ["$pageview"],
};

const PATTERN_KEY = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const LabelledIssueSchema = z
  .object({
    kind: z.enum(ISSUE_KINDS),
    /**
     * The root problem: shared by every session with the same underlying problem, e.g.
     * `checkout-place-order-throws`. A consequence carries its root problem's key.
     */
    pattern_key: z.string().regex(PATTERN_KEY, "pattern_key must be kebab-case"),
    /**
     * Set when this issue follows from another one of the session (an abandonment after a blocking
     * error, retries after a refused coupon): the root problem's `pattern_key`. A consequence is scored
     * per session by its kind but is not a pattern of its own; the report counts it on the root's pattern.
     */
    consequence_of: z.string().regex(PATTERN_KEY, "consequence_of must be kebab-case").optional(),
    /** True when the user could perceive the problem: an error message, a spinner, a click that visibly does nothing. */
    visible: z.boolean(),
    /** When the action that triggered the issue happened, by the browser's clock (the clock of the events). */
    timestamp: z.iso.datetime(),
    description: z.string().min(1),
    /** Path of the page the issue happened on, e.g. `/checkout`. */
    page: z.string().optional(),
  })
  .refine((issue) => issue.consequence_of === undefined || issue.consequence_of === issue.pattern_key, {
    message: "a consequence carries its root problem's key: pattern_key must equal consequence_of",
    path: ["pattern_key"],
  });
export type LabelledIssue = z.infer<typeof LabelledIssueSchema>;

export const SessionLabelSchema = z.object({
  outcome: z.enum(SESSION_OUTCOMES),
  issues: z
    .array(LabelledIssueSchema)
    .refine((issues) => issues.every((i) => i.consequence_of === undefined || issues.some((root) => root.consequence_of === undefined && root.pattern_key === i.consequence_of)), {
      message: "consequence_of must name the pattern_key of a root issue of the same session",
    }),
  /** The scripted user that produced the session, when it was generated. */
  persona: z.string().optional(),
  /** Which variant of the persona ran (the page or widget an issue was on). */
  variant: z.string().optional(),
});
export type SessionLabel = z.infer<typeof SessionLabelSchema>;

/** Version 2: one pattern key per root problem, consequences marked with `consequence_of`. */
export const LABELS_VERSION = 2;

export const LabelsSchema = z.object({
  /** 1: every issue had its own key (an abandonment after an error was a pattern of its own); 2: see LABELS_VERSION. */
  version: z.union([z.literal(1), z.literal(2)]),
  /**
   * How the labels were made, e.g. `{ generator: "scripted-users", app: "examples/campaigns", seed: 7 }`:
   * `app` is the demo app the sessions were recorded on. The shop's labels, written before apps were
   * a choice, name it `shop: "examples/shop"` (and keep doing so, so its output is unchanged).
   */
  source: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  sessions: z.record(z.string(), SessionLabelSchema),
});
export type Labels = z.infer<typeof LabelsSchema>;

/** The labelled issues that are root problems (not consequences of another issue). */
export function rootIssues(label: SessionLabel): LabelledIssue[] {
  return label.issues.filter((issue) => issue.consequence_of === undefined);
}
