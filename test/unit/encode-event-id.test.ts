import { describe, expect, it } from "vitest";
import { EncodeError } from "../../src/encode/errors.ts";
import { EVENT_ID_LENGTH, EventIdAllocator, sha256Hex, type HexHash } from "../../src/encode/event-id.ts";

describe("EventIdAllocator", () => {
  it("gives 8 hex characters of SHA-256 over the cells joined by NUL", () => {
    const { id } = new EventIdAllocator().allocate(["1.0", "url_1", "$pageview"]);
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(id).toBe(sha256Hex("1.0\u0000url_1\u0000$pageview").slice(0, EVENT_ID_LENGTH));
  });

  it("flags identical cells as duplicates and keeps different ones apart", () => {
    const ids = new EventIdAllocator();
    const first = ids.allocate(["1.0", "click", "Buy"]);
    expect(ids.allocate(["1.0", "click", "Buy"])).toEqual({ id: first.id, duplicate: true });
    expect(ids.allocate(["1.0", "click", "Buy", ""]).duplicate).toBe(false);
  });

  it("disambiguates two different rows that collide on 8 characters, deterministically", () => {
    // Unsalted input always hashes to the same prefix: every first attempt collides.
    // eslint-disable-next-line no-control-regex -- salted input is `<salt>\0<key>`: the NUL is the separator
    const collidingHash: HexHash = (input) => (/^\d+\u0000/.test(input) ? sha256Hex(input) : `deadbeef${sha256Hex(input)}`);
    const allocate = () => {
      const ids = new EventIdAllocator(collidingHash);
      return [ids.allocate(["a"]), ids.allocate(["b"]), ids.allocate(["c"]), ids.allocate(["b"])];
    };
    const [a, b, c, bAgain] = allocate();
    expect(a).toEqual({ id: "deadbeef", duplicate: false });
    expect(b?.id).toBe(sha256Hex("1\u0000b").slice(0, 8));
    expect(new Set([a?.id, b?.id, c?.id]).size).toBe(3);
    expect(bAgain).toEqual({ id: b?.id, duplicate: true });
    expect(allocate()).toEqual([a, b, c, bAgain]);
  });

  it("throws instead of looping when a hash never frees an id", () => {
    const ids = new EventIdAllocator(() => "00000000");
    ids.allocate(["a"]);
    expect(() => ids.allocate(["b"])).toThrow(EncodeError);
  });
  it("keeps identical rows of different sessions apart, and still finds duplicates within one", () => {
    const cells = ["5.2", "window_1", "url_1", "$pageview"];
    const a = new EventIdAllocator(undefined, "session-a");
    const b = new EventIdAllocator(undefined, "session-b");
    const first = a.allocate(cells);
    expect(b.allocate(cells).id).not.toBe(first.id);
    expect(a.allocate(cells)).toEqual({ id: first.id, duplicate: true });
  });
});
