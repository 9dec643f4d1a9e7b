export { packByTokens, type ChunkLimits, type ChunkPlan, type SizedItem } from "./chunking.ts";
export { emptySkips, resolveAssignments, type AssignmentSkips, type ChunkAssignments, type Evidence } from "./assignment.ts";
export { EXAMPLE_CONTEXT_ACTIONS, patternExamples, patternStats } from "./stats.ts";
export { adjustSeverity, compareSeverity, DEFAULT_SEVERITY_RULES, type SeverityRules } from "./severity.ts";
export { buildReportPatterns, type BuildOptions, type DroppedPattern } from "./build.ts";
export { shortfall } from "./thresholds.ts";
