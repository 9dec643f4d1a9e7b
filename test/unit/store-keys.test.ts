import { describe, expect, it } from "vitest";
import { StoreError } from "../../src/store/errors.ts";
import { MAX_BLOB_KEY_LENGTH, blobKeys, keySegment, validateBlobKey } from "../../src/store/keys.ts";
import { INVALID_KEYS } from "./store-blob-contract.ts";

describe("validateBlobKey", () => {
  it.each(INVALID_KEYS)("rejects %s with StoreError(invalid_key)", (_label, key) => {
    expect(() => validateBlobKey(key)).toThrow(StoreError);
    try {
      validateBlobKey(key);
    } catch (error) {
      expect((error as StoreError).code).toBe("invalid_key");
    }
  });

  it.each(["acme/sessions/s1/events", "a", "a.b/c d/é", "x".repeat(MAX_BLOB_KEY_LENGTH), ".hidden/x"])("accepts %s", (key) => {
    expect(validateBlobKey(key)).toBe(key);
  });

  it.each(["a/", "a/./b", "a\\b"])("rejects the path-like key %j", (key) => {
    expect(() => validateBlobKey(key)).toThrow(/invalid blob key/);
  });
});

describe("keySegment", () => {
  it("keeps [A-Za-z0-9_-] and escapes everything else as %XX of UTF-8", () => {
    expect(keySegment("Session_01-ab")).toBe("Session_01-ab");
    expect(keySegment("a/b")).toBe("a%2Fb");
    expect(keySegment("..")).toBe("%2E%2E");
    expect(keySegment("50%")).toBe("50%25");
    expect(keySegment("é")).toBe("%C3%A9");
    expect(keySegment(42)).toBe("42");
  });

  it("is one-to-one on tricky inputs", () => {
    const inputs = ["a/b", "a%2Fb", "a.b", "a%2Eb", "A", "a", "", "é", "%C3%A9"].filter(Boolean);
    expect(new Set(inputs.map(keySegment)).size).toBe(inputs.length);
  });

  it("rejects an empty part", () => {
    expect(() => keySegment("")).toThrow(StoreError);
  });
});

describe("blobKeys", () => {
  it("builds readable, valid, project-first keys", () => {
    expect(blobKeys.loadedSession("acme", "0190-aa", "l1")).toBe("acme/sessions/0190-aa/loaded/l1");
    expect(blobKeys.summary("acme", "0190-aa", "f00d")).toBe("acme/sessions/0190-aa/summaries/f00d");
    expect(blobKeys.clip("acme", "0190-aa", 7000, 19000)).toBe("acme/sessions/0190-aa/clips/7000-19000");
    expect(blobKeys.report("acme", "r1")).toBe("acme/reports/r1");
    expect(blobKeys.project("acme")).toBe("acme");
  });

  it("never lets one project's keys collide with, or nest under, another's", () => {
    const projects = ["a", "a/sessions", "a%2Fsessions", "a/sessions/x", "A", "a.b", "a b", "..", "../a"];
    const allKeys = projects.flatMap((project) => [
      blobKeys.loadedSession(project, "s", "l"),
      blobKeys.loadedSession(project, "x/loaded", "l"),
      blobKeys.summary(project, "s", "k"),
      blobKeys.clip(project, "s", 0, 1),
      blobKeys.report(project, "s"),
      blobKeys.report(project, "../sessions/s/loaded"),
    ]);
    expect(new Set(allKeys).size).toBe(allKeys.length);
    for (const project of projects) {
      const own = blobKeys.project(project);
      const others = projects.filter((other) => other !== project).map((other) => blobKeys.loadedSession(other, "s", "l"));
      for (const key of others) expect(key.startsWith(`${own}/`), `${key} under ${own}`).toBe(false);
    }
  });

  it("escapes hostile ids instead of letting them leave their place", () => {
    const key = blobKeys.loadedSession("acme", "../../other/sessions/s", "l");
    expect(key.split("/")).toHaveLength(5);
    expect(key.startsWith("acme/sessions/")).toBe(true);
  });

  it("rejects clip bounds that are not whole milliseconds", () => {
    expect(() => blobKeys.clip("acme", "s", -1, 5)).toThrow(StoreError);
    expect(() => blobKeys.clip("acme", "s", 1.5, 5)).toThrow(StoreError);
  });

  it("rejects ids that would make the key too long", () => {
    expect(() => blobKeys.loadedSession("acme", "s".repeat(600), "l")).toThrow(/longer than 512/);
  });
});
