import type { AnalyticsEvent, CapturedElement } from "../../src/domain/events.ts";
import { mulberry32 } from "../fixtures/prng.ts";

/**
 * posthog-js-shaped events for encoder tests and the encode benchmark's generated dataset. They
 * carry the many properties the real SDK attaches to every event, so token ratios measured on them
 * are meaningful.
 */

export interface FixtureSession {
  sessionId: string;
  windowId: string;
  distinctId: string;
  startMs: number;
  /** Advances for every event, so uuids and insert ids are unique and deterministic. */
  counter: { next: number };
}

export function fixtureSession(overrides: Partial<Omit<FixtureSession, "counter">> = {}): FixtureSession {
  return {
    sessionId: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    windowId: "0193a1b2-c3d4-7e5f-8a9b-aaaaaaaaaaaa",
    distinctId: "0193a1b2-0000-7000-8000-d15711c71d00",
    startMs: Date.parse("2025-03-14T09:26:53.000Z"),
    counter: { next: 0 },
    ...overrides,
  };
}

function hex(value: number, width: number): string {
  return (value >>> 0).toString(16).padStart(width, "0").slice(-width);
}

function nextUuid(session: FixtureSession): string {
  const n = session.counter.next++;
  return `0193a1b2-${hex(n >>> 16, 4)}-7${hex(n, 3)}-8${hex(n * 7919, 3)}-${hex(n * 104729, 8)}${hex(n, 4)}`;
}

/** One element of an autocapture chain, innermost first. */
export interface FixtureElement {
  tag: string;
  classes?: string[];
  text?: string;
  href?: string;
  id?: string;
  nthChild?: number;
  nthOfType?: number;
  /** DOM attributes by name (`type`, `aria-label`, `data-testid`). */
  attributes?: Record<string, string>;
}

