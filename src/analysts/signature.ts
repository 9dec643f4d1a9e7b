import type { IssueKind, KeyAction } from "../domain/summary.ts";
import { pageAreaOf, type Phase } from "./areas.ts";
import { DEFAULT_SITE, type SiteModel } from "./site.ts";
import { normalizeErrorText, statusInText } from "./event-kinds.ts";

/**
 * An issue signature says which flagged key actions are "the same issue" across sessions:
 * its kind, the normalized page area, and
 * - exceptions: the error fingerprint (type + message with numbers, ids and quoted values
 *   normalized), else the control;
 * - confusion: the control the user struggled with, else the failure answer or the kind of sign;
 * - abandonment: its cause when the description names one (the error type, or the failure
 *   answer the user kept getting), not the last control (leaving is leaving, whatever was clicked).
 *
 * Key actions carry only a description and facts (event, URL), so the parts are read back from
 * the description templates of `describe.ts`, with looser fallbacks for descriptions a model wrote.
 */

export interface IssueSignature {
  kind: IssueKind;
  area: string;
  phase: Phase;
  /** The control, as written (case kept), when one is named. */
  control?: string;
  /** `TypeError: Cannot read …` as written, when an error is named. */
  errorText?: string;
  errorType?: string;
  /** Normalized error text: the fingerprint. */
  errorKey?: string;
  status?: number;
  /** Confusion, and abandonment after it: the failure answer the app gave (`coupon rejected`). */
  feedback?: string;
  confusionSign?: "repeated_failure" | "dead_click" | "rage_click" | "back_and_forth";
  /** Slow pages: how long the user waited, and whether they left while it still loaded. */
  waitedSeconds?: number;
  leftWhileWaiting?: boolean;
}

const SENTENCE_STARTS = /(?<=\.)\s+(?=(?:Clicking|Submitting|Changing|Loading|A background script|Tried|Got|Clicked|Rage-clicked|Went back|Left|Waited|Gave up waiting)\b)/;
const SLOW_SENTENCE = /^(?:Waited|Gave up waiting)\b/;
const EXCEPTION_SENTENCE = /^(?:Clicking|Submitting|Changing|Loading|A background script)\b/;
const CONFUSION_SENTENCE = /^(?:Tried|Got|Clicked|Rage-clicked|Went back)\b/;

/** The sentence of a (possibly merged) description that is about `kind`. */
function sentenceFor(description: string, kind: IssueKind): string {
  const sentences = description.split(SENTENCE_STARTS);
  const wanted =
    kind === "slow_page"
      ? sentences.find((sentence) => SLOW_SENTENCE.test(sentence))
      : kind === "abandonment"
        ? sentences.find((sentence) => sentence.startsWith("Left "))
        : kind === "confusion"
          ? sentences.find((sentence) => CONFUSION_SENTENCE.test(sentence))
          : sentences.find((sentence) => EXCEPTION_SENTENCE.test(sentence));
  return wanted ?? description;
}

function firstQuoted(text: string): string | undefined {
  return /"([^"]{1,120})"/.exec(text)?.[1]?.trim() || undefined;
}

const AREA_IN_TEXT = /\bon (\/[^\s;,)]*)/;
const NOISE_SENTENCE = /\brecurs on \d+ page areas\b/;
/** The area of background noise that recurs across pages. */
export const SEVERAL_PAGES = "(several pages)";

/** Error type and message named in a description: our template (`threw X`), else any `FooError: …`. */
function errorIn(sentence: string): { text: string; type: string } | undefined {
  const ours = /\b(?:threw|got) (.+?)(?: \(\d+ times\))?(?:; |$)/.exec(sentence)?.[1];
  if (ours) {
    const type = /^([\w$.]+?)(?::|$)/.exec(ours)?.[1] ?? "Error";
    return { text: ours.replace(/\.$/, ""), type };
  }
  const loose = /\b([A-Z][\w$]*(?:Error|Exception))\b(?::\s*([^;\n]{1,160}))?/.exec(sentence);
  if (loose) return { text: loose[2] ? `${loose[1]}: ${loose[2].trim()}` : loose[1]!, type: loose[1]! };
  return undefined;
}

