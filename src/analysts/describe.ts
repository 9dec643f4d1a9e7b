import type { AbandonmentFinding } from "./abandonment.ts";
import type { PageArea } from "./areas.ts";
import { routeTitle } from "./titles.ts";
import type { ConfusionFinding } from "./confusion.ts";
import type { FailureEpisode } from "./exceptions.ts";
import type { SlowFinding } from "./slow.ts";
import { capitalize, cleanText, eventWords, quote, times, type QuoteOptions } from "./text.ts";
import type { Moment } from "./timeline.ts";

/**
 * Descriptions of key actions. They follow fixed templates, because the pattern stage reads them
 * back: the first `"quoted"` text is the control, the text after `threw` / `got` (up to `; `) is
 * the error, `on /area` is the page area.
 *
 *   Clicking "Place order" on /checkout threw TypeError: …; the user tried again 4 times …
 *   Loading /search threw Error: Request failed with status 500 …; the user tried again twice …
 *   Tried "Apply" 4 times on /checkout; answered "coupon rejected" 3 times.
 *   Clicked "Zoom" on /product/:id and nothing happened (dead click).
 *   Left checkout on /checkout without completing it; last attempt: "Apply".
 *   Waited 12 s for /checkout/confirmation to load ("Loading your order…" on screen).
 *   Gave up waiting after 7 s for /search to load after clicking "Search" ("Searching…" on screen).
 */

function controlLabel(moment: Moment | undefined, text: QuoteOptions): string {
  return quote(moment?.control?.label, text);
}

function actionVerb(moment: Moment): string {
  return moment.kind === "submit" ? "Submitting" : moment.kind === "change" ? "Changing" : "Clicking";
}