const escapeQuotes = (value: string) => value.replace(/"/g, '\\"');

/** `$elements_chain` exactly as PostHog serializes it: sorted classes, sorted keys, escaped quotes. */
export function elementsChain(elements: readonly FixtureElement[]): string {
  return elements
    .map((element) => {
      const classes = [...(element.classes ?? [])]
        .sort()
        .map((name) => `.${name.replace(/"/g, "")}`)
        .join("");
      const attributes: Record<string, string> = {
        ...(element.text ? { text: element.text } : {}),
        "nth-child": String(element.nthChild ?? 1),
        "nth-of-type": String(element.nthOfType ?? 1),
        ...(element.href ? { href: element.href } : {}),
        ...(element.id ? { attr_id: element.id } : {}),
        ...Object.fromEntries(Object.entries(element.attributes ?? {}).map(([key, value]) => [`attr__${key}`, value])),
        ...(element.classes?.length ? { attr__class: element.classes.join(" ") } : {}),
      };
      const serialized = Object.keys(attributes)
        .sort()
        .map((key) => `${escapeQuotes(key)}="${escapeQuotes(attributes[key] ?? "")}"`)
        .join("");
      return `${element.tag}${classes}:${serialized}`;
    })
    .join(";");
}

/** `$elements` as posthog-js sends it alongside (or instead of) the chain. */
export function capturedElements(elements: readonly FixtureElement[]): CapturedElement[] {
  return elements.map((element) => ({
    tag_name: element.tag,
    ...(element.text ? { $el_text: element.text } : {}),
    ...(element.classes?.length ? { classes: element.classes, attr__class: element.classes.join(" ") } : {}),
    ...(element.href ? { attr__href: element.href } : {}),
    ...(element.id ? { attr__id: element.id } : {}),
    ...Object.fromEntries(Object.entries(element.attributes ?? {}).map(([key, value]) => [`attr__${key}`, value])),
    nth_child: element.nthChild ?? 1,
    nth_of_type: element.nthOfType ?? 1,
  }));
}

/** A posthog-js event at `atMs` after the session start on `url`, with the SDK's usual properties. */
export function posthogEvent(session: FixtureSession, event: string, atMs: number, url: string, properties: Record<string, unknown> = {}): AnalyticsEvent {
  const timestampMs = session.startMs + atMs;
  const parsed = new URL(url);
  const uuid = nextUuid(session);
  return {
    uuid,
    event,
    timestamp: new Date(timestampMs).toISOString(),
    distinct_id: session.distinctId,
    properties: {
      $os: "Mac OS X",
      $os_version: "10.15.7",
      $browser: "Chrome",
      $browser_version: 131,
      $device_type: "Desktop",
      $timezone: "Europe/Berlin",
      $browser_language: "en-US",
      $raw_user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
      $current_url: url,
      $host: parsed.host,
      $pathname: parsed.pathname,
      $screen_height: 1117,
      $screen_width: 1728,
      $viewport_height: 959,
      $viewport_width: 1728,
      $lib: "web",
      $lib_version: "1.194.2",
      $insert_id: hex(session.counter.next * 2654435761, 8) + hex(atMs, 8),
      $time: timestampMs / 1000,
      distinct_id: session.distinctId,
      $device_id: session.distinctId,
      $is_identified: false,
      $process_person_profile: true,
      $initial_referrer: "https://www.google.com/",
      $initial_referring_domain: "www.google.com",
      $referrer: "$direct",
      $referring_domain: "$direct",
      $session_id: session.sessionId,
      $window_id: session.windowId,
      $pageview_id: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f0001",
      $session_entry_url: "https://shop.example.com/",
      $configured_session_timeout_ms: 1_800_000,
      $active_feature_flags: ["new-checkout", "search-v2"],
      "$feature/new-checkout": true,
      "$feature/search-v2": "variant-b",
      $sdk_debug_replay_internal_buffer_length: 0,
      token: "phc_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
      $sent_at: new Date(timestampMs + 1_500).toISOString(),
      ...properties,
    },
  };
}

export const fx = {
  pageview: (s: FixtureSession, atMs: number, url: string) => posthogEvent(s, "$pageview", atMs, url, { title: "Shop" }),
  pageleave: (s: FixtureSession, atMs: number, url: string) => posthogEvent(s, "$pageleave", atMs, url, { $prev_pageview_duration: 42.3, $prev_pageview_max_scroll_percentage: 0.8 }),
  /** An autocapture with both `$elements_chain` and `$elements`, as recent posthog-js sends. */
  autocapture: (s: FixtureSession, atMs: number, url: string, elements: FixtureElement[], eventType = "click") =>
    posthogEvent(s, "$autocapture", atMs, url, {
      $event_type: eventType,
      $ce_version: 1,
      $elements_chain: elementsChain(elements),
      $elements: capturedElements(elements),
    }),
  /** An autocapture with only the chain string (what PostHog's query API returns). */
  autocaptureChainOnly: (s: FixtureSession, atMs: number, url: string, elements: FixtureElement[], eventType = "click") =>
    posthogEvent(s, "$autocapture", atMs, url, { $event_type: eventType, $elements_chain: elementsChain(elements) }),
  rageclick: (s: FixtureSession, atMs: number, url: string, elements: FixtureElement[]) =>
    posthogEvent(s, "$rageclick", atMs, url, { $elements_chain: elementsChain(elements), $elements: capturedElements(elements) }),
  deadClick: (s: FixtureSession, atMs: number, url: string, elements: FixtureElement[]) =>
    posthogEvent(s, "$dead_click", atMs, url, {
      $elements_chain: elementsChain(elements),
      $dead_click_scroll_timeout: false,
      $dead_click_mutation_timeout: true,
    }),
  exception: (s: FixtureSession, atMs: number, url: string, error: { type: string; value: string; functions?: string[]; files?: string[]; handled?: boolean; fingerprint?: string }) =>
    posthogEvent(s, "$exception", atMs, url, {
      $exception_list: [
        {
          type: error.type,
          value: error.value,
          mechanism: { handled: error.handled ?? false, type: "onerror", synthetic: false },
          stacktrace: {
            type: "raw",
            frames: (error.functions ?? ["r", "Object.n"]).map((name, i) => ({
              function: name,
              filename: error.files?.[i] ?? "https://shop.example.com/_next/static/chunks/main-3f2a1b.js",
              lineno: 1,
              colno: 1000 + i * 37,
              in_app: true,
              platform: "web:javascript",
            })),
          },
        },
      ],
      $exception_level: "error",
      $exception_personURL: "https://us.posthog.com/project/1/person/x",
      ...(error.fingerprint ? { $exception_fingerprint: error.fingerprint } : {}),
    }),
  featureFlagCalled: (s: FixtureSession, atMs: number, url: string, flag: string) => posthogEvent(s, "$feature_flag_called", atMs, url, { $feature_flag: flag, $feature_flag_response: true }),
  webVitals: (s: FixtureSession, atMs: number, url: string) => posthogEvent(s, "$web_vitals", atMs, url, { $web_vitals_LCP_value: 1834.2, $web_vitals_CLS_value: 0.02 }),
  heatmap: (s: FixtureSession, atMs: number, url: string) => posthogEvent(s, "$$heatmap", atMs, url, { $heatmap_data: { [url]: [{ x: 512, y: 300, target_fixed: false, type: "click" }] } }),
  custom: (s: FixtureSession, atMs: number, url: string, name: string, properties: Record<string, unknown> = {}) => posthogEvent(s, name, atMs, url, properties),
};

const SHOP = "https://shop.example.com";
const nav = (text: string, href: string): FixtureElement[] => [
  { tag: "a", classes: ["nav-link"], text, href },
  { tag: "li", classes: ["nav-item"] },
  { tag: "ul", classes: ["navbar-nav"] },
  { tag: "nav", classes: ["navbar"], attributes: { "aria-label": "Main" } },
  { tag: "body" },
];
const button = (text: string, extra: Partial<FixtureElement> = {}): FixtureElement[] => [
  { tag: "button", classes: ["btn", "btn-primary"], text, attributes: { type: "submit" }, ...extra },
  { tag: "div", classes: ["actions", "flex", "md:justify-end", "hover:bg-gray-50"] },
  { tag: "form", id: "checkout-form", attributes: { method: "post" } },
  { tag: "main" },
  { tag: "body" },
];

/**
 * A 3-minute checkout session with what real sessions have: flag calls and web vitals (noise),
 * clicks with element context, a form, a hydration error (noise), a failing payment request
 * (network exception), a rage click, a double-sent autocapture, and a page leave.
 */
export function checkoutSession(session: FixtureSession = fixtureSession()): AnalyticsEvent[] {
  const cart = `${SHOP}/cart`;
  const checkout = `${SHOP}/checkout?step=payment&utm_source=newsletter&utm_campaign=spring_sale_2025`;
  const product = `${SHOP}/products/trail-runner-2?color=blue`;
  const emailInput: FixtureElement[] = [
    { tag: "input", classes: ["form-control"], id: "email", attributes: { type: "email", name: "email" } },
    { tag: "label", text: "Email address" },
    { tag: "form", id: "checkout-form" },
  ];
  const placeOrder = button("Place order");
  const doubleSent = fx.autocapture(session, 71_000, cart, button("Checkout"));
  return [
    fx.pageview(session, 0, `${SHOP}/`),
    fx.featureFlagCalled(session, 200, `${SHOP}/`, "new-checkout"),
    fx.webVitals(session, 3_000, `${SHOP}/`),
    fx.autocapture(session, 9_000, `${SHOP}/`, nav("Running shoes", "/collections/running")),
    fx.pageview(session, 9_400, `${SHOP}/collections/running`),
    fx.featureFlagCalled(session, 9_500, `${SHOP}/collections/running`, "search-v2"),
    fx.heatmap(session, 12_000, `${SHOP}/collections/running`),
    fx.autocaptureChainOnly(session, 20_000, `${SHOP}/collections/running`, [
      { tag: "img", attributes: { alt: "Trail Runner 2" } },
      { tag: "a", classes: ["product-card"], href: "/products/trail-runner-2", text: "Trail Runner 2 — €129.00" },
    ]),
    fx.pageview(session, 20_300, product),
    fx.exception(session, 21_000, product, {
      type: "Error",
      value: "Minified React error #418; visit https://react.dev/errors/418?args[]=text for the full message",
      functions: ["hydrateRoot", "renderRootSync"],
    }),
    fx.autocapture(session, 35_000, product, [{ tag: "button", classes: ["add-to-cart"], text: "Add to cart", attributes: { type: "button", "data-testid": "add" } }]),
    fx.custom(session, 35_200, product, "product added", { product_id: "SKU-4711", price: 129.0, currency: "EUR" }),
    fx.custom(session, 36_000, product, "heartbeat"),
    fx.autocapture(session, 60_000, product, [{ tag: "svg" }, { tag: "a", classes: ["cart-icon"], href: "/cart", attributes: { "aria-label": "Open cart" } }]),
    fx.pageview(session, 60_400, cart),
    doubleSent,
    { ...doubleSent, uuid: nextUuid(session) },
    fx.pageview(session, 72_000, checkout),
    fx.autocapture(session, 80_000, checkout, emailInput),
    fx.autocapture(session, 88_000, checkout, emailInput, "change"),
    fx.autocapture(session, 95_000, checkout, placeOrder, "submit"),
    fx.exception(session, 95_600, checkout, {
      type: "TypeError",
      value: "Failed to fetch",
      functions: ["submitPayment", "window.fetch"],
      files: ["https://shop.example.com/_next/static/chunks/pages/checkout-9a8b7c.js"],
    }),
    fx.autocapture(session, 98_000, checkout, placeOrder),
    fx.rageclick(session, 98_900, checkout, placeOrder),
    fx.exception(session, 99_000, checkout, {
      type: "Error",
      value: "ResizeObserver loop completed with undelivered notifications.",
      functions: ["ResizeObserver.callback"],
    }),
    fx.custom(session, 120_000, checkout, "client_request_failure", { status: 502, path: "/api/payments" }),
    fx.deadClick(session, 140_000, checkout, [
      { tag: "span", text: "Need help?" },
      { tag: "div", classes: ["help"] },
    ]),
    fx.pageleave(session, 175_000, checkout),
    fx.webVitals(session, 176_000, checkout),
    fx.pageleave(session, 180_000, checkout),
  ];
}

/** A deterministic pseudo-random generator in [0, 1), so generated sessions are reproducible. */
function random(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4_294_967_296;
}

/**
 * A long browsing session of about `eventCount` events with the mix real traffic has (autocapture
 * and flag calls dominate), for token-ratio measurements.
 */
export function generatedSession(seed: number, eventCount: number, session: FixtureSession = fixtureSession()): AnalyticsEvent[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const pages = ["/", "/collections/running", "/collections/hiking", "/products/trail-runner-2", "/cart", "/account/orders", "/search?q=waterproof+jacket&sort=price_asc"];
  const labels = ["Add to cart", "Size 42", "Next", "Filter", "Sort by price", "Reviews (128)", "Close", "Apply coupon", "Continue"];
  const events: AnalyticsEvent[] = [];
  let atMs = 0;
  let url = `${SHOP}/`;
  while (events.length < eventCount) {
    atMs += Math.floor(500 + next() * 6_000);
    const roll = next();
    if (roll < 0.12) {
      url = SHOP + pick(pages);
      events.push(fx.pageview(session, atMs, url));
    } else if (roll < 0.55) {
      const label = pick(labels);
      events.push(fx.autocapture(session, atMs, url, button(label), next() < 0.1 ? "submit" : "click"));
    } else if (roll < 0.62) {
      events.push(fx.autocapture(session, atMs, url, nav(pick(["Running", "Hiking", "Sale", "Account"]), pick(pages))));
    } else if (roll < 0.78) {
      events.push(fx.featureFlagCalled(session, atMs, url, pick(["new-checkout", "search-v2", "promo-banner"])));
    } else if (roll < 0.83) {
      events.push(fx.webVitals(session, atMs, url));
    } else if (roll < 0.88) {
      events.push(fx.heatmap(session, atMs, url));
    } else if (roll < 0.92) {
      events.push(fx.custom(session, atMs, url, pick(["product viewed", "search performed", "filter applied"]), { query: "jacket" }));
    } else if (roll < 0.95) {
      events.push(fx.exception(session, atMs, url, { type: "Error", value: "ResizeObserver loop limit exceeded" }));
    } else if (roll < 0.97) {
      events.push(fx.exception(session, atMs, url, { type: "TypeError", value: "Failed to fetch", functions: ["loadRecommendations"] }));
    } else {
      events.push(fx.rageclick(session, atMs, url, button(pick(labels))));
    }
  }
  return events;
}