/** The signature of one issue kind a key action carries. */
export function signatureOf(action: Pick<KeyAction, "description" | "current_url">, kind: IssueKind, site: SiteModel = DEFAULT_SITE): IssueSignature {
  const sentence = sentenceFor(action.description, kind);
  const fromUrl = action.current_url ? pageAreaOf(action.current_url, site) : undefined;
  const areaInText = AREA_IN_TEXT.exec(sentence)?.[1];
  const page = fromUrl ?? pageAreaOf(areaInText, site);
  const signature: IssueSignature = { kind, area: fromUrl ? fromUrl.area : areaInText ? page.area : "(unknown page)", phase: page.phase };

  if (kind === "non_blocking_exception" && NOISE_SENTENCE.test(sentence)) {
    // Background noise belongs to no page in particular: whichever occurrence was cited, it is the same issue.
    signature.area = SEVERAL_PAGES;
    signature.phase = "other";
  }
  if (kind === "blocking_exception" || kind === "non_blocking_exception") {
    const error = errorIn(sentence);
    if (error) {
      signature.errorText = error.text;
      signature.errorType = error.type;
      signature.errorKey = normalizeErrorText(error.text);
      const status = statusInText(error.text) ?? statusInText(sentence);
      if (status !== undefined) signature.status = status;
    }
    const control = /^(?:Clicking|Submitting|Changing) "([^"]+)"/.exec(sentence)?.[1] ?? (error ? undefined : firstQuoted(sentence));
    if (control) signature.control = control;
  } else if (kind === "confusion") {
    let match: RegExpExecArray | null;
    if ((match = /^Tried "([^"]+)"/.exec(sentence))) {
      signature.control = match[1]!;
      signature.confusionSign = "repeated_failure";
      const feedback = /answered "([^"]+)"/.exec(sentence)?.[1];
      if (feedback) signature.feedback = feedback;
    } else if ((match = /^Got "([^"]+)"/.exec(sentence))) {
      signature.feedback = match[1]!;
      signature.confusionSign = "repeated_failure";
    } else if ((match = /^Clicked "([^"]+)"/.exec(sentence))) {
      signature.control = match[1]!;
      signature.confusionSign = "dead_click";
    } else if ((match = /^Rage-clicked "([^"]+)"/.exec(sentence))) {
      signature.control = match[1]!;
      signature.confusionSign = "rage_click";
    } else if (/^Went back and forth/.test(sentence)) {
      signature.confusionSign = "back_and_forth";
    } else {
      const control = firstQuoted(sentence);
      if (control) signature.control = control;
    }
  } else if (kind === "slow_page") {
    // The waiting page is named in the description ("for /search to load"); the cited event may be the click that led there.
    const waiting = /\bfor (\/\S*) to load\b/.exec(sentence)?.[1];
    if (waiting) {
      const page = pageAreaOf(waiting, site);
      signature.area = page.area;
      signature.phase = page.phase;
    }
    const seconds = /\b(\d+) ?s\b/.exec(sentence)?.[1];
    if (seconds) signature.waitedSeconds = Number(seconds);
    signature.leftWhileWaiting = /^Gave up waiting|\bleft while\b/i.test(sentence);
    const control = /\bafter (?:clicking|submitting|changing) "([^"]+)"/.exec(sentence)?.[1];
    if (control) signature.control = control;
  } else {
    const control = /last attempt: "([^"]+)"/.exec(sentence)?.[1];
    if (control) signature.control = control;
    const errorType = /after the ([\w$.]+) kept happening/.exec(sentence)?.[1];
    const feedback = /after "([^"]+)" (?:once|twice|\d+ times)/.exec(sentence)?.[1];
    if (errorType) signature.errorType = errorType;
    else if (feedback) signature.feedback = feedback;
  }
  return signature;
}

function normalizeLabel(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").replace(/\d+/g, "<n>").trim();
}

/** What two key actions must share to be the same issue. */
export function signatureKey(signature: IssueSignature): string {
  const parts: string[] = [signature.kind, signature.area];
  if (signature.kind === "blocking_exception" || signature.kind === "non_blocking_exception") {
    parts.push(signature.errorKey ? `error: ${signature.errorKey}` : signature.control ? `control: ${normalizeLabel(signature.control)}` : "");
  } else if (signature.kind === "abandonment") {
    // Why they left splits abandonment: after an error, after repeated refusals, or for no visible reason.
    if (signature.errorType) parts.push(`after error: ${signature.errorType.toLowerCase()}`);
    else if (signature.feedback) parts.push(`after answer: ${normalizeLabel(signature.feedback)}`);
  } else if (signature.kind === "confusion") {
    parts.push(
      signature.control ? `control: ${normalizeLabel(signature.control)}` : signature.feedback ? `answer: ${normalizeLabel(signature.feedback)}` : `sign: ${signature.confusionSign ?? "other"}`,
    );
  }
  return parts.join(" | ");
}
