import type { BaseMessage } from "@langchain/core/messages";
import { countTokens, UNTRUSTED_DATA_NOTICE } from "../src/encode/index.ts";

/** Shared bits of the prompt formatters. */

/** Every prompt says once how to write YAML the parser accepts; models get quoting wrong otherwise. */
export const YAML_RULES = "Answer with YAML only: no prose, no code fences. Double-quote every string and id; inside quotes write ' instead of \". " + 'Write "more than 3", not ">3".';

/** Free text from a person (a focus area) as one line of bounded length. */
export function oneLine(text: string, maxLength = 200): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line;
}

/** The notice, unless `text` already carries it (the encoded session does). */
export function withNotice(text: string): string {
  return text.includes(UNTRUSTED_DATA_NOTICE) ? text : `${UNTRUSTED_DATA_NOTICE}\n\n${text}`;
}

/** The text parts of messages, concatenated: images and video are not counted. */
export function promptText(messages: readonly BaseMessage[]): string {
  return messages
    .map((message) =>
      typeof message.content === "string"
        ? message.content
        : message.content.map((block) => (typeof block === "string" ? block : block.type === "text" && typeof block.text === "string" ? block.text : "")).join("\n"),
    )
    .join("\n");
}

/** o200k_base tokens of the text parts of `messages`. */
export function countPromptTokens(messages: readonly BaseMessage[]): number {
  return countTokens(promptText(messages));
}