function joinList(parts: readonly string[]): string {
  if (parts.length <= 1) return parts.join("");
  return `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}

const DETAIL_KEYS: ReadonlyArray<{ keys: string[]; format: (value: string, text: QuoteOptions) => string }> = [
  { keys: ["name", "product_name", "title"], format: (value, text) => quote(value, { ...text, maxQuotedLength: 50 }) },
  { keys: ["query", "search_query"], format: (value, text) => quote(value, { ...text, maxQuotedLength: 40 }) },
  { keys: ["step_name"], format: (value, text) => cleanText(value, { ...text, maxQuotedLength: 30 }) },
  { keys: ["results"], format: (value) => `${value} results` },
  { keys: ["quantity"], format: (value) => `quantity ${value}` },
  { keys: ["status", "status_code"], format: (value) => `status ${value}` },
];

/** `Added to cart: "Linen apron", quantity 1`; `Order completed`. */
export function describeCustomEvent(moment: Moment, text: QuoteOptions): string {
  if (moment.kind === "pageview") return `Reached ${moment.page.area}`;
  const details: string[] = [];
  for (const { keys, format } of DETAIL_KEYS) {
    const key = keys.find((candidate) => ["string", "number"].includes(typeof moment.props[candidate]) && String(moment.props[candidate]).trim() !== "");
    if (key) details.push(format(String(moment.props[key]), text));
  }
  // `doc_published`, `docPublished` → "Doc published".
  const name = capitalize(cleanText(eventWords(moment.name) || moment.name, { ...text, maxQuotedLength: 60 }));
  return details.length > 0 ? `${name}: ${details.join(", ")}` : name;
}

export function describeSubmit(moment: Moment, text: QuoteOptions): string {
  const label = controlLabel(moment, text);
  return `Submitted ${label || "a form"} on ${moment.page.area}`;
}

/** What showed the user carried on: `added to cart`, `went on to /cart`. */
export function describeProgress(moment: Moment): string {
  if (moment.kind === "pageview") return `went on to ${moment.page.area}`;
  if (moment.kind === "identify") return "signed in";
  return moment.name.toLowerCase();
}

export function describeEpisodeHead(episode: FailureEpisode, text: QuoteOptions): string {
  const error = cleanText(episode.failure.display, { ...text, maxQuotedLength: text.maxErrorLength ?? text.maxQuotedLength });
  const verb = episode.occurrences[0]!.kind === "exception" ? "threw" : "got";
  const area = episode.area.area;
  let subject: string;
  if (episode.triggerKind === "user" && episode.trigger) {
    const label = controlLabel(episode.trigger, text);
    subject = `${actionVerb(episode.trigger)} ${label ? `${label} ` : ""}on ${area}`;
  } else if (episode.triggerKind === "load") {
    subject = `Loading ${area}`;
  } else {
    subject = `A background script on ${area}`;
  }
  return `${subject} ${verb} ${error}`;
}

export function describeBlockingEpisode(episode: FailureEpisode, text: QuoteOptions): string {
  const consequences: string[] = [];
  if (episode.retries === 1) consequences.push("the user tried again and it failed again");
  if (episode.retries > 1) consequences.push(`the user tried again ${times(episode.retries)} and it failed each time`);
  if (episode.deadClicks.length > 0) consequences.push("the click did nothing (dead click)");
  if (episode.rageClicks.length > 0) consequences.push("the user rage-clicked");
  if (episode.feedback) consequences.push(`the app reported ${quote(episode.feedback.name, text)}`);
  if (episode.leftAfter) consequences.push("the user left without getting further");
  else if (!episode.progress) consequences.push("no progress followed");
  return `${describeEpisodeHead(episode, text)}; ${joinList(consequences)}.`;
}

/** One description for every non-blocking episode of the same failure. */
export function describeNonBlockingFailure(episodes: readonly FailureEpisode[], text: QuoteOptions): string {
  const first = episodes[0]!;
  const occurrences = episodes.reduce((count, episode) => count + episode.occurrences.length, 0);
  const head = `${describeEpisodeHead(first, text)}${occurrences > 1 ? ` (${occurrences} times)` : ""}`;
  if (first.noise) {
    const areas = first.areas.slice(0, 3).join(", ") + (first.areas.length > 3 ? ", …" : "");
    return `${head}; it recurs on ${first.areas.length} page areas (${areas}) while the user carries on: background noise.`;
  }
  const progress = episodes.find((episode) => episode.progress)?.progress;
  return progress ? `${head}; the user carried on (${describeProgress(progress)}).` : `${head}; nothing suggests the user noticed.`;
}

export function describeConfusion(finding: ConfusionFinding, text: QuoteOptions): string {
  const area = finding.anchor.page.area;
  switch (finding.kind) {
    case "repeated_failure": {
      const feedback = quote(finding.feedbackName, text);
      const label = controlLabel(finding.attempts[0] ?? finding.anchor, text);
      const failures = finding.moments.length;
      if (label && finding.attempts.length > 0) {
        const unanswered = finding.attempts.length > failures ? `; the last ${finding.attempts.length - failures === 1 ? "attempt got" : "attempts got"} no answer` : "";
        return `Tried ${label} ${times(finding.attempts.length)} on ${area}; answered ${feedback} ${times(failures)}${unanswered}.`;
      }
      return `Got ${feedback} ${times(failures)} on ${area}: repeated attempts that kept failing.`;
    }
    case "repeated_attempt": {
      const label = controlLabel(finding.anchor, text) || "the same control";
      return `Tried ${label} ${times(finding.attempts.length)} on ${area}; nothing came of it (no new page, no step), and the app reported no error.`;
    }
    case "dead_click": {
      const label = controlLabel(finding.anchor, text) || "an element";
      const count = finding.moments.length;
      return `Clicked ${label} on ${area} and nothing happened (dead click${count > 1 ? `, ${times(count)}` : ""}).`;
    }
    case "rage_click": {
      const label = controlLabel(finding.anchor, text) || "an element";
      return `Rage-clicked ${label} on ${area}${finding.moments.length > 1 ? ` (${times(finding.moments.length)})` : ""}.`;
    }
    case "back_and_forth": {
      const [a, b] = finding.moments;
      return `Went back and forth between ${a?.page.path ?? area} and ${b?.page.path ?? "another page"} on ${area} without getting further.`;
    }
  }
}

const PHASE_NAMES: Record<string, string> = {
  cart: "the cart",
  "sign-in": "sign-in",
  checkout: "checkout",
  search: "search",
  product: "the product page",
  home: "the home page",
  catalogue: "the catalogue",
  confirmation: "the confirmation page",
};

/** "editing a campaign" from `/campaigns/:id/edit`; a route with no such reading is "the /x page". */
function whatTheUserDid(area: PageArea): string {
  const title = routeTitle(area);
  return /^(Creating|Editing|Composing|Previewing|Reviewing|Importing|Inviting|Uploading|Duplicating|Sharing|Deleting) /.test(title)
    ? title.charAt(0).toLowerCase() + title.slice(1)
    : `the ${area.area} page`;
}

/** `Left checkout on /checkout without completing it, after the TypeError kept happening; last attempt: "Place order".` */
export function describeAbandonment(finding: AbandonmentFinding, text: QuoteOptions): string {
  const what = finding.area.name ? quote(finding.area.name, { ...text, maxQuotedLength: 60 }) : (PHASE_NAMES[finding.phase] ?? whatTheUserDid(finding.area));
  const lastAttempt = finding.anchor.control ? `; last attempt: ${controlLabel(finding.anchor, text)}` : "";
  let cause = "";
  if (finding.episode) cause = `, after the ${cleanText(finding.episode.failure.type, { ...text, maxQuotedLength: 40 })} kept happening`;
  else if (finding.confusion?.kind === "repeated_failure") cause = `, after ${quote(finding.confusion.feedbackName, text)} ${times(finding.confusion.moments.length)}`;
  else if (finding.confusion) cause = `, after trying ${controlLabel(finding.confusion.anchor, text) || "the same control"} ${times(finding.confusion.attempts.length)}`;
  return `Left ${what} on ${finding.area.area} without completing it${cause}${lastAttempt}.`;
}

/** `Waited 12 s for /search to load ("Searching…" on screen).` or `Gave up waiting after 7 s for …`. */
export function describeSlowPage(finding: SlowFinding, text: QuoteOptions): string {
  const seconds = Math.round(finding.waitedMs / 1000);
  const trigger = finding.startedBy === "action" ? ` after ${actionVerb(finding.anchor).toLowerCase()} ${controlLabel(finding.anchor, text) || "a control"}` : "";
  const indicator = finding.wait.text ? quote(finding.wait.text, { ...text, maxQuotedLength: 60 }) : "a loading indicator";
  const head = finding.left ? `Gave up waiting after ${seconds} s` : `Waited ${seconds} s`;
  return `${head} for ${finding.area.area} to load${trigger} (${indicator} on screen)${finding.left ? ": the user left while it was still loading" : ""}.`;
}
