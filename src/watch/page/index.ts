export type {
  IssuesPageAlert,
  IssuesPageAnswers,
  IssuesPageData,
  IssuesPageExample,
  IssuesPageIssue,
  IssuesPageMonitor,
  IssuesPageSweep,
  LoadIssuesPageOptions,
  RenderIssuesPageOptions,
} from "./types.ts";
export { ISSUES_PAGE_DEFAULTS, IssuesPageError, loadIssuesPageData, trendDaysEndingOn } from "./load.ts";
export { renderIssuesPage, STATE_ORDER } from "./render.ts";
export { issuesPageContentSecurityPolicy, safeHref } from "./security.ts";
export { renderTrendChart, trendBars, TREND_CHART, type TrendBar } from "./chart.ts";
