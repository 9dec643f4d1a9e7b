/**
 * The offline analyst: every model stage (summarize a session, extract patterns, assign events to
 * patterns) done with tested rules instead of a model. It is the default analyst when no API key
 * is configured, and the reference the pipeline is evaluated with. No LangGraph, no model here.
 */
export const OFFLINE_ANALYST_LABEL = "offline analyst";

export { summarizeSessionOffline, type OfflineSummaryInput } from "./summarize.ts";
export { extractPatternsOffline, assignEventsOffline } from "./patterns.ts";
export { OFFLINE_ANALYST_DEFAULTS, resolveAnalystOptions, type OfflineAnalystOptions, type OfflineAnalystOverrides } from "./options.ts";
export { AnalystError } from "./errors.ts";
export { OFFLINE_ANALYST_VERSION } from "./version.ts";
export { signatureOf, signatureKey, type IssueSignature } from "./signature.ts";
export { pageAreaOf, normalizePath, type PageArea, type Phase } from "./areas.ts";
export { learnSiteFromSessions, withLearnedSite, type LearnedSiteData, type LearningSession, type SiteLearningOptions } from "./learn.ts";
export { createSiteModel, learnSite, DEFAULT_SITE, type SiteModel, type SiteSettings } from "./site.ts";
export { loadProductMap, parseProductMap, ProductMapError, ProductMapSchema, type ProductMap } from "./product-map.ts";
export { DEFAULT_VOCABULARY, GENERIC_VOCABULARY, SHOP_VOCABULARY, withoutShopWords, type SiteVocabulary } from "./vocabulary.ts";
export { classifyCustomEvent, normalizeErrorText, type CustomEventClass } from "./event-kinds.ts";
