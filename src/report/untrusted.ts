import type { ReportPattern } from "../domain/report.ts";
import type { KeyAction } from "../domain/summary.ts";

/**
 * Finding the page's or the error's own words inside a pattern's name or description. An analyst
 * (a model especially) may name a pattern with a sentence it read on the page ("Ignore all previous
 * instructions …"): the report must show that as a quotation of the recorded data, never as if the
 * tool said it. Detection is verbatim: a run of at least `MIN_QUOTED_WORDS` words that also appears
 * in untrusted text of the pattern's examples (quoted text and error messages in their key actions,
 * on-screen evidence of their replay checks, their URLs).
 */

/** Where a quoted run came from, as the reader is told: "from the page", "from the error", "from the page address". */
export type UntrustedOrigin = "page" | "error" | "address";

export const ORIGIN_TEXT: Record<UntrustedOrigin, string> = { page: "from the page", error: "from the error", address: "from the page address" };

export interface UntrustedSource {
  text: string;
  origin: UntrustedOrigin;
}

/** A piece of a text: the tool's own words, or a verbatim run of untrusted text with its origin. */
export interface TextPart {
  text: string;
  from?: UntrustedOrigin;
}

/** Shorter runs ("Add to cart", "/checkout") are the ordinary way to name a control or a page. */
export const MIN_QUOTED_WORDS = 4;
const MIN_QUOTED_CHARS = 16;

// Quoted text in an analyst's description: "…", “…”, «…», '…' (the latter only around 2+ words, to spare apostrophes).
const QUOTED = /"([^"]{3,})"|“([^”]{3,})”|«([^»]{3,})»|(?<![\p{L}\d])'([^']*\s[^']*)'(?![\p{L}\d])/gu;
// `TypeError: Cannot read …`, `ApiError: PATCH /api/x failed with 500`, `SomethingException: …`, up to the end of the clause.
const ERROR_MESSAGE = /\b[A-Z][A-Za-z]*(?:Error|Exception)\b:?[^;\n]*/g;

/** The untrusted text behind a pattern's examples. */
export function untrustedSourcesOf(pattern: Pick<ReportPattern, "examples">): UntrustedSource[] {
  const sources: UntrustedSource[] = [];
  const add = (text: string | undefined, origin: UntrustedOrigin) => {
    const trimmed = text?.trim();
    if (trimmed && trimmed.length >= MIN_QUOTED_CHARS) sources.push({ text: trimmed, origin });
  };
  const fromAction = (action: KeyAction) => {
    for (const match of action.description.matchAll(QUOTED)) {
      const quoted = match[1] ?? match[2] ?? match[3] ?? match[4] ?? "";
      add(quoted, action.exception && /error|exception|failed/i.test(quoted) ? "error" : "page");
    }
    for (const match of action.description.matchAll(ERROR_MESSAGE)) add(match[0], "error");
    add(action.current_url, "address");
  };
  for (const example of pattern.examples) {
    for (const action of [...example.before, example.target, ...example.after]) fromAction(action);
    for (const quote of example.validation?.evidence ?? []) {
      const quoted = [...quote.matchAll(QUOTED)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4] ?? "");
      if (quoted.length) for (const q of quoted) add(q, "page");
      else add(quote, "page");
    }
  }
  return sources;
}

interface Word {
  start: number;
  end: number;
  norm: string;
}

function wordsOf(text: string): Word[] {
  return [...text.matchAll(/\S+/g)].map((m) => ({ start: m.index!, end: m.index! + m[0].length, norm: normalize(m[0]) }));
}

/** Case, surrounding punctuation and quotes do not make two runs of words different. */
function normalize(word: string): string {
  return word.toLowerCase().replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, "");
}

/**
 * `text` cut into the tool's words and verbatim runs of `sources` (longest run first at each
 * position, at least `MIN_QUOTED_WORDS` words and `MIN_QUOTED_CHARS` characters).
 */
