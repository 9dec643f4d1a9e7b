import { countTokens as countO200kTokens } from "gpt-tokenizer/encoding/o200k_base";

// Page content may contain text like `<|endoftext|>`; it must count as plain text, not throw.
const PLAIN_TEXT_ONLY = { disallowedSpecial: new Set<string>() };

/** Tokens of `text` in the o200k_base encoding (GPT-4o, GPT-4.1, GPT-5, o-series). */
export function countTokens(text: string): number {
  return countO200kTokens(text, PLAIN_TEXT_ONLY);
}
