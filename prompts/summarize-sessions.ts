import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { UNTRUSTED_DATA_NOTICE } from "../src/encode/index.ts";
import { oneLine, YAML_RULES } from "./common.ts";
import { SUMMARY_RULES, SUMMARY_SHAPE_EXAMPLE } from "./summarize-session.ts";

/**
 * Several small sessions → one YAML list of `RawSessionSummarySchema` summaries, one entry per
 * session label. Same rules as the single prompt; each session's ids are its own.
 */

const indented = (text: string, spaces: number) =>
  text
    .split("\n")
    .map((line) => (line === "" ? line : `${" ".repeat(spaces)}${line}`))
    .join("\n");

/** The encoded session's legend of the event table's columns (the same for every session). */
const COLUMN_LEGEND = /^Event table columns .*$/m;

export const SUMMARIZE_SESSIONS_SYSTEM = `You summarize several recorded sessions of a web app from their analytics events for the product team, each session on its own: what the user tried and what stopped or troubled them, with evidence. Flag real problems only. The sessions are unrelated: never carry a goal, an error or an outcome from one session to another.

Each session comes under its label (session s1, session s2...) with its own metadata and tables. Summarize every one of them by these rules.

${SUMMARY_RULES}

Event ids are scoped per session: a session's summary cites only event_id values of that session's own events table, copied exactly, never an id of another session's table.

Output shape: one entry per session, in the order given, each with its label and its summary:
sessions:
  - session: "s1"
    summary:
${indented(SUMMARY_SHAPE_EXAMPLE, 6)}
  - session: "s2"
    summary:
      segments: ...
${YAML_RULES}`;

export interface SummarizeSessionsInput {
  /** `encodeSession(...).text` of each session, labelled `s1`, `s2`... in this order. */
  encodedTexts: readonly string[];
  /** What the person asking cares about, e.g. "sign-up"; one for the whole batch. */
  focusArea?: string;
}

/** The label of the session at `index` in a batch prompt and its answer. */
export function batchSessionLabel(index: number): string {
  return `s${index + 1}`;
}

export function formatSummarizeSessions(input: SummarizeSessionsInput): BaseMessage[] {
  const labels = input.encodedTexts.map((_, index) => batchSessionLabel(index));
  // The notice and the column legend are said once for the whole message; each session keeps its own metadata and fenced tables.
  const legends = new Set(input.encodedTexts.map((text) => COLUMN_LEGEND.exec(text)?.[0]));
  const legend = legends.size === 1 ? [...legends][0] : undefined;
  const sessions = input.encodedTexts.map((text, index) => {
    const own = text.replace(UNTRUSTED_DATA_NOTICE, "");
    return `session ${labels[index]!}:\n${(legend ? own.replace(legend, "") : own).trim()}`;
  });
  const focus = input.focusArea?.trim() ? `\n\nFocus area: ${oneLine(input.focusArea)}. Look at it closely, but still report any blocking problem elsewhere.` : "";
  return [
    new SystemMessage(SUMMARIZE_SESSIONS_SYSTEM),
    new HumanMessage(
      `${UNTRUSTED_DATA_NOTICE}\n\n${legend ? `${legend}\n\n` : ""}${sessions.join("\n\n")}${focus}\n\nWrite the YAML summaries of these ${labels.length} sessions: ${labels.join(", ")}.`,
    ),
  ];
}
