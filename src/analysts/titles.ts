import type { PageArea } from "./areas.ts";
import { capitalize, cleanText, quote, type QuoteOptions } from "./text.ts";
import { isUserAction, type Moment } from "./timeline.ts";

/**
 * Segment titles for pages of no e-commerce role, in the product's own terms: read from the route
 * (`/campaigns/:id/edit` → "Editing a campaign", `/settings/billing` → "Settings: billing") and
 * the texts of the controls the user used there ("Onboarding: plan, clicking "Choose Pro"").
 * A product map name wins when there is one.
 */

/** What a trailing route word says the user does with the thing named before it. */
const ACTION_WORDS: Record<string, string> = {
  new: "Creating",
  create: "Creating",
  compose: "Composing",
  edit: "Editing",
  preview: "Previewing",
  review: "Reviewing",
  import: "Importing",
  invite: "Inviting",
  upload: "Uploading",
  duplicate: "Duplicating",
  share: "Sharing",
  delete: "Deleting",
};

function singular(noun: string): string {
  if (/ies$/.test(noun)) return `${noun.slice(0, -3)}y`;
  if (/(ss|us|is)$/.test(noun)) return noun;
  if (/(ches|shes|xes|sses)$/.test(noun)) return noun.slice(0, -2);
  return noun.endsWith("s") ? noun.slice(0, -1) : noun;
}

function withArticle(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? "an" : "a"} ${noun}`;
}

function humanWords(segment: string): string {
  return segment.replace(/[-_.]+/g, " ").trim();
}

/** "Editing a campaign", "Viewing a campaign", "Browsing campaigns", "Settings: billing". */
export function routeTitle(page: PageArea): string {
  if (page.name) return page.name;
  const segments = page.area.split("/").filter((segment) => segment !== "" && segment !== "*");
  if (segments.length === 0) return "Home page";
  const literals = segments.filter((segment) => !segment.startsWith(":"));
  const last = segments.at(-1)!;
  const nounBefore = (index: number): string | undefined => {
    for (let i = index - 1; i >= 0; i -= 1) if (!segments[i]!.startsWith(":")) return singular(humanWords(segments[i]!));
    return undefined;
  };
  const action = ACTION_WORDS[last];
  if (action) {
    const noun = nounBefore(segments.length - 1);
    return noun ? `${action} ${withArticle(noun)}` : `${action}`;
  }
  if (last.startsWith(":")) {
    const noun = nounBefore(segments.length - 1);
    // The user typed into the item's own page: they were editing it, not just looking.
    const verb = page.phase === "task" ? "Editing" : "Viewing";
    return noun ? `${verb} ${withArticle(noun)}` : `${verb} an item`;
  }
  if (segments.length >= 2 && segments.at(-2)!.startsWith(":")) {
    // `/campaigns/:id/recipients` → "Campaign recipients".
    const noun = nounBefore(segments.length - 2);
    return capitalize(`${noun ? `${noun} ` : ""}${humanWords(last)}`);
  }
  if (literals.length >= 2) return `${capitalize(humanWords(literals[0]!))}: ${literals.slice(1).map(humanWords).join(" / ")}`;
  const word = humanWords(last);
  return word.endsWith("s") && !/(ss|us|is)$/.test(word) ? `Browsing ${word}` : capitalize(word);
}

/** The texts of the controls most used in these moments, quoted: `"Choose Pro", "Continue"`. */
export function clickedTexts(moments: readonly Moment[], options: { maxClickedTexts: number; maxClickedTextLength: number }, text: QuoteOptions): string[] {
  const counts = new Map<string, number>();
  for (const moment of moments) {
    if (!isUserAction(moment) || moment.kind === "change") continue;
    // Clicking into a field is not a thing the user did there; its label is a field name.
    const control = moment.control;
    if (control && ["input", "textarea", "select"].includes(control.tag) && !["submit", "button", "checkbox", "radio"].includes(control.inputType ?? "")) continue;
    const label = moment.control?.label?.replace(/\s+/g, " ").trim();
    if (!label || label.length > options.maxClickedTextLength || !/\p{L}{2}/u.test(label)) continue;
    // A control with no text is named by its id (`new-form`): a code, not words the user saw.
    if (/^[a-z0-9]+(?:[-_][a-z0-9]+)+$/.test(label)) continue;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.maxClickedTexts)
    .map(([label]) => quote(cleanText(label, text), text));
}
