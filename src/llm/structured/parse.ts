import { isScalar, isSeq, parseDocument, visit, type Scalar } from "yaml";
import { z } from "zod";
import { describeIssues } from "../../domain/errors.ts";

/** Reading a model's answer: the YAML in it, parsed and validated against a zod schema. */

const MAX_REPORTED_ERRORS = 8;

export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Extracts, parses and validates an answer; every problem found is one entry of `errors`. */
export function parseStructured<S extends z.ZodType>(text: string, schema: S, rootKeys: readonly string[] = rootKeysOf(schema)): ParseOutcome<z.output<S>> {
  const yamlText = extractYaml(text, rootKeys);
  if (yamlText.trim() === "") return { ok: false, errors: ["the answer contains no YAML"] };
  const document = parseDocument(yamlText, { prettyErrors: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      // Pretty messages start with "... at line L, column C:"; the snippet lines after it are dropped.
      errors: document.errors.slice(0, MAX_REPORTED_ERRORS).map((error) => `invalid YAML: ${firstLine(error.message).replace(/:$/, "")}`),
    };
  }
  keepIdsAsWritten(document);
  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: 50 });
  } catch (error) {
    return { ok: false, errors: [`invalid YAML: ${firstLine(error instanceof Error ? error.message : String(error))}`] };
  }
  if (data === null || data === undefined) return { ok: false, errors: ["the answer contains no YAML document"] };
  const result = schema.safeParse(data);
  if (!result.success) return { ok: false, errors: result.error.issues.slice(0, MAX_REPORTED_ERRORS).map((issue) => describeIssues([issue])) };
  return { ok: true, value: result.data };
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

const ID_KEY = /(^|_)event_ids?$/;

/**
 * Event ids are 8 hex characters, and YAML reads some of them as numbers: `00012345` becomes
 * 12345 and `12e45678` becomes Infinity. Values of id keys keep the text the model wrote.
 */
function keepIdsAsWritten(document: ReturnType<typeof parseDocument>): void {
  const restore = (node: unknown): void => {
    if (isScalar(node)) restoreScalar(node);
    else if (isSeq(node)) for (const item of node.items) if (isScalar(item)) restoreScalar(item);
  };
  visit(document, {
    Pair(_, pair) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key === "string" && ID_KEY.test(key)) restore(pair.value);
    },
  });
}

function restoreScalar(scalar: Scalar): void {
  if (typeof scalar.value !== "string" && typeof scalar.source === "string" && scalar.type === "PLAIN") scalar.value = scalar.source;
}

/** Top-level keys of an object schema: where the YAML starts when the model wrote prose first. */
export function rootKeysOf(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

const FENCE = /```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n([\s\S]*?)(?:\n[ \t]*```|$)/g;
const ANY_KEY_LINE = /^[A-Za-z_][\w-]*:(\s|$)/;

/**
 * The YAML in a model's answer: the yaml-labelled (else the first) fenced block, or the text from
 * the first line that starts a top-level key, with trailing prose cut. Reasoning tags dropped.
 */
export function extractYaml(text: string, rootKeys: readonly string[] = []): string {
  const answer = text.replace(/<think(?:ing)?>[\s\S]*?<\/think(?:ing)?>/gi, "").replace(/\r\n?/g, "\n");
  const fences = [...answer.matchAll(FENCE)].map((match) => ({ language: (match[1] ?? "").toLowerCase(), body: match[2] ?? "" }));
  if (fences.length > 0) {
    const chosen = fences.find((fence) => fence.language === "yaml" || fence.language === "yml") ?? fences.find((fence) => startsWithKey(fence.body, rootKeys)) ?? fences[0]!;
    return chosen.body;
  }
  const lines = answer.split("\n");
  const isRootLine = (line: string) => (rootKeys.length > 0 ? rootKeys.some((key) => line.startsWith(`${key}:`)) : ANY_KEY_LINE.test(line) || line.trim() === "---");
  let start = lines.findIndex(isRootLine);
  if (start === -1) start = lines.findIndex((line) => ANY_KEY_LINE.test(line));
  if (start === -1) return answer;
  let end = lines.length;
  // Trailing prose: unindented lines that are neither keys, list items, comments nor document markers.
  while (end > start + 1) {
    const line = lines[end - 1]!;
    if (line.trim() === "" || !(ANY_KEY_LINE.test(line) || /^[\s#-]/.test(line) || line.startsWith("..."))) end -= 1;
    else break;
  }
  return lines.slice(start, end).join("\n");
}

function startsWithKey(body: string, rootKeys: readonly string[]): boolean {
  return rootKeys.some((key) => new RegExp(`^${key}:`, "m").test(body));
}
