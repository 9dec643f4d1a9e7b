/** What keeps the issues page safe to open: its content security policy, and links that can only go to web pages. */

/** A scheme at the start of a URL (RFC 3986): what decides whether a browser treats it as absolute. */
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
/**
 * Browsers drop tabs and newlines inside URLs and trim spaces and control characters around them
 * (`java\tscript:` runs), and read `\` as `/` (`/\evil.example` leaves the site): a link holding any
 * of them is refused rather than cleaned, so what is checked is what the browser follows.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\u0000-\u0020\u007f-\u009f\\]/;
const MAX_HREF_LENGTH = 4_000;

/**
 * The link as given when a browser can only follow it to a web page: an absolute http(s) URL, or a
 * relative one on the same site (`/reports/r1#example-2-0`, `report.html#x`, `#x`, `?x`). Anything
 * else (`javascript:`, `data:`, `file:`, a protocol-relative `//host`, characters browsers rewrite)
 * gives undefined: the page then shows no link.
 */
export function safeHref(href: string | undefined): string | undefined {
  if (typeof href !== "string" || href.length === 0 || href.length > MAX_HREF_LENGTH) return undefined;
  if (UNSAFE_CHARACTERS.test(href)) return undefined;
  const scheme = SCHEME.exec(href)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (scheme !== "http" && scheme !== "https") return undefined;
    try {
      return new URL(href).hostname ? href : undefined;
    } catch {
      return undefined;
    }
  }
  // Protocol-relative: another host, with whatever scheme the page has (file:// when opened from disk).
  if (href.startsWith("//")) return undefined;
  return href;
}

/**
 * The policy is in the page itself so a written file carries it. Scripts and styles: only the
 * page's own (nonce), so no text in the page can add either, nor a style attribute. Nothing is
 * loaded or fetched: the page is complete as sent (its charts are inline SVG). Links still open.
 */
export function issuesPageContentSecurityPolicy(nonce: string): string {
  return ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, "img-src 'none'", "connect-src 'none'", "base-uri 'none'", "form-action 'none'"].join("; ");
}
