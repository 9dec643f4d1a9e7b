/**
 * A scripted model for benchmarks that answers from what its prompts show, never from labels: it
 * stands in for an LLM so a benchmark measures the watch machinery (sweeps, fingerprints, issue
 * matching, alerts), not a provider.
 *
 * - summarize: flags the rows a careful reader would: an exception (blocking, with its type and
 *   message), a dead or rage click on a named control, an app event saying something failed or was
 *   rejected. Descriptions use the wording the offline analyst uses (`Clicked "Zoom" and nothing
 *   happened`), so fingerprints can read the control and error back from them.
 * - extract: one pattern per distinct flagged description in the chunk (digits normalized), named
 *   after it, most frequent first.
 * - combine: patterns of the same name are one.
 * - assign: each listed event goes to the pattern named after its description, at most one event
 *   per session per pattern.
 *
 * What it cannot see it does not report: slow pages (the table has no timing of the server's
 * answers) and problems that show no flagged event.
 */
import type { RawAssignment, RawPattern } from "../src/domain/report.ts";
import { assignmentsYaml, patternsYaml, purposeOf, summaryYamlFromPrompt, toYaml, type RowFlags } from "../test/fakes/responses.ts";
import type { ScriptedCall, ScriptedReply } from "../test/fakes/scripted-model.ts";

/** Patterns an extraction or combination returns at most (the prompts' own limit). */
const MAX_PATTERNS = 20;

/** A pattern's name is its problem key, cut to the schema's limit (`RawPatternSchema.pattern_name`). */
const MAX_NAME_LENGTH = 120;

/** App events whose name says the app refused or failed something the user did. */
const FAILURE_EVENT = /fail|reject|invalid|error/i;

const clean = (text: string): string => text.replace(/\s+/g, " ").replaceAll('"', "'").trim();

/** How the reading model flags one row of a session's event table. */
export function readRow(row: Record<string, string>): RowFlags | undefined {
  const control = clean(row.text || row.aria_label || row.element || "");
  if (row.event === "$exception") return { exception: "blocking", description: `Error: ${clean(row.exception || "an exception")}`.slice(0, 300) };
  if (row.event === "$dead_click") return { confusion: true, description: control ? `Clicked "${control}" and nothing happened` : "Clicked and nothing happened" };
  if (row.event === "$rageclick") return { confusion: true, description: control ? `Rage-clicked "${control}"` : "Rage-clicked the page" };
  if (!row.event?.startsWith("$") && FAILURE_EVENT.test(row.event ?? "")) return { confusion: true, description: `Got "${clean(row.event!)}"` };
  return undefined;
}

/** The problem a flagged description stands for: numbers and ids do not make another problem. */
export function problemKeyOf(description: string): string {
  return description
    .replace(/\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b/gi, "<id>")
    .replace(/\d+/g, "<n>")
    .trim()
    .slice(0, MAX_NAME_LENGTH);
}

interface DigestAction {
  session: string;
  eventId: string;
  flags: string;
  key: string;
}

/** The flagged actions listed in the `sessions` block of an extract or assign prompt. */
function digestActions(prompt: string): DigestAction[] {
  const start = prompt.indexOf('<untrusted_data name="sessions">');
  const body = start === -1 ? "" : prompt.slice(start, prompt.indexOf("</untrusted_data>", start));
  const actions: DigestAction[] = [];
  let session = "";
  for (const line of body.split("\n")) {
    const header = /^session (\S+):/.exec(line);
    if (header) session = header[1]!;
    const action = /^ {2}([0-9a-f]{8}) ([^:]*): "(.*)"$/.exec(line);
    if (action && session) actions.push({ session, eventId: action[1]!, flags: action[2]!, key: problemKeyOf(JSON.parse(`"${action[3]!}"`) as string) });
  }
  return actions;
}