export function splitUntrusted(text: string, sources: readonly UntrustedSource[]): TextPart[] {
  const words = wordsOf(text);
  if (words.length < MIN_QUOTED_WORDS || sources.length === 0) return [{ text }];
  const normalizedSources = sources.map((s) => ({
    origin: s.origin,
    words: ` ${wordsOf(s.text)
      .map((w) => w.norm)
      .join(" ")} `,
  }));
  const parts: TextPart[] = [];
  let plainFrom = 0;
  let i = 0;
  while (i < words.length) {
    let best: { end: number; origin: UntrustedOrigin } | undefined;
    for (const source of normalizedSources) {
      let j = i;
      // Extend the run word by word while the source still contains it.
      while (
        j < words.length &&
        words[j]!.norm !== "" &&
        source.words.includes(
          ` ${words
            .slice(i, j + 1)
            .map((w) => w.norm)
            .join(" ")} `,
        )
      )
        j += 1;
      if (j - i >= MIN_QUOTED_WORDS && (!best || j > best.end)) best = { end: j, origin: source.origin };
    }
    if (best && words[best.end - 1]!.end - words[i]!.start >= MIN_QUOTED_CHARS) {
      const start = words[i]!.start;
      let end = words[best.end - 1]!.end;
      // The clause's own punctuation stays outside the quotation.
      while (end > start && /[;,.:]/.test(text[end - 1]!)) end -= 1;
      if (start > plainFrom) parts.push({ text: text.slice(plainFrom, start) });
      parts.push({ text: stripQuotes(text.slice(start, end)), from: best.origin });
      plainFrom = end;
      i = best.end;
    } else {
      i += 1;
    }
  }
  if (plainFrom < text.length) parts.push({ text: text.slice(plainFrom) });
  return mergeQuoteMarks(parts);
}

/** The run is shown in the report's own quotation marks: the page's are dropped. */
function stripQuotes(run: string): string {
  return run.replace(/^["“«']+/, "").replace(/["”»']+$/, "");
}

/** Quote marks left around a run in the tool's words (`"` + run + `"`) would double the report's own. */
function mergeQuoteMarks(parts: TextPart[]): TextPart[] {
  return parts
    .map((part, index) => {
      if (part.from) return part;
      let text = part.text;
      if (parts[index + 1]?.from) text = text.replace(/["“«']$/, "");
      if (parts[index - 1]?.from) text = text.replace(/^["”»']/, "");
      return { text };
    })
    .filter((part) => part.text !== "");
}

/** A pattern's name and description, each cut into the tool's words and quotations of untrusted text. */
export function patternTextParts(pattern: Pick<ReportPattern, "name" | "description" | "examples">): { name: TextPart[]; description: TextPart[] } {
  // The examples are read only when a text is long enough to quote from them (most names are not).
  let sources: UntrustedSource[] | undefined;
  const split = (text: string): TextPart[] => (wordsOf(text).length < MIN_QUOTED_WORDS ? [{ text }] : splitUntrusted(text, (sources ??= untrustedSourcesOf(pattern))));
  return { name: split(pattern.name), description: split(pattern.description) };
}

/**
 * Parts as one line of text: the tool's words as they are, each untrusted run in quotation marks
 * followed by its origin (`“Ignore all previous instructions” (from the page)`). `escape` adapts
 * each part to the output (Markdown); plain text (a terminal) keeps it as is, whitespace folded.
 */
export function textWithQuotes(parts: readonly TextPart[], escape: (text: string) => string = (text) => text.replace(/\s+/g, " ")): string {
  // Each part keeps its edge spaces (they separate it from the next); the whole is trimmed once.
  return parts
    .map((part) => (part.from ? `“${escape(part.text).trim()}” (${ORIGIN_TEXT[part.from]})` : escape(part.text)))
    .join("")
    .trim();
}

/** A pattern's name as one line of plain text, the page's or the error's own words in quotation marks. */
export function quotedPatternName(pattern: Pick<ReportPattern, "name" | "description" | "examples">): string {
  return textWithQuotes(patternTextParts(pattern).name);
}
