/**
 * The bugs the demo shop can be told to have, one visit at a time, switched on as every demo app's
 * are (see `examples/common/issues.ts`).
 */
import { issueSwitches } from "../common/issues.ts";

export const SHOP_ISSUES = {
  /** Checkout: "Place order" throws `TypeError: ... (reading 'total')`; nothing happens. */
  "place-order-throws": "checkout",
  /** Product page: "Add to cart" throws `TypeError: ... (reading 'sku')`; nothing is added. */
  "add-to-cart-throws": "product",
  /** Every page: the chat widget's boot rejects with an unhandled TypeError; the widget still shows. */
  "chat-widget-crash": "every page",
  /** Every page: the currency switcher throws on load; prices stay in dollars, nobody notices. */
  "currency-widget-crash": "every page",
  /** Search: `GET /api/search` answers 500; an error banner with "Try again" replaces the results. */
  "search-500": "search",
  /** Cart: changing a quantity answers 500; a banner says the cart could not be updated. */
  "cart-update-500": "cart",
  /** Product page: `GET /api/recommendations` answers 503; "You may also like" quietly stays hidden. */
  "recommendations-503": "product",
  /** After "Add to cart": the background `POST /api/cart/sync` answers 500; nothing shows. */
  "cart-sync-500": "product",
  /** Checkout: every coupon code is refused with a vague "Invalid code". */
  "coupon-rejected": "checkout",
  /** Sign-in: correct details are refused with "Something went wrong. Please check your details." */
  "sign-in-vague-error": "sign-in",
  /** Checkout: a required phone field sits far below the fold; the error shows at the top only. */
  "checkout-hidden-required": "checkout",
  /** Header: the "Free shipping over $50 ›" pill looks like a button and does nothing. */
  "promo-pill-dead": "every page",
  /** Product page: the "Zoom" badge on the picture looks like a button and does nothing. */
  "zoom-dead": "product",
  /** Cart: "Estimate shipping ›" looks like a button and does nothing. */
  "shipping-estimate-dead": "cart",
  /** Catalogue: products take ~14 s to load behind a spinner. */
  "catalogue-slow": "catalogue",
  /** Search: results take ~12 s behind a spinner. */
  "search-slow": "search",
  /** Order confirmation: the order details take ~12 s behind a spinner. */
  "confirmation-slow": "confirmation",
} as const;

export type ShopIssue = keyof typeof SHOP_ISSUES;

export const ISSUES_COOKIE = "fh_issues";

/** How long the slow issues keep the spinner up, in ms. */
export const SLOW_RESPONSE_MS = {
  "catalogue-slow": 14_000,
  "search-slow": 12_000,
  "confirmation-slow": 12_000,
} as const satisfies Partial<Record<ShopIssue, number>>;

export const { parseIssues } = issueSwitches<ShopIssue>(SHOP_ISSUES);
