import { DEFAULT_SITE, normalizeErrorText, pageAreaOf, signatureOf, type IssueSignature, type SiteModel } from "../analysts/index.ts";
import type { ReportPattern } from "../domain/report.ts";
import type { IssueKind, KeyAction } from "../domain/summary.ts";

/**
 * Fingerprints: what makes a pattern found by one sweep "the same problem" as an issue tracked since
 * earlier sweeps and reports. Pattern names and ids change between reports (and a model words them
 * differently every time), so the fingerprint is computed from the pattern's examples, i.e. from
 * what happened in the sessions:
 *
 * - kind: from the key actions' flags (`error`, `slow`, `confusion`, `dead_click`, `abandonment`);
 * - route: the route template of the page (`/product/:slug`, `/campaigns/:id`; query dropped);
 * - element: the control the user worked with, as named in the key action;
 * - error: the exception message normalized (numbers, ids, quoted values, URLs stripped), or the
 *   failure answer the app gave for confusion and abandonment.
 *
 * Which parts count follows the offline analyst's own notion of "the same issue" (`signatureKey`):
 * an error is identified by its normalized message (the control only when no message is known),
 * abandonment by its cause (leaving is leaving, whatever was clicked last), a slow page by the page.
 * Deterministic: the same examples in any order give the same fingerprint.
 *
 * Model-written patterns are matched by text as well (`similarPatterns`): their key actions are
 * worded freely, so the element and error read back from them vary where kind and route do not.
 */

export const FINGERPRINT_KINDS = ["error", "slow", "confusion", "abandonment", "dead_click", "other"] as const;
export type FingerprintKind = (typeof FINGERPRINT_KINDS)[number];

/** When one key action carries several flags, the root cause wins: an error over the leaving it caused. */
const KIND_PRIORITY: readonly FingerprintKind[] = ["error", "slow", "dead_click", "confusion", "abandonment", "other"];

export interface FingerprintParts {
  kind: FingerprintKind;
  /** Route template, `(unknown page)` when no example has a page. */
  route: string;
  /** Normalized control text; empty when not part of the identity. */
  element: string;
  /** Normalized error (or failure answer); empty when none. */
  error: string;
}

export interface FingerprintOptions {
  /** Site model for route templates (a product map's routes); default: per-URL rules only, so templates never depend on which sessions a sweep saw. */
  site?: SiteModel;
  /** Each text part is cut to this many characters (keys stay bounded for the store). */
  maxPartLength?: number;
}

export const FINGERPRINT_DEFAULTS = { maxPartLength: 160 } as const;

const SEPARATOR = " | ";

/** The kind of one key action, from its flags. */
export function kindOfAction(action: Pick<KeyAction, "exception" | "slow" | "confusion" | "abandonment" | "event" | "description">): FingerprintKind {
  if (action.exception) return "error";
  if (action.slow) return "slow";
  if (action.confusion) {
    const deadClick = action.event === "$dead_click" || signatureOf({ description: action.description }, "confusion").confusionSign === "dead_click";
    return deadClick ? "dead_click" : "confusion";
  }
  if (action.abandonment) return "abandonment";
  return "other";
}

/** The analyst's issue kind a fingerprint kind reads its signature with. */
function issueKindFor(kind: FingerprintKind, action: Pick<KeyAction, "exception">): IssueKind | undefined {
  switch (kind) {
    case "error":
      return action.exception === "non-blocking" ? "non_blocking_exception" : "blocking_exception";
    case "slow":
      return "slow_page";
    case "confusion":
    case "dead_click":
      return "confusion";
    case "abandonment":
      return "abandonment";
    case "other":
      return undefined;
  }
}

/** Lower-case words and digits only: `"⤢ Zoom"` and `"Zoom"` are one control, `"Pay $12"` and `"Pay $15"` too. */
export function normalizeElement(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\d+(?:[.,]\d+)?/g, "<n>")
    .replace(/[^\p{L}\p{N}<>\s]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function cut(text: string, max: number): string {
  // The separator must not appear inside a part, or two different keys could read the same.
  const clean = text.replaceAll("|", "/");
  return clean.length > max ? clean.slice(0, max) : clean;
}

/** The part values of one example's target. */
function partsOfAction(action: KeyAction, site: SiteModel): { kind: FingerprintKind; route: string; element: string; error: string } {
  const kind = kindOfAction(action);
  const issueKind = issueKindFor(kind, action);
  if (!issueKind) return { kind, route: pageAreaOf(action.current_url, site).area, element: "", error: "" };
  const signature: IssueSignature = signatureOf(action, issueKind, site);
  const control = signature.control ? normalizeElement(signature.control) : "";
  const feedback = signature.feedback ? normalizeErrorText(signature.feedback) : "";
  switch (kind) {
    case "error":
      return signature.errorKey ? { kind, route: signature.area, element: "", error: signature.errorKey } : { kind, route: signature.area, element: control, error: "" };
    case "slow":
      return { kind, route: signature.area, element: "", error: "" };
    case "confusion":
    case "dead_click":
      return control ? { kind, route: signature.area, element: control, error: "" } : { kind, route: signature.area, element: "", error: feedback || `sign: ${signature.confusionSign ?? "other"}` };
    default:
      return { kind, route: signature.area, element: "", error: signature.errorType ? `after error: ${signature.errorType.toLowerCase()}` : feedback ? `after answer: ${feedback}` : "" };
  }
}

/** The most common value; ties go to `rank` (lower first), then to the alphabetically first, so input order never matters. */
function mostCommon<T extends string>(values: readonly T[], rank: (value: T) => number = () => 0): T | undefined {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || rank(a[0]) - rank(b[0]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))[0]?.[0];
}

