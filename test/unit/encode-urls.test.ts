import { describe, expect, it } from "vitest";
import { AliasTable, SHORTENED_MARKER, shortenUrl } from "../../src/encode/urls.ts";

describe("shortenUrl", () => {
  it("leaves URLs within the limit untouched", () => {
    const url = "https://shop.example.com/cart?step=2";
    expect(shortenUrl(url, 256)).toBe(url);
  });

  it("keeps scheme, host and path whole and the head and tail of a long query", () => {
    const base = "https://shop.example.com/checkout/payment";
    const query = `?utm_source=newsletter&${"x".repeat(400)}&ref=END`;
    const shortened = shortenUrl(base + query, 120);
    expect(shortened.length).toBeLessThanOrEqual(120);
    expect(shortened.startsWith(`${base}?utm_source=`)).toBe(true);
    expect(shortened.endsWith("&ref=END")).toBe(true);
    expect(shortened).toContain(SHORTENED_MARKER);
  });

  it("cuts the fragment when it is the longer part and keeps the query", () => {
    const url = `https://app.example.com/#/reports?filters=${"a".repeat(300)}ZZ`;
    const withQuery = `https://app.example.com/p?tab=1#${"b".repeat(300)}YY`;
    expect(shortenUrl(url, 100).length).toBeLessThanOrEqual(100);
    const shortened = shortenUrl(withQuery, 100);
    expect(shortened.startsWith("https://app.example.com/p?tab=1#bbb")).toBe(true);
    expect(shortened.endsWith("YY")).toBe(true);
    expect(shortened.length).toBeLessThanOrEqual(100);
  });

  it("cuts the middle of the whole URL when the path alone is too long", () => {
    const url = `https://example.com/${"segment/".repeat(60)}end?q=1`;
    const shortened = shortenUrl(url, 80);
    expect(shortened.length).toBeLessThanOrEqual(80);
    expect(shortened.startsWith("https://example.com/segment/")).toBe(true);
    expect(shortened.endsWith("end?q=1")).toBe(true);
  });

  it("works on relative URLs and never splits a surrogate pair", () => {
    const url = `/search?q=${"😀".repeat(100)}`;
    const shortened = shortenUrl(url, 40);
    expect(Array.from(shortened).length).toBeLessThanOrEqual(40);
    expect(shortened.startsWith("/search?q=😀")).toBe(true);
    expect(shortened).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe("AliasTable", () => {
  it("aliases values in first-seen order and reuses aliases", () => {
    const table = new AliasTable("url");
    expect(table.aliasOf("https://a.test/")).toBe("url_1");
    expect(table.aliasOf("https://b.test/")).toBe("url_2");
    expect(table.aliasOf("https://a.test/")).toBe("url_1");
    expect(table.entries()).toEqual([
      ["url_1", "https://a.test/"],
      ["url_2", "https://b.test/"],
    ]);
  });
});
