import type { CheckingValidationMode } from "../domain/validation-mode.ts";

/**
 * What a summary's cache label depends on: who labelled (the analyst's label) and how the labels
 * were checked. Structural, so the page reader and the graphs pass their runtime as it is.
 */
export interface SummaryLabelling {
  /** `triage`: the offline rules' label, for the sessions triage kept offline (no model read them). */
  analyst: { readonly cacheLabel: string; readonly triage?: { readonly cacheLabel: string } };
  validation?: { mode: CheckingValidationMode; validator: { readonly method: string } };
}

/** A cache label for summaries made knowing a learned site (`learn_site`): another site, another summary. */
export function withLearnedSiteLabel(label: string, learnedSiteHash: string | undefined): string {
  return learnedSiteHash ? `${label}+site:${learnedSiteHash}` : label;
}

/** The labels a report's summaries are cached under, the checked one first, triage's last (readers of a finished report). */
export function summaryCacheLabels(runtime: SummaryLabelling, learnedSiteHash?: string): string[] {
  const triage = runtime.analyst.triage?.cacheLabel;
  return [...new Set([summaryCacheLabel(runtime), runtime.analyst.cacheLabel, ...(triage ? [triage] : [])].map((label) => withLearnedSiteLabel(label, learnedSiteHash)))];
}

/**
 * The summary cache's analyst part: who labelled, and how the labels were checked, since a
 * validated summary differs from an unvalidated one.
 */
export function summaryCacheLabel(runtime: SummaryLabelling): string {
  const validation = runtime.validation;
  return validation ? `${runtime.analyst.cacheLabel}+checked-${validation.mode}-${validation.validator.method}` : runtime.analyst.cacheLabel;
}
