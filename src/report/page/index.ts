export { embeddedBytes, ReportPageCache, type ReportPageCacheOptions } from "./cache.ts";
export { DEFAULT_MAX_EMBEDDED_BYTES, DEFAULT_MAX_EMBEDDED_EXAMPLES_PER_PATTERN, loadClip, loadReplay, loadReportPageData, type LoadReportPageOptions, type ReportPageRuntime } from "./load.ts";
export { aliasAnchors, PAGE_ELEMENT_IDS, patternAnchor } from "./anchors.ts";
export { isBlockingPattern, isValidatedPattern, rankPatterns } from "./ranking.ts";
export { renderReportPage } from "./render.ts";
export { contentSecurityPolicy, jsonForScript } from "./security.ts";
export {
  exampleKey,
  REPLAY_LEAD_MS,
  REPLAY_TAIL_MS,
  type ExampleClip,
  type ExampleMedia,
  type ExampleReplay,
  type NotEmbedded,
  type PageSession,
  type RenderReportPageOptions,
  type ReportPageData,
} from "./types.ts";
