import { codePointLength, headOf, tailOf } from "./cells.ts";

export const SHORTENED_MARKER = "[...]";
// Below this many characters of query/fragment kept, a head+tail cut says nothing; cut the whole URL instead.
const MIN_KEPT_PART = 8;

interface UrlParts {
  /** Scheme, host and path (everything before `?` or `#`). */
  base: string;
  /** `?...` up to the fragment, or empty. */
  query: string;
  /** `#...`, or empty. */
  fragment: string;
}

function splitUrl(url: string): UrlParts {
  const hashAt = url.indexOf("#");
  const beforeHash = hashAt < 0 ? url : url.slice(0, hashAt);
  const fragment = hashAt < 0 ? "" : url.slice(hashAt);
  const queryAt = beforeHash.indexOf("?");
  if (queryAt < 0) return { base: beforeHash, query: "", fragment };
  return { base: beforeHash.slice(0, queryAt), query: beforeHash.slice(queryAt), fragment };
}

function cutMiddle(text: string, maxLength: number): string {
  const keep = maxLength - SHORTENED_MARKER.length;
  // Favour the head: it holds the scheme, host and the start of the path.
  const head = Math.ceil((keep * 2) / 3);
  return headOf(text, head) + SHORTENED_MARKER + tailOf(text, keep - head);
}

/**
 * `url` cut to at most `maxLength` characters. Scheme, host and path stay whole; the longer of
 * query and fragment keeps its head and tail around `[...]`. When even that cannot fit, the whole
 * URL keeps its head and tail. Works on relative URLs too.
 */
export function shortenUrl(url: string, maxLength: number): string {
  if (codePointLength(url) <= maxLength) return url;
  const { base, query, fragment } = splitUrl(url);
  const queryIsLonger = codePointLength(query) >= codePointLength(fragment);
  const longer = queryIsLonger ? query : fragment;
  const shorter = queryIsLonger ? fragment : query;
  const fixedLength = codePointLength(base) + codePointLength(shorter) + 1 + SHORTENED_MARKER.length;
  const budget = maxLength - fixedLength;
  if (longer === "" || budget < MIN_KEPT_PART) return cutMiddle(url, maxLength);
  const body = longer.slice(1);
  const head = Math.ceil(budget / 2);
  const shortened = longer.charAt(0) + headOf(body, head) + SHORTENED_MARKER + tailOf(body, budget - head);
  return queryIsLonger ? base + shortened + fragment : base + query + shortened;
}

/** Gives each distinct value a short alias (`url_1`, `url_2`, ...) in first-seen order. */
export class AliasTable {
  private readonly aliasByValue = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  aliasOf(value: string): string {
    let alias = this.aliasByValue.get(value);
    if (alias === undefined) {
      alias = `${this.prefix}_${this.aliasByValue.size + 1}`;
      this.aliasByValue.set(value, alias);
    }
    return alias;
  }

  get size(): number {
    return this.aliasByValue.size;
  }

  /** `[alias, value]` pairs in alias order. */
  entries(): Array<[string, string]> {
    return [...this.aliasByValue].map(([value, alias]) => [alias, value]);
  }
}