/** Patterns listed as `N. [severity] "name": "description"` in the `patterns` block of a combine or assign prompt. */
function listedPatterns(prompt: string): Array<{ id: number; severity: RawPattern["severity"]; name: string; description: string }> {
  const patterns: Array<{ id: number; severity: RawPattern["severity"]; name: string; description: string }> = [];
  for (const line of prompt.split("\n")) {
    const match = /^(\d+)\. \[(\w+)\] ("(?:[^"\\]|\\.)*"): ("(?:[^"\\]|\\.)*")$/.exec(line);
    if (match) patterns.push({ id: Number(match[1]), severity: match[2] as RawPattern["severity"], name: JSON.parse(match[3]!) as string, description: JSON.parse(match[4]!) as string });
  }
  return patterns;
}

function severityOf(flags: string): RawPattern["severity"] {
  return flags.includes("blocking") ? "high" : "medium";
}

/** Extraction's patterns: one per distinct flagged description, most frequent first. */
function extractedPatterns(prompt: string) {
  const byKey = new Map<string, { sessions: Set<string>; flags: string }>();
  for (const action of digestActions(prompt)) {
    const entry = byKey.get(action.key) ?? { sessions: new Set<string>(), flags: action.flags };
    entry.sessions.add(action.session);
    byKey.set(action.key, entry);
  }
  const ranked = [...byKey.entries()].sort((a, b) => b[1].sessions.size - a[1].sessions.size || a[0].localeCompare(b[0])).slice(0, MAX_PATTERNS);
  return ranked.map(([key, entry]) => ({
    pattern_name: key,
    pattern_description: `${entry.sessions.size} session${entry.sessions.size === 1 ? "" : "s"}: ${key}`,
    severity: severityOf(entry.flags),
    indicators: [key],
  }));
}

function extract(prompt: string): string {
  return patternsYaml(extractedPatterns(prompt));
}

function combine(prompt: string): string {
  const byName = new Map<string, { severity: RawPattern["severity"]; batches: number; description: string }>();
  for (const pattern of listedPatterns(prompt)) {
    const entry = byName.get(pattern.name);
    byName.set(pattern.name, { severity: entry?.severity ?? pattern.severity, batches: (entry?.batches ?? 0) + 1, description: entry?.description ?? pattern.description });
  }
  const ranked = [...byName.entries()].sort((a, b) => b[1].batches - a[1].batches || a[0].localeCompare(b[0])).slice(0, MAX_PATTERNS);
  return patternsYaml(ranked.map(([name, entry]) => ({ pattern_name: name, pattern_description: entry.description, severity: entry.severity, indicators: [name] })));
}

function assign(prompt: string): string {
  return assignmentsYaml(assignByName(prompt, new Map(listedPatterns(prompt).map((pattern) => [pattern.name, pattern.id]))));
}

/** Each listed event to the pattern named after its description, at most one event per session per pattern. */
function assignByName(prompt: string, idOf: ReadonlyMap<string, number>): RawAssignment[] {
  const byPattern = new Map<number, string[]>();
  const taken = new Set<string>();
  for (const action of digestActions(prompt)) {
    const patternId = idOf.get(action.key);
    if (patternId === undefined || taken.has(`${action.session}\u0000${patternId}`)) continue;
    taken.add(`${action.session}\u0000${patternId}`);
    byPattern.set(patternId, [...(byPattern.get(patternId) ?? []), action.eventId]);
  }
  return [...byPattern].map(([pattern_id, event_ids]) => ({ pattern_id, event_ids }));
}

/** Extraction and assignment in one answer; `patternsYaml` numbers the patterns 1..n in order. */
function extractAssign(prompt: string): string {
  const patterns = extractedPatterns(prompt);
  const assignments = assignByName(prompt, new Map(patterns.map((pattern, i) => [pattern.pattern_name, i + 1])));
  return `${patternsYaml(patterns)}${toYaml({ assignments })}`;
}

/** The script: answers every prompt of the report graph from its content. */
export function readingScript(call: ScriptedCall): ScriptedReply {
  switch (purposeOf(call.messages)) {
    case "summarize":
      return summaryYamlFromPrompt(call.human, { flag: readRow });
    case "extract":
      return extract(call.human);
    case "combine":
      return combine(call.human);
    case "assign":
      return assign(call.human);
    case "extract_assign":
      return extractAssign(call.human);
    default:
      return { error: new Error("reading model: a prompt it does not know") };
  }
}
