import type { BaseMessage } from "@langchain/core/messages";
import { stringify } from "yaml";
import { messageText } from "../../src/llm/structured/messages.ts";
import { ASSIGN_PATTERNS_SYSTEM } from "../../prompts/assign-patterns.ts";
import { COMBINE_PATTERNS_SYSTEM } from "../../prompts/combine-patterns.ts";
import { EXTRACT_PATTERNS_SYSTEM } from "../../prompts/extract-patterns.ts";
import { EXTRACT_ASSIGN_PATTERNS_SYSTEM } from "../../prompts/extract-assign-patterns.ts";
import { SUMMARIZE_SESSION_SYSTEM } from "../../prompts/summarize-session.ts";
import { SUMMARIZE_SESSIONS_SYSTEM } from "../../prompts/summarize-sessions.ts";
import { VALIDATE_CLIP_SYSTEM, type ClipVerdict } from "../../prompts/validate-clip.ts";
import type { RawAssignment, RawPattern } from "../../src/domain/report.ts";
import type { RawKeyAction, RawSessionSummary } from "../../src/domain/summary.ts";
import type { Script, ScriptedCall, ScriptedReply } from "./scripted-model.ts";

/**
 * Valid (and deliberately invalid) answers built from what a prompt contains, so scripted models
 * answer like a model that read the input: summaries cite the real event ids of the session's
 * table, assignments cite the ids listed in the digests.
 */

/** `extract_assign`: patterns and their assignments in one call (a run whose summaries fit one extraction chunk). */
/** `summarize_batch`: several sessions per call (batching). */
export type Purpose = "summarize" | "summarize_batch" | "extract" | "combine" | "assign" | "extract_assign" | "validate" | "unknown";

const PURPOSE_BY_SYSTEM: Array<[string, Purpose]> = [
  [SUMMARIZE_SESSION_SYSTEM, "summarize"],
  [SUMMARIZE_SESSIONS_SYSTEM, "summarize_batch"],
  [EXTRACT_PATTERNS_SYSTEM, "extract"],
  [COMBINE_PATTERNS_SYSTEM, "combine"],
  [ASSIGN_PATTERNS_SYSTEM, "assign"],
  [EXTRACT_ASSIGN_PATTERNS_SYSTEM, "extract_assign"],
  [VALIDATE_CLIP_SYSTEM, "validate"],
];

/** Which prompt a conversation was built from, by its system message. */
export function purposeOf(messages: readonly BaseMessage[]): Purpose {
  const system = messages.find((message) => message.getType() === "system");
  const text = system ? messageText(system) : "";
  return PURPOSE_BY_SYSTEM.find(([template]) => template === text)?.[1] ?? "unknown";
}

/** One script answering each purpose with its own handler; an unhandled purpose is an error reply. */
export function scriptByPurpose(handlers: Partial<Record<Purpose, (call: ScriptedCall) => ScriptedReply | Promise<ScriptedReply>>>): Script {
  return (call) => {
    const purpose = purposeOf(call.messages);
    const handler = handlers[purpose];
    return handler ? handler(call) : { error: new Error(`scripted model: no handler for the ${purpose} prompt`) };
  };
}

