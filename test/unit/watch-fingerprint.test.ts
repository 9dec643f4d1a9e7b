import { describe, expect, it } from "vitest";
import type { PatternExample } from "../../src/domain/report.ts";
import type { KeyAction } from "../../src/domain/summary.ts";
import { fingerprintOf, fingerprintParts, jaccard, kindOfAction, parseFingerprint, sameStructure, similarPatterns, textTokens } from "../../src/watch/fingerprint.ts";
import { keyAction } from "../fixtures/key-action.ts";

function examples(...targets: Array<Partial<KeyAction> & { description: string }>): { examples: PatternExample[] } {
  return {
    examples: targets.map((target, i) => ({
      session_id: `s${i}`,
      session_start: "2026-11-01T10:00:00.000Z",
      session_duration_s: 60,
      segment_index: 0,
      segment_name: "x",
      segment_outcome: "x",
      segment_success: false,
      target: { ...keyAction(`0000000${i}`, target.description), ...target },
      before: [],
      after: [],
    })),
  };
}

describe("fingerprintParts", () => {
  it("templates the route: numbers, uuids and hashes become :id, the query and host are dropped", () => {
    const p = examples(
      {
        description: 'Clicking "Save" on /projects/:id threw TypeError: x is undefined',
        exception: "blocking",
        current_url: "https://a.test/projects/1047/tasks/3f2a9c1e-aaaa-4bbb-8ccc-123456789abc?tab=2",
      },
      {
        description: 'Clicking "Save" on /projects/:id threw TypeError: x is undefined',
        exception: "blocking",
        current_url: "http://127.0.0.1:4000/projects/88/tasks/9e107d9d372bb6826bd81d3542a419d6",
      },
    );
    expect(fingerprintParts(p)).toEqual({ kind: "error", route: "/projects/:id/tasks/:id", element: "", error: "typeerror: x is undefined" });
  });

  it("normalizes errors: numbers, ids, quoted values and URLs stripped, identifiers kept", () => {
    const a = fingerprintOf(
      examples({ description: 'Loading /orders threw ApiError: GET https://api.test/orders/9912 failed with 502 for "ACME Corp"', exception: "blocking", current_url: "https://a.test/orders" }),
    );
    const b = fingerprintOf(
      examples({ description: 'Loading /orders threw ApiError: GET https://api.test/orders/15 failed with 504 for "Other Ltd"', exception: "blocking", current_url: "https://a.test/orders?page=3" }),
    );
    expect(a).toBe(b);
    const other = fingerprintOf(
      examples({ description: "Loading /orders threw TypeError: Cannot read properties of undefined (reading 'total')", exception: "blocking", current_url: "https://a.test/orders" }),
    );
    expect(other).not.toBe(a);
    expect(parseFingerprint(other)?.error).toBe("typeerror: cannot read properties of undefined (reading 'total')");
  });

  it("derives the kind from the key actions' flags, the most common winning, the root cause on ties", () => {
    expect(kindOfAction(keyAction("00000001", 'Clicked "Zoom" on /p and nothing happened (dead click).', { confusion: true, event: "$dead_click" }))).toBe("dead_click");
    expect(kindOfAction(keyAction("00000001", 'Clicked "Zoom" on /p and nothing happened (dead click).', { confusion: true }))).toBe("dead_click");
    expect(kindOfAction(keyAction("00000001", 'Rage-clicked "Pay" on /checkout.', { confusion: true }))).toBe("confusion");
    expect(kindOfAction(keyAction("00000001", "Waited 12 s for /reports to load.", { slow: true }))).toBe("slow");
    expect(kindOfAction(keyAction("00000001", "Left /checkout.", { abandonment: true, exception: "blocking" }))).toBe("error");
    expect(kindOfAction(keyAction("00000001", "Left /checkout.", { abandonment: true }))).toBe("abandonment");
    expect(kindOfAction(keyAction("00000001", "Opened the menu."))).toBe("other");
    const mixed = examples(
      { description: "Left /cart without buying.", abandonment: true, current_url: "https://a.test/cart" },
      { description: "Left /cart without buying.", abandonment: true, current_url: "https://a.test/cart" },
      { description: "Waited 9 s for /cart to load.", slow: true, current_url: "https://a.test/cart" },
    );
    expect(fingerprintParts(mixed).kind).toBe("abandonment");
    expect(fingerprintParts({ examples: mixed.examples.slice(1) }).kind).toBe("slow");
  });

  it("names the element for confusion and dead clicks, normalized, and leaves it out of a slow page", () => {
    const zoom = fingerprintParts(
      examples({
        description: 'Clicked "⤢ Zoom" on /product/:slug and nothing happened (dead click).',
        confusion: true,
        event: "$dead_click",
        current_url: "https://a.test/product/oak-serving-board",
      }),
    );
    expect(zoom).toEqual({ kind: "dead_click", route: "/product/:slug", element: "zoom", error: "" });
    const slow = fingerprintParts(examples({ description: 'Waited 12 s for /reports to load after clicking "Reports".', slow: true, current_url: "https://a.test/home" }));
    expect(slow).toEqual({ kind: "slow", route: "/reports", element: "", error: "" });
  });

  it("is unaffected by example order and keeps the separator out of its parts", () => {
    const p = examples(
      { description: 'Tried "Apply" 4 times on /checkout; answered "coupon rejected" 4 times.', confusion: true, current_url: "https://a.test/checkout" },
      { description: 'Tried "Use code" 2 times on /checkout; answered "coupon rejected" twice.', confusion: true, current_url: "https://a.test/checkout" },
    );
    expect(fingerprintOf({ examples: [...p.examples].reverse() })).toBe(fingerprintOf(p));
    const piped = fingerprintOf(examples({ description: 'Clicked "A | B" on /x and nothing happened (dead click).', confusion: true, current_url: "https://a.test/x" }));
    expect(parseFingerprint(piped)).toBeDefined();
  });
});

describe("similarPatterns", () => {
  const checkout = (element: string) => `error | /checkout | ${element} | `;

  it("merges model-written patterns whose words mostly agree, on the same kind and route only", () => {
    const a = { fingerprint: checkout("place order"), name: "Place order button throws an error at checkout", description: "Users clicking Place order get an error and cannot finish checkout." };
    const b = { fingerprint: checkout("place the order"), name: "Checkout: the Place order button throws errors", description: "Clicking Place order shows an error; users cannot finish checkout." };
    expect(similarPatterns(a, b).similar).toBe(true);
    expect(similarPatterns(a, { ...b, fingerprint: "error | /cart | place order | " })).toEqual({ similar: false, score: 0 });
    expect(similarPatterns(a, { ...b, fingerprint: "confusion | /checkout | place order | " }).similar).toBe(false);
    const unrelated = { fingerprint: checkout("apply"), name: "Coupon field rejects valid codes", description: "Users enter a coupon and see it rejected repeatedly." };
    expect(similarPatterns(a, unrelated).similar).toBe(false);
    expect(similarPatterns(a, b, { threshold: 0.99 }).similar).toBe(false);
  });

  it("tokenizes without ids, numbers or URLs, and gives no similarity on no words", () => {
    expect([...textTokens("Users saw HTTP 500 on https://x.test/a/1 for order 3f2a9c1e-aaaa-4bbb-8ccc-123456789abc errors")].sort()).toEqual(["error", "http", "order", "saw"]);
    expect(jaccard(new Set(), new Set())).toBe(0);
    expect(sameStructure("error | /a |  | ", "error | /a | x | y")).toBe(true);
    expect(sameStructure("error | /a |  | ", "not a fingerprint")).toBe(false);
  });
});
