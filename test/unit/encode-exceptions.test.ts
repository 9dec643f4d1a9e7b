import { describe, expect, it } from "vitest";
import type { EventProperties } from "../../src/domain/events.ts";
import { describeException, exceptionFactsOf, isNetworkOrAuthRelated, wordsOf } from "../../src/encode/exceptions.ts";

const facts = (type: string, value: string, functions: string[] = [], sources: string[] = []) =>
  exceptionFactsOf({
    $exception_list: [{ type, value, stacktrace: { frames: functions.map((name, i) => ({ function: name, filename: sources[i] })) } }],
  });

describe("exceptionFactsOf", () => {
  it("reads $exception_list, its frames, and the flat properties", () => {
    const fromList = facts("TypeError", "x is undefined", ["render"], ["https://cdn.test/app.js"]);
    expect(fromList).toMatchObject({ types: ["TypeError"], values: ["x is undefined"], functions: ["render"], sources: ["https://cdn.test/app.js"] });
    const flat = exceptionFactsOf({
      $exception_types: ["Error"],
      $exception_values: ["boom"],
      $exception_functions: ["f"],
      $exception_sources: ["a.js"],
      $exception_fingerprint: "fp-1",
    });
    expect(flat).toMatchObject({ types: ["Error"], values: ["boom"], functions: ["f"], sources: ["a.js"], fingerprint: "fp-1" });
    const legacy = exceptionFactsOf({ $exception_type: "Error", $exception_message: "old sdk" } as EventProperties);
    expect(describeException(legacy)).toBe("Error: old sdk");
  });

  it("fingerprints by type and message when there is no fingerprint", () => {
    expect(facts("Error", "a").fingerprint).toBe(facts("Error", "a").fingerprint);
    expect(facts("Error", "a").fingerprint).not.toBe(facts("Error", "b").fingerprint);
  });
});

describe("isNetworkOrAuthRelated", () => {
  it.each([
    ["TypeError", "Failed to fetch"],
    ["TypeError", "Load failed"],
    ["TypeError", "NetworkError when attempting to fetch resource."],
    ["AxiosError", "Request failed with status code 502"],
    ["Error", "HTTP 500"],
    ["Error", "the server responded with a status of 404 (Not Found)"],
    ["Error", "POST https://shop.example.com/orders returned nothing"],
    ["AuthSessionMissingError", "Auth session missing!"],
    ["Error", "Unauthorized"],
    ["Error", "GraphQL error: cannot query field"],
    ["Error", "WebSocket connection to 'wss://x' failed"],
    ["Error", "jwt expired: token invalid"],
    ["ChunkLoadError", "Loading chunk 405 failed."],
    ["TypeError", "Failed to fetch dynamically imported module: https://app.test/assets/Settings-1a2b.js"],
  ])("keeps %s: %s", (type, value) => {
    expect(isNetworkOrAuthRelated(facts(type, value))).toBe(true);
  });

  it("looks at function names and source files", () => {
    expect(isNetworkOrAuthRelated(facts("Error", "x", ["fetchOrders"]))).toBe(true);
    expect(isNetworkOrAuthRelated(facts("Error", "x", ["apiClient.post"]))).toBe(true);
    expect(isNetworkOrAuthRelated(facts("Error", "x", ["XMLHttpRequest.onload"]))).toBe(true);
    expect(isNetworkOrAuthRelated(facts("Error", "x", ["n"], ["https://shop.test/static/js/api-client.js"]))).toBe(true);
  });

  it.each([
    ["Error", "Minified React error #418; visit https://react.dev/errors/418?args[]=text for the full message"],
    ["Error", "ResizeObserver loop completed with undelivered notifications."],
    ["TypeError", "Cannot read properties of undefined (reading 'map')"],
    ["DataCloneError", "Failed to execute 'postMessage' on 'Window': could not be cloned."],
    ["Error", "Failed to execute 'putImageData' on 'CanvasRenderingContext2D'"],
    ["Error", "Script error."],
  ])("drops %s: %s", (type, value) => {
    expect(isNetworkOrAuthRelated(facts(type, value))).toBe(false);
  });

  it("does not count the https of a stack frame's file as a network word", () => {
    const frames = ["render", "commitRoot"];
    const files = ["https://shop.example.com/_next/static/chunks/main-3f2a1b.js", "https://app.posthog.com/static/array.js"];
    expect(isNetworkOrAuthRelated(facts("TypeError", "x is not a function", frames, files))).toBe(false);
  });

  it("splits identifiers into words", () => {
    expect(wordsOf("XMLHttpRequest fetchUserAPI https://input.test/x")).toEqual(["xml", "http", "request", "fetch", "user", "api", "input", "test", "x"]);
  });
});
