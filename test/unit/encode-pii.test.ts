import { describe, expect, it } from "vitest";
import { isLuhnValid, isSecretParamName, RedactionCounter, redactPii } from "../../src/encode/pii.ts";

function redacted(text: string): { text: string; counter: RedactionCounter } {
  const counter = new RedactionCounter();
  return { text: redactPii(text, counter), counter };
}

describe("redactPii: emails", () => {
  it.each([
    ["Signed in as jane.doe+shop@example.co.uk", "Signed in as [email]"],
    ["/account?email=jane.doe%40example.com&tab=1", "/account?email=[email]&tab=1"],
    ["Contact: SUPPORT@Example.COM.", "Contact: [email]."],
    ["Welcome back, o'brien@example.com", "Welcome back, [email]"],
  ])("redacts %s", (input, expected) => {
    expect(redacted(input).text).toBe(expected);
  });

  it("leaves retina asset names alone", () => {
    expect(redacted("https://cdn.example.com/logo@2x.png").text).toBe("https://cdn.example.com/logo@2x.png");
  });
});

describe("redactPii: card numbers", () => {
  it.each(["4111 1111 1111 1111", "4111-1111-1111-1111", "5555555555554444", "3782 822463 10005"])("redacts Luhn-valid %s", (card) => {
    expect(redacted(`Card: ${card} (exp 12/27)`).text).toBe("Card: [card] (exp 12/27)");
  });

  it("keeps digit runs that are not cards", () => {
    for (const text of [
      "4111 1111 1111 1112", // fails Luhn
      "1732233445123", // epoch milliseconds
      "order 100234567890123", // no card prefix
    ]) {
      expect(redacted(text).text).toBe(text);
    }
  });

  it("implements Luhn", () => {
    expect(isLuhnValid("79927398713")).toBe(true);
    expect(isLuhnValid("79927398710")).toBe(false);
  });
});

describe("redactPii: phone numbers", () => {
  it.each([
    ["Call +1 (415) 555-2671 now", "Call [phone] now"],
    ["Tel: +44 20 7946 0958", "Tel: [phone]"],
    ["WhatsApp +4915112345678", "WhatsApp [phone]"],
    ["(415) 555-2671", "[phone]"],
    ["415-555-2671", "[phone]"],
    ["415.555.2671", "[phone]"],
    ["Ring 020 7946 0958 today", "Ring [phone] today"],
  ])("redacts %s", (input, expected) => {
    expect(redacted(input).text).toBe(expected);
  });

  it("keeps dates, times, prices, order ids, versions and ids", () => {
    for (const text of [
      "2025-03-14T09:26:53.000Z",
      "2025-03-14 09:26:53",
      "14.03.2025",
      "Total: $1,299.99 (was € 1.499,00)",
      "Order ORD-2024-000123 placed",
      "order #100234",
      "SKU-4711-2025-01",
      "v1.194.2",
      "192.168.100.200",
      "id 0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
      "ts 1732233445",
      "qty +3 items",
    ]) {
      expect(redacted(text).text, text).toBe(text);
    }
  });
});

describe("redactPii: secrets in URLs and tokens", () => {
  it("redacts secret query and fragment parameters, whatever their case", () => {
    const url = "https://app.example.com/callback?code=abc123&state=xyz&API_KEY=k-999&Access-Token=t1#id_token=eyJx&expires_in=3600";
    expect(redacted(url).text).toBe("https://app.example.com/callback?code=[redacted]&state=xyz&API_KEY=[redacted]&Access-Token=[redacted]#id_token=[redacted]&expires_in=3600");
    expect(redacted(url).counter.byKind.url_secret).toBe(4);
  });

  it("redacts path parameters and signed-URL signatures", () => {
    expect(redacted("/app;jsessionid=A1B2C3?x=1").text).toBe("/app;jsessionid=[redacted]?x=1");
    expect(redacted("https://s3.example.com/f.pdf?X-Amz-Signature=abcd&X-Amz-Expires=60").text).toBe("https://s3.example.com/f.pdf?X-Amz-Signature=[redacted]&X-Amz-Expires=60");
  });

  it("keeps ordinary parameters", () => {
    const url = "https://shop.example.com/search?q=keyboard&sort=price&page=2&zipcode=10115&author=ann";
    expect(redacted(url).text).toBe(url);
    expect(isSecretParamName("monkey")).toBe(false);
    expect(isSecretParamName("refresh_token")).toBe(true);
    expect(isSecretParamName("pass%77ord")).toBe(true);
  });

  it("redacts bare JWTs and bearer values", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    expect(redacted(`token ${jwt} expired`).text).toBe("token [token] expired");
    expect(redacted("Authorization: Bearer sk_live_abcdefghijklmnop").text).toBe("Authorization: Bearer [token]");
  });
});

describe("RedactionCounter", () => {
  it("counts each replacement by kind", () => {
    const { counter } = redacted("a@b.io and c@d.io, card 4111111111111111, phone +1 415 555 2671, /x?token=1");
    expect(counter.byKind).toEqual({ url_secret: 1, token: 0, email: 2, card: 1, phone: 1 });
    expect(counter.total).toBe(5);
  });
});
