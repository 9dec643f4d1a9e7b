/** What keeps the report page safe to open: its content security policy, and JSON that no text can break out of. */

/**
 * JSON for a `<script type="application/json">` block: `<` escaped so no text in it can close the
 * element or open a comment; U+2028/2029 escaped so the text is also a valid JS literal.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * The policy is in the page itself so the written file carries it. Scripts: only this page's own
 * (nonce). Styles: inline allowed because the replay rebuilds the recorded page's inline styles in
 * an iframe that inherits this policy; with nothing loadable from outside, styles cannot leak data.
 * Nothing is fetched from anywhere but, when served, this origin (the chat API).
 */
export function contentSecurityPolicy(nonce: string, served: boolean): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    "style-src 'unsafe-inline'",
    "img-src data: blob:",
    "media-src data: blob:",
    "font-src data:",
    `connect-src ${served ? "'self'" : "'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

/**
 * `events_json` is written by `jsonForScript`; data made elsewhere gets the same escaping here, so
 * no text can close the block whatever its origin (a scan, no copy, when there is nothing to do).
 */
export function scriptSafeJson(json: string): string {
  return /[<\u2028\u2029]/.test(json)
    ? json
        .replace(/</g, "\\u003c")
        .replace(/\u2028/g, "\\u2028")
        .replace(/\u2029/g, "\\u2029")
    : json;
}
