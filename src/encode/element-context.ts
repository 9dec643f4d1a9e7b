import type { ChainElement } from "./elements-chain.ts";

/** What the user interacted with, in words a model can use. Raw values: not yet redacted or cut. */
export interface ElementContext {
  /**
   * Tag of the innermost meaningful element, with its input type and, for form fields, its id or
   * name: `button`, `a`, `input[type=email]#email`, `select[name=country]`.
   */
  element: string;
  /** The clicked element's own text, else the nearest ancestor's. */
  text: string;
  /**
   * Nearest `aria-label` up to the meaningful element (the only name icon buttons have); not
   * beyond it, where labels name whole regions (`nav[aria-label=Main]`) rather than the control.
   */
  ariaLabel: string;
  /** Nearest link target: a click on a `<span>` inside an `<a>` follows the `<a>`. */
  href: string;
}

/** Tags whose presence in a chain says what kind of control was used. */
const MEANINGFUL_TAGS = new Set(["a", "button", "form", "input", "select", "textarea", "label"]);

/** Controls whose id or name says which field it was (`input#email`, `select[name=country]`). */
const NAMED_CONTROL_TAGS = new Set(["input", "select", "textarea", "form"]);

function describeTag(element: ChainElement): string {
  const type = element.attributes.type;
  // A button's type (submit/button/reset) is noise for the analysis; an input's type is not.
  const tag = !type || element.tag === "button" ? element.tag : `${element.tag}[type=${type}]`;
  if (!NAMED_CONTROL_TAGS.has(element.tag)) return tag;
  if (element.id) return `${tag}#${element.id}`;
  const name = element.attributes.name;
  return name ? `${tag}[name=${name}]` : tag;
}

function nearest(elements: readonly ChainElement[], pick: (element: ChainElement) => string | undefined): string {
  for (const element of elements) {
    const value = pick(element)?.trim();
    if (value) return value;
  }
  return "";
}

/** Context of an element chain (innermost first); undefined for an empty chain. */
export function elementContextOf(elements: readonly ChainElement[]): ElementContext | undefined {
  const innermost = elements[0];
  if (!innermost) return undefined;
  const meaningfulAt = elements.findIndex((element) => MEANINGFUL_TAGS.has(element.tag));
  const meaningful = elements[meaningfulAt] ?? innermost;
  // Without a meaningful element, the clicked element and its two nearest ancestors stand in for the control.
  const controlElements = elements.slice(0, meaningfulAt >= 0 ? meaningfulAt + 1 : 3);
  return {
    element: describeTag(meaningful),
    text: nearest(elements, (element) => element.text),
    ariaLabel: nearest(controlElements, (element) => element.attributes["aria-label"]),
    href: nearest(elements, (element) => element.href),
  };
}

/** Whether the chain carries anything that says what was interacted with (text, link, id or label). */
export function hasElementDetails(elements: readonly ChainElement[]): boolean {
  return elements.some((element) => Boolean(element.text || element.href || element.id || element.attributes["aria-label"]));
}
