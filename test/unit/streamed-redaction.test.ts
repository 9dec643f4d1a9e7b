import { describe, expect, it } from "vitest";
import { StreamedTextRedactor } from "../../src/report/redact.ts";

/** Issue 11 item 8: a chat answer streamed in pieces is redacted as text, not piece by piece. */

function stream(pieces: string[], enabled = true): { sent: string[]; text: string } {
  const redactor = new StreamedTextRedactor(enabled);
  const sent = pieces.map((piece) => redactor.push(piece));
  sent.push(redactor.flush());
  return { sent, text: sent.join("") };
}

describe("StreamedTextRedactor", () => {
  it("redacts an email and a provider key split over pieces", () => {
    const { text } = stream(["Write to jane.", "doe@exam", "ple.com or use sk_li", "ve_4eC39Hq", "LyjWDarjtT1zdp7dc now."]);
    expect(text).toBe("Write to [email] or use [token] now.");
  });

  it("sends text as soon as a whitespace boundary is reached", () => {
    const { sent } = stream(["The checkout ", "fails for", " most users"]);
    expect(sent).toEqual(["The checkout ", "fails ", "for most ", "users"]);
  });

  it("holds a digit group back: a card or phone number split at its spaces is redacted whole", () => {
    const { text } = stream(["card 4242 ", "4242 4242 ", "4242 was declined"]);
    expect(text).not.toMatch(/4242/);
    expect(stream(["call +44 ", "20 7946 ", "0958 today"]).text).not.toContain("7946");
    expect(stream(["header Bearer ", "abcdefghijklmnop1234 sent"]).text).not.toContain("abcdefghijklmnop1234");
  });

  it("passes pieces through unchanged when redaction is off", () => {
    expect(stream(["jane.", "doe@example.com"], false).sent).toEqual(["jane.", "doe@example.com", ""]);
  });
});
