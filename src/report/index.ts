export { renderMarkdown } from "./markdown.ts";
export { escapeHtml, renderHtml } from "./html.ts";
export { percent, reach, sessionClock } from "./format.ts";
export { loadReportPageData, renderReportPage, type RenderReportPageOptions, type ReportPageData } from "./page/index.ts";