/** YAML the way a careful model writes it: every string double-quoted. */
export function toYaml(value: unknown): string {
  return stringify(value, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN", lineWidth: 0 });
}

/** The answer wrapped in prose and a ```yaml fence, as chat models like to write it. */
export function withProse(yaml: string): string {
  return `Here is the result you asked for:\n\n\`\`\`yaml\n${yaml.trimEnd()}\n\`\`\`\n\nLet me know if you need anything else.`;
}

function fenceBody(text: string, name: string): string | undefined {
  const open = `<untrusted_data name="${name}">\n`;
  const start = text.indexOf(open);
  if (start === -1) return undefined;
  const end = text.indexOf("\n</untrusted_data>", start + open.length);
  return text.slice(start + open.length, end === -1 ? undefined : end);
}

/** The event table of a summarize prompt as objects keyed by column. */
export function eventRowsIn(promptText: string): Array<Record<string, string>> {
  const body = fenceBody(promptText, "events");
  if (body === undefined) throw new Error("no events table in the prompt");
  const [header, ...lines] = body.split("\n");
  const columns = (header ?? "").split("\t");
  return lines.filter((line) => line !== "").map((line) => Object.fromEntries(line.split("\t").map((cell, i) => [columns[i] ?? `c${i}`, cell])));
}

export function eventIdsIn(promptText: string): string[] {
  return eventRowsIn(promptText).map((row) => row.event_id!);
}

export type RowFlags = Partial<Pick<RawKeyAction, "exception" | "confusion" | "abandonment" | "description">>;

/** Default reading of a row: rage/dead clicks are confusion, exceptions non-blocking, the rest unflagged. */
export function defaultRowFlags(row: Record<string, string>): RowFlags | undefined {
  if (row.event === "$rageclick" || row.event === "$dead_click") return { confusion: true, description: `${row.event} on ${row.text || row.element || "page"}` };
  if (row.event === "$exception") return { exception: "non-blocking", description: `Error: ${row.exception || "exception"}`.slice(0, 200) };
  return undefined;
}

export interface SummaryFromPromptOptions {
  /** Flags for a row; `undefined` keeps the row out of the key actions. */
  flag?: (row: Record<string, string>) => RowFlags | undefined;
  /** Segments to split the rows into (default 1). */
  segments?: number;
  /** Session success; default: no blocking exception flagged. */
  success?: boolean;
  /** Extra ids cited as key actions (e.g. hallucinated ones). */
  extraIds?: readonly string[];
}

/** A valid summary of the session in a summarize prompt, citing its real event ids. */
export function summaryFromPrompt(promptText: string, options: SummaryFromPromptOptions = {}): RawSessionSummary {
  const rows = eventRowsIn(promptText);
  if (rows.length === 0) throw new Error("the events table is empty");
  const flag = options.flag ?? defaultRowFlags;
  const count = Math.max(1, Math.min(options.segments ?? 1, rows.length));
  const size = Math.ceil(rows.length / count);
  const segments = Array.from({ length: count }, (_, index) => rows.slice(index * size, (index + 1) * size)).filter((part) => part.length > 0);
  let blocking = false;
  const raw: RawSessionSummary = {
    segments: segments.map((part, index) => {
      const key_actions: RawKeyAction[] = [];
      for (const row of part) {
        const flags = flag(row);
        if (!flags) continue;
        if (flags.exception === "blocking") blocking = true;
        key_actions.push({
          event_id: row.event_id!,
          description: flags.description ?? `${row.event} ${row.text ?? ""}`.trim(),
          exception: flags.exception ?? null,
          confusion: flags.confusion ?? false,
          abandonment: flags.abandonment ?? false,
        });
      }
      const failed = key_actions.some((action) => action.exception === "blocking" || action.abandonment);
      return {
        name: `Segment ${index + 1} of the visit`,
        start_event_id: part[0]!.event_id!,
        end_event_id: part.at(-1)!.event_id!,
        key_actions,
        outcome: { success: !failed, summary: failed ? "The user was stopped by a problem" : "The user reached this goal" },
      };
    }),
    session_outcome: { success: false, summary: "" },
  };
  for (const id of options.extraIds ?? []) {
    raw.segments[0]!.key_actions.push({ event_id: id, description: "An event that is not in the table", exception: null, confusion: false, abandonment: false });
  }
  const success = options.success ?? !blocking;
  raw.session_outcome = { success, summary: success ? "The user did what they came for" : "A problem stopped the user" };
  return raw;
}

export function summaryYamlFromPrompt(promptText: string, options: SummaryFromPromptOptions = {}): string {
  return toYaml(summaryFromPrompt(promptText, options));
}

/** The sessions of a batch summarize prompt: each label with its part of the prompt (its own tables). */
export function batchSessionsIn(promptText: string): Array<{ label: string; text: string }> {
  const headers = [...promptText.matchAll(/^session (s\d+):$/gm)];
  return headers.map((header, index) => ({ label: header[1]!, text: promptText.slice(header.index + header[0].length, headers[index + 1]?.index ?? promptText.length) }));
}

/**
 * The answer to a batch summarize prompt: every session summarized as `summaryYamlFromPrompt`
 * would summarize it alone (options per label when a function), so batching changes no summary.
 */
export function summariesYamlFromBatchPrompt(promptText: string, options: SummaryFromPromptOptions | ((label: string) => SummaryFromPromptOptions) = {}): string {
  const optionsOf = typeof options === "function" ? options : () => options;
  return toYaml({ sessions: batchSessionsIn(promptText).map(({ label, text }) => ({ session: label, summary: summaryFromPrompt(text, optionsOf(label)) })) });
}

/** Sessions of an extract or assign prompt: label and the event ids listed under it. */
export function digestSessionsIn(promptText: string): Array<{ label: string; eventIds: string[] }> {
  const body = fenceBody(promptText, "sessions");
  if (body === undefined) throw new Error("no sessions block in the prompt");
  const sessions: Array<{ label: string; eventIds: string[] }> = [];
  for (const line of body.split("\n")) {
    const header = /^session (\S+):/.exec(line);
    if (header) sessions.push({ label: header[1]!, eventIds: [] });
    const action = /^ {2}([0-9a-f]{8}) /.exec(line);
    if (action && sessions.length > 0) sessions.at(-1)!.eventIds.push(action[1]!);
  }
  return sessions;
}

export function patternsYaml(patterns: ReadonlyArray<Partial<RawPattern> & Pick<RawPattern, "pattern_name">>): string {
  return toYaml({
    patterns: patterns.map((pattern, index) => ({
      pattern_id: pattern.pattern_id ?? index + 1,
      pattern_name: pattern.pattern_name,
      pattern_description: pattern.pattern_description ?? `${pattern.pattern_name} in several sessions.`,
      severity: pattern.severity ?? "high",
      indicators: pattern.indicators ?? ["the same error in several sessions", "users retry the same step"],
    })),
  });
}

/** Assignments for an assign prompt: `choose` picks a pattern for each listed event (or none). */
export function assignmentsFromPrompt(promptText: string, choose: (eventId: string, sessionLabel: string) => number | undefined = () => 1): RawAssignment[] {
  const byPattern = new Map<number, string[]>();
  for (const session of digestSessionsIn(promptText)) {
    for (const id of session.eventIds) {
      const patternId = choose(id, session.label);
      if (patternId === undefined) continue;
      byPattern.set(patternId, [...(byPattern.get(patternId) ?? []), id]);
    }
  }
  return [...byPattern].map(([pattern_id, event_ids]) => ({ pattern_id, event_ids }));
}

export function assignmentsYaml(assignments: readonly RawAssignment[]): string {
  return toYaml({ patterns: assignments });
}

/**
 * The answer to an extract-and-assign prompt: `patternsYaml(patterns)` and the assignments of the
 * events its digests list (`choose` picks a pattern id of `patterns`, default their first).
 */
export function extractAssignYamlFromPrompt(
  promptText: string,
  patterns: Parameters<typeof patternsYaml>[0],
  choose: (eventId: string, sessionLabel: string) => number | undefined = () => patterns[0]?.pattern_id ?? 1,
): string {
  return `${patternsYaml(patterns)}${toYaml({ assignments: assignmentsFromPrompt(promptText, choose) })}`;
}

export function clipVerdictYaml(verdict: ClipVerdict["verdict"], observed = "The page showed an error banner.", evidence: string[] = []): string {
  return toYaml({ verdict, observed, evidence });
}

/** Answers that must fail validation, for repair paths. */
export const MALFORMED = {
  /** Not YAML at all: a mapping opened and never closed. */
  yaml: 'segments: [ { name: "unterminated',
  /** YAML, wrong shape: an exception kind that does not exist. */
  schema: toYaml({
    segments: [
      {
        name: "Browse",
        start_event_id: "aaaaaaaa",
        end_event_id: "bbbbbbbb",
        key_actions: [{ event_id: "aaaaaaaa", description: "Clicked", exception: "maybe" }],
        outcome: { success: true, summary: "ok" },
      },
    ],
    session_outcome: { success: true, summary: "ok" },
  }),
  prose: "I am sorry, I cannot summarize this session.",
} as const;
