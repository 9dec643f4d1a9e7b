export { countPromptTokens, oneLine, promptText, withNotice, YAML_RULES } from "./common.ts";
export { formatSummarizeSession, SUMMARIZE_SESSION_SYSTEM, type SummarizeSessionInput } from "./summarize-session.ts";
export { digestEventIds, formatSummaryForPatterns, type DigestOptions } from "./summary-digest.ts";
export { EXTRACT_PATTERNS_SYSTEM, formatExtractPatterns, type ExtractPatternsInput } from "./extract-patterns.ts";
export { COMBINE_PATTERNS_SYSTEM, formatCombinePatterns, formatPatternLine, type PatternBatch } from "./combine-patterns.ts";
export { ASSIGN_PATTERNS_SYSTEM, formatAssignPatterns, type AssignPatternsInput } from "./assign-patterns.ts";
export { ClipVerdictSchema, formatValidateClip, VALIDATE_CLIP_SYSTEM, type ClipFrame, type ClipMedia, type ClipVerdict, type ValidateClipInput } from "./validate-clip.ts";
export { ANSWER_QUESTION_SYSTEM, formatAnswerQuestion, questionAnswerSchemaFor, type AnswerQuestionInput } from "./answer-question.ts";
