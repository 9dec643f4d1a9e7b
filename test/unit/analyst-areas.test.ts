import { describe, expect, it } from "vitest";
import { OFFLINE_ANALYST_DEFAULTS, classifyCustomEvent, normalizeErrorText, normalizePath, pageAreaOf, resolveAnalystOptions } from "../../src/analysts/index.ts";

describe("page areas", () => {
  it.each([
    ["https://shop.example.com/", "/", "home"],
    ["https://shop.example.com/?category=Kitchen", "/", "catalogue"],
    ["https://shop.example.com/search?q=wool+blanket", "/search", "search"],
    ["https://shop.example.com/product/oak-serving-board", "/product/:slug", "product"],
    ["https://shop.example.com/products/12345?variant=2", "/products/:id", "product"],
    ["https://shop.example.com/cart", "/cart", "cart"],
    ["https://shop.example.com/checkout", "/checkout", "checkout"],
    ["https://shop.example.com/checkout/confirmation?order=NW-58213", "/checkout/confirmation", "confirmation"],
    ["https://shop.example.com/sign-in?next=/checkout", "/sign-in", "sign-in"],
    ["https://app.example.com/Users/3f9a1c2e-1b2c-4d5e-8f90-1234567890ab/Settings/", "/users/:id/settings", "other"],
    ["https://shop.example.com/orders/NW-58213", "/orders/:id", "other"],
    ["/help/shipping", "/help/shipping", "other"],
    [undefined, "(unknown page)", "other"],
  ])("%s → %s (%s)", (url, area, phase) => {
    expect(pageAreaOf(url)).toMatchObject({ area, phase });
  });

  it("keeps the exact path beside the normalized one", () => {
    expect(normalizePath("/Product/Oak-Serving-Board/")).toEqual({ path: "/product/oak-serving-board", area: "/product/:slug" });
  });
});

describe("custom events", () => {
  it.each([
    ["order completed", {}, "conversion"],
    ["Order Completed", { revenue: 92 }, "conversion"],
    ["purchase", {}, "conversion"],
    ["signup_completed", {}, "conversion"],
    ["added to cart", { quantity: 1 }, "step"],
    ["checkoutStarted", {}, "step"],
    ["checkout step completed", { step: 2 }, "step"],
    ["coupon applied", {}, "step"],
    ["coupon rejected", { status: 422 }, "failure"],
    ["sign in failed", { status: 400 }, "failure"],
    ["products searched", { query: "x", results: 0, error: true }, "failure"],
    ["checkout validation failed", { missing: 1 }, "failure"],
    ["client_request_failure", { status: 503, path: "/api/cart" }, "server_error"],
    ["api error", {}, "server_error"],
    ["product viewed", {}, "neutral"],
    ["page engaged", { seconds: 15 }, "neutral"],
    ["scroll depth", { depth: 50 }, "neutral"],
  ] as const)("%s %j → %s", (name, props, expected) => {
    expect(classifyCustomEvent(name, props)).toBe(expected);
  });
});

describe("error fingerprints", () => {
  it("normalize numbers, ids, quoted values, emails and URL hosts", () => {
    // Quoted identifiers name code and stay: these are two different bugs.
    expect(normalizeErrorText("Cannot read properties of undefined (reading 'total')")).not.toBe(normalizeErrorText("Cannot read properties of undefined (reading 'sku')"));
    expect(normalizeErrorText('Invalid coupon "WELCOME 10"')).toBe(normalizeErrorText('Invalid coupon "welcome-2024"'));
    const a = normalizeErrorText("ApiError: POST https://shop.example.com/api/orders/NW-58213 failed with 500 (request 8f3a9c21, user 'jo@example.com')");
    const b = normalizeErrorText("ApiError: POST https://eu.shop.example.com/api/orders/NW-1 failed with 503 (request 0b1c2d3e4f, user 'ann.lee@example.org')");
    expect(a).toBe(b);
    expect(a).toBe("apierror: post /api/orders/nw-<n> failed with <n> (request <id>, user '?')");
  });
});

describe("options", () => {
  it("merge overrides over the defaults, group by group", () => {
    const options = resolveAnalystOptions({ exceptions: { consequenceWindowMs: 9_000 } });
    expect(options.exceptions.consequenceWindowMs).toBe(9_000);
    expect(options.exceptions.userTriggerWindowMs).toBe(OFFLINE_ANALYST_DEFAULTS.exceptions.userTriggerWindowMs);
    expect(options.segments).toEqual(OFFLINE_ANALYST_DEFAULTS.segments);
  });
});
