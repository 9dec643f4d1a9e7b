export { packRequestsFirstFit, splitProportionally, type PackLimits } from "./pack.ts";
export { SummaryBatcher, type SummaryBatchLimits } from "./summary-batcher.ts";
export { summarizeAlone, summarizeTogether, type BatchEntryOutcome, type SummaryCallSettings } from "./summary-calls.ts";
