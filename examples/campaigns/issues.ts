/**
 * The bugs the demo campaigns app "Postbird" can be told to have, one visit at a time, switched on
 * as every demo app's are (see `examples/common/issues.ts`).
 */
import { issueSwitches } from "../common/issues.ts";

export const CAMPAIGN_ISSUES = {
  /** Campaign editor: "Send now" in the confirm dialog throws `TypeError: ... (reading 'length')`; the dialog stays. */
  "send-confirm-throws": "campaign editor",
  /** Settings › Team: "Send invite" throws `TypeError: ... (reading 'value')`; nobody is invited. */
  "invite-throws": "team settings",
  /** Every page: the third-party help beacon throws on boot; its button still works. */
  "help-beacon-crash": "every page",
  /** Every page: the "What's new" widget rejects unhandled while reading its feed; nobody notices. */
  "whats-new-crash": "every page",
  /** Campaign editor: `PUT /api/campaigns/:id` answers 500; a red toast says the changes were not saved. */
  "campaign-save-500": "campaign editor",
  /** Campaign list: filtering by status answers 500; a banner replaces the list. */
  "list-filter-500": "campaign list",
  /** Campaign list: the background stats poll `GET /api/campaigns/stats` answers 500; nothing shows. */
  "stats-poll-500": "campaign list",
  /** Settings › Billing: `GET /api/billing/usage` answers 503; the usage meter quietly stays hidden. */
  "usage-meter-503": "billing settings",
  /** Campaign editor: the schedule date accepts only YYYY-MM-DD and answers "Invalid date" to anything else. */
  "schedule-date-strict": "campaign editor",
  /** Onboarding step 2: the required "How many contacts" choice sits far below the fold; "Continue" says only "Please complete all required fields." */
  "onboarding-hidden-choice": "onboarding",
  /** Campaign editor: the "Templates ▾" label looks like a button and does nothing. */
  "templates-label-dead": "campaign editor",
  /** Settings › Billing: "Compare plans ›" looks like a button and does nothing. */
  "compare-plans-dead": "billing settings",
  /** Campaign preview: the rendered preview takes ~12 s behind a spinner. */
  "preview-slow": "campaign preview",
  /** Reports: the engagement chart's spinner never finishes (the request never answers). */
  "reports-stuck": "reports",
} as const;

export type CampaignIssue = keyof typeof CAMPAIGN_ISSUES;

export const ISSUES_COOKIE = "pb_issues";

/** How long the slow preview keeps its spinner up, in ms. */
export const PREVIEW_SLOW_MS = 12_000;
/** A request that "never" answers is held this long (far beyond any session), then dropped. */
export const STUCK_REQUEST_MS = 10 * 60_000;

export const { parseIssues } = issueSwitches<CampaignIssue>(CAMPAIGN_ISSUES);
