import type { CapturedElement } from "../domain/events.ts";

/**
 * Autocapture's element chain, innermost (clicked) element first, from either form posthog-js and
 * PostHog produce: the `$elements` array, or the serialized `$elements_chain` string.
 *
 * Chain format (PostHog `elementsToString`): elements joined by `;`, each
 * `tag.class1.class2:key="value"key="value"...` with keys sorted, `"` inside values escaped as `\"`.
 * Keys: `text`, `href`, `attr_id`, `nth-child`, `nth-of-type`, and `attr__<name>` for DOM attributes
 * (`attr__type`, `attr__aria-label`, ...). Classes may contain `:` (Tailwind `hover:x`), so the
 * attribute part starts at the first `:` that is followed by `key=`.
 */
export interface ChainElement {
  tag: string;
  classes: string[];
  text?: string;
  href?: string;
  id?: string;
  /** DOM attributes without the `attr__` prefix: `type`, `aria-label`, `name`, ... */
  attributes: Record<string, string>;
}

const ATTRIBUTE_PREFIX = "attr__";

/** Splits at `separator` characters outside double-quoted runs; `\` escapes the next character in a run. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (inQuotes && char === "\\") {
      i += 1;
    } else if (char === '"') {
      inQuotes = !inQuotes;
    } else if (!inQuotes && char === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** `key="value"` pairs; stops at the first malformed spot and keeps what it read so far. */
function parseAttributes(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let i = 0;
  while (i < text.length) {
    const equalsAt = text.indexOf("=", i);
    if (equalsAt < 0 || text[equalsAt + 1] !== '"') break;
    const key = text.slice(i, equalsAt);
    let value = "";
    let j = equalsAt + 2;
    for (; j < text.length && text[j] !== '"'; j += 1) {
      const char = text[j];
      if (char === "\\" && j + 1 < text.length) {
        j += 1;
        value += text[j];
      } else {
        value += char;
      }
    }
    pairs.push([key, value]);
    i = j + 1;
  }
  return pairs;
}

// The attribute part starts at the first `:` followed by `key=` (classes may contain `:`).
const ATTRIBUTES_START = /:(?=[A-Za-z0-9_-]*=)/;

function parseElement(text: string): ChainElement | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const match = ATTRIBUTES_START.exec(trimmed);
  const head = match ? trimmed.slice(0, match.index) : trimmed.replace(/:$/, "");
  const [tag = "", ...classes] = head.split(".");
  const element: ChainElement = { tag: tag.toLowerCase(), classes: classes.filter(Boolean), attributes: {} };
  for (const [key, value] of match ? parseAttributes(trimmed.slice(match.index + 1)) : []) {
    if (key === "text") element.text = value;
    else if (key === "href") element.href = value;
    else if (key === "attr_id") element.id = value;
    else if (key === "nth-child" || key === "nth-of-type") continue;
    else if (key.startsWith(ATTRIBUTE_PREFIX)) element.attributes[key.slice(ATTRIBUTE_PREFIX.length)] = value;
    else element.attributes[key] = value;
  }
  element.href ??= element.attributes.href;
  element.id ??= element.attributes.id;
  return element;
}

export function parseElementsChain(chain: string): ChainElement[] {
  return splitOutsideQuotes(chain, ";").flatMap((part) => parseElement(part) ?? []);
}

function fromCapturedElement(captured: CapturedElement): ChainElement {
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(captured)) {
    if (key.startsWith(ATTRIBUTE_PREFIX) && typeof value === "string") attributes[key.slice(ATTRIBUTE_PREFIX.length)] = value;
  }
  return {
    tag: (captured.tag_name ?? "").toLowerCase(),
    classes: captured.classes ?? [],
    text: captured.$el_text,
    href: captured.attr__href,
    id: captured.attr__id,
    attributes,
  };
}

/** The event's element chain: `$elements` when present, else the parsed `$elements_chain`. */
export function elementsOf(properties: { $elements?: CapturedElement[]; $elements_chain?: string }): ChainElement[] {
  if (properties.$elements && properties.$elements.length > 0) return properties.$elements.map(fromCapturedElement);
  if (properties.$elements_chain) return parseElementsChain(properties.$elements_chain);
  return [];
}