/** The parts of a pattern's fingerprint, from its examples (every affected session has one). */
export function fingerprintParts(pattern: Pick<ReportPattern, "examples">, options: FingerprintOptions = {}): FingerprintParts {
  const site = options.site ?? DEFAULT_SITE;
  const max = options.maxPartLength ?? FINGERPRINT_DEFAULTS.maxPartLength;
  const actions = pattern.examples.map((example) => partsOfAction(example.target, site));
  const kind = mostCommon(
    actions.map((a) => a.kind),
    (k) => KIND_PRIORITY.indexOf(k),
  );
  if (!kind) return { kind: "other", route: "(unknown page)", element: "", error: "" };
  // The other parts come from the examples of the winning kind: a consequence's page must not move the root's route.
  const ofKind = actions.filter((a) => a.kind === kind);
  return {
    kind,
    route: cut(mostCommon(ofKind.map((a) => a.route)) ?? "(unknown page)", max),
    element: cut(mostCommon(ofKind.map((a) => a.element)) ?? "", max),
    error: cut(mostCommon(ofKind.map((a) => a.error)) ?? "", max),
  };
}

export function formatFingerprint(parts: FingerprintParts): string {
  return [parts.kind, parts.route, parts.element, parts.error].join(SEPARATOR);
}

/** The parts of a fingerprint string; undefined for a string `formatFingerprint` did not make. */
export function parseFingerprint(fingerprint: string): FingerprintParts | undefined {
  const parts = fingerprint.split(SEPARATOR);
  if (parts.length !== 4 || !(FINGERPRINT_KINDS as readonly string[]).includes(parts[0]!)) return undefined;
  const [kind, route, element, error] = parts as [FingerprintKind, string, string, string];
  return { kind, route, element, error };
}

/** A pattern's fingerprint: `kind | route | element | error`, e.g. `error | /checkout |  | typeerror: cannot read properties of undefined (reading 'total')`. */
export function fingerprintOf(pattern: Pick<ReportPattern, "examples">, options: FingerprintOptions = {}): string {
  return formatFingerprint(fingerprintParts(pattern, options));
}

/** Whether the code-derived parts say two problems differ: both have an error and they differ, or both a control and their words hardly overlap. */
function partsConflict(x: FingerprintParts, y: FingerprintParts, threshold: number): boolean {
  if (x.error !== "" && y.error !== "" && x.error !== y.error) return true;
  return x.element !== "" && y.element !== "" && jaccard(textTokens(x.element), textTokens(y.element)) < threshold;
}

/**
 * The same error is one root problem wherever it shows: a script that throws on every page is
 * fingerprinted on whichever page most of a sweep's examples came from. Errors only; other kinds
 * need their page to say which control or step it is.
 */
export function sameError(a: string, b: string): boolean {
  const x = parseFingerprint(a);
  const y = parseFingerprint(b);
  return x !== undefined && y !== undefined && x.kind === "error" && y.kind === "error" && x.error !== "" && x.error === y.error;
}

/** Two fingerprints that differ at most in the text parts (element, error): same kind of problem on the same route. */
export function sameStructure(a: string, b: string): boolean {
  const x = parseFingerprint(a);
  const y = parseFingerprint(b);
  return x !== undefined && y !== undefined && x.kind === y.kind && x.route === y.route;
}

// ---------------------------------------------------------------------------------------------
// Text similarity, for model-written patterns.

/** Words that carry no meaning about which problem it is. */
const STOP_WORDS = new Set("a an and are as at be by for from has have in is it its of on or that the their then this to was were when which while with user users".split(" "));

/** Normalized words of a text: lower case, ids, numbers, URLs and quoted values' digits gone, plural `s` dropped. */
export function textTokens(text: string): Set<string> {
  const normalized = text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/g, " ")
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, " ")
    .replace(/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/g, " ")
    .replace(/\d+/g, " ");
  const tokens = new Set<string>();
  for (const word of normalized.split(/[^\p{L}]+/u)) {
    if (word.length < 2 || STOP_WORDS.has(word)) continue;
    tokens.add(word.length > 3 && word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word);
  }
  return tokens;
}

/** Jaccard similarity of two token sets (1 for two empty sets would say "same" on no evidence: 0). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const token of a) if (b.has(token)) shared += 1;
  return shared / (a.size + b.size - shared);
}

export interface SimilarityOptions {
  /** Share of shared words (Jaccard over name + description) from which two patterns are one problem. */
  threshold?: number;
}

export const SIMILARITY_DEFAULTS = { threshold: 0.5 } as const;

/** What text similarity compares: a fingerprint plus the words people read (a pattern's, or an issue's title and description). */
export interface TextualPattern {
  fingerprint: string;
  name: string;
  description: string;
}

/**
 * Whether two model-written patterns are one problem though their fingerprints differ: only when
 * they differ in the text parts (same kind, same route) and their name and description share at
 * least `threshold` of their words. Different kinds or routes are never merged by words alone.
 */
export function similarPatterns(a: TextualPattern, b: TextualPattern, options: SimilarityOptions = {}): { similar: boolean; score: number } {
  const threshold = options.threshold ?? SIMILARITY_DEFAULTS.threshold;
  if (a.fingerprint === b.fingerprint) return { similar: true, score: 1 };
  if (!sameStructure(a.fingerprint, b.fingerprint)) return { similar: false, score: 0 };
  // Words written to a template ("Clicked X and nothing happened") must not merge problems the code
  // tells apart: two different errors, or two controls that share no words.
  if (partsConflict(parseFingerprint(a.fingerprint)!, parseFingerprint(b.fingerprint)!, threshold)) return { similar: false, score: 0 };
  const score = jaccard(textTokens(`${a.name} ${a.description}`), textTokens(`${b.name} ${b.description}`));
  return { similar: score >= threshold, score };
}
