/**
 * PII and secret redaction, applied to every cell and URL before it is hashed or emitted.
 *
 * Patterns lean towards precision: an order id, a price, a timestamp or an ISO date must survive,
 * because losing them hurts the analysis and they identify nobody. Known misses, accepted: phone
 * numbers written as a bare digit run without `+` (indistinguishable from ids), and a Luhn-valid
 * 13–19 digit id with a card-like prefix is taken for a card.
 */

export type RedactionKind = "url_secret" | "token" | "email" | "card" | "phone";

export class RedactionCounter {
  total = 0;
  readonly byKind: Record<RedactionKind, number> = { url_secret: 0, token: 0, email: 0, card: 0, phone: 0 };

  add(kind: RedactionKind): void {
    this.total += 1;
    this.byKind[kind] += 1;
  }
}

export const REDACTED_VALUE = "[redacted]";

/** Query/fragment parameters whose value is a credential. Names are compared lowercased, without `-`/`_`. */
const SECRET_PARAM_NAMES = new Set([
  "token",
  "accesstoken",
  "idtoken",
  "refreshtoken",
  "apikey",
  "key",
  "secret",
  "clientsecret",
  "password",
  "passwd",
  "pwd",
  "pass",
  "auth",
  "authorization",
  "code",
  "authcode",
  "verificationcode",
  "session",
  "sessionid",
  "sid",
  "sig",
  "signature",
  "jwt",
  "otp",
  "ticket",
  "credential",
]);
const SECRET_PARAM_SUFFIXES = ["token", "secret", "password", "signature", "apikey", "accesskey", "secretkey", "sessionid", "credential", "jwt"];

export function isSecretParamName(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // A malformed escape: judge the name as written.
  }
  const normalized = decoded.toLowerCase().replace(/[^a-z0-9]/g, "");
  return SECRET_PARAM_NAMES.has(normalized) || SECRET_PARAM_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

// `?name=value`, `&name=value`, `#name=value` (OAuth implicit flow), `;name=value` (jsessionid).
// A value ends at the next separator, so `?next=/a?token=x` exposes `token` as a parameter of its own.
const URL_PARAM = /([?&#;])([^=&#?;\s"'<>]+)=([^&#?;\s"'<>]*)/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const AUTH_HEADER_VALUE = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]{12,}=*/gi;
const EMAIL = /[A-Za-z0-9._%+'-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.([A-Za-z]{2,})\b/g;
// Asset names like `logo@2x.png` look like emails.
const FILE_EXTENSIONS = new Set(["png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "js", "mjs", "css", "map", "json"]);
// `+` starts a phone number, however Luhn-valid its digits happen to be.
const CARD_CANDIDATE = /(?<![\dA-Za-z+])(?:\d[ -]?){12,18}\d(?![\dA-Za-z])/g;
// Visa, Mastercard (51–55, 2221–2720), Amex, Diners, JCB, Discover/UnionPay. Rules out epoch-ms timestamps (1…).
const CARD_PREFIX = /^(?:4|5[1-5]|2[2-7]|3[0478]|35|6)/;
// `+` and a country code, then digit groups; or North-American `(415) 555-2671` / `415-555-2671`;
// or a national number with a trunk 0 and separators (`020 7946 0958`). A bare digit run is never a phone.
const INTERNATIONAL_PHONE = /(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}(?![\w])/g;
const NANP_PHONE = /(?<![\w-])(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])/g;
const TRUNK_PHONE = /(?<![\w-])0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}(?![\w-])/g;

function digitCount(text: string): number {
  return text.replace(/\D/g, "").length;
}

export function isLuhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * `text` with secrets in URL parameters, JWTs and auth header values, emails, card numbers and
 * phone numbers replaced by placeholders; each replacement is counted in `counter`.
 */
export function redactPii(text: string, counter: RedactionCounter = new RedactionCounter()): string {
  return [redactUrlSecrets, redactTokens, redactEmails, redactCards, redactPhones].reduce((current, redact) => redact(current, counter), text);
}

// Provider API keys by their documented prefixes (Stripe, OpenAI, GitHub, Slack, AWS, Google): a key pasted into a page or a URL path.
const PROVIDER_KEY = /\b(?:(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{8,}|sk-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,})/g;

/**
 * `redactPii` plus provider API keys found anywhere in the text: what goes into the report files and
 * API answers. Prompts keep `redactPii` alone (their encoding is pinned by tests and caches).
 */
export function redactOutputText(text: string, counter: RedactionCounter = new RedactionCounter()): string {
  return redactPii(text, counter).replace(PROVIDER_KEY, () => {
    counter.add("token");
    return "[token]";
  });
}

function redactUrlSecrets(text: string, counter: RedactionCounter): string {
  if (!text.includes("=")) return text;
  return text.replace(URL_PARAM, (match, separator: string, name: string, value: string) => {
    if (value === "" || value === REDACTED_VALUE || !isSecretParamName(name)) return match;
    counter.add("url_secret");
    return `${separator}${name}=${REDACTED_VALUE}`;
  });
}

function redactTokens(text: string, counter: RedactionCounter): string {
  const withoutJwts = text.replace(JWT, () => {
    counter.add("token");
    return "[token]";
  });
  return withoutJwts.replace(AUTH_HEADER_VALUE, (_match, scheme: string) => {
    counter.add("token");
    return `${scheme} [token]`;
  });
}

function redactEmails(text: string, counter: RedactionCounter): string {
  if (!text.includes("@") && !text.includes("%40")) return text;
  return text.replace(EMAIL, (match, topLevelDomain: string) => {
    if (FILE_EXTENSIONS.has(topLevelDomain.toLowerCase())) return match;
    counter.add("email");
    return "[email]";
  });
}

function redactCards(text: string, counter: RedactionCounter): string {
  return text.replace(CARD_CANDIDATE, (match) => {
    const digits = match.replace(/\D/g, "");
    if (digits.length < 13 || digits.length > 19 || !CARD_PREFIX.test(digits) || !isLuhnValid(digits)) return match;
    counter.add("card");
    return "[card]";
  });
}

function redactPhones(text: string, counter: RedactionCounter): string {
  const replace = (minDigits: number, maxDigits: number) => (match: string) => {
    const digits = digitCount(match);
    if (digits < minDigits || digits > maxDigits) return match;
    counter.add("phone");
    return "[phone]";
  };
  return text.replace(INTERNATIONAL_PHONE, replace(9, 15)).replace(NANP_PHONE, replace(10, 10)).replace(TRUNK_PHONE, replace(10, 11));
}
