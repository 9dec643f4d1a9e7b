import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyAuth, projectOf, requireProject } from "../../src/server/auth.ts";
import { ServerError, toServerError } from "../../src/server/errors.ts";
import { parseBody, PostMessageBodySchema, selectionOf, StartReportBodySchema } from "../../src/server/schemas.ts";
import { SessionSummariesError } from "../../src/domain/errors.ts";
import { ServiceClosedError } from "../../src/service/errors.ts";
import { StoreError } from "../../src/store/errors.ts";

const KEY_A = "key-of-project-a-0001";
const KEY_B = "key-of-project-b-0002";

function bodyError(schema: Parameters<typeof parseBody>[0], body: unknown): ServerError {
  try {
    parseBody(schema, body);
  } catch (error) {
    return error as ServerError;
  }
  throw new Error("expected a ServerError");
}

describe("request bodies", () => {
  it("accepts a message and trims it", () => {
    expect(parseBody(PostMessageBodySchema, { content: "  summarize  " })).toEqual({ content: "summarize" });
  });

  it.each([
    ["no body", undefined, "missing_field", /body: .*expected object/],
    ["no content", {}, "missing_field", /content: .*expected string/],
    ["empty content", { content: "   " }, "invalid_field", /content: must not be empty/],
    ["content of the wrong type", { content: 42 }, "invalid_field", /content: .*expected string/],
    ["an unknown field", { content: "hi", contnet: "hi" }, "invalid_field", /Unrecognized key.*\(contnet\)/],
    ["a too long message", { content: "x".repeat(8_001) }, "invalid_field", /content: must be at most 8000 characters/],
  ])("refuses a message with %s, naming the field", (_label, body, code, message) => {
    const error = bodyError(PostMessageBodySchema, body);
    expect(error).toBeInstanceOf(ServerError);
    expect(error.status).toBe(400);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it("refuses ids and texts that are not well-formed (a lone surrogate), naming the field", () => {
    expect(bodyError(StartReportBodySchema, { session_ids: ["ok", "\ud800x"] }).message).toMatch(/session_ids\.1: must be well-formed text/);
    expect(bodyError(StartReportBodySchema, { filter: { visited_url_contains: "\udc00" } }).message).toMatch(/filter\.visited_url_contains: must be well-formed text/);
    expect(bodyError(PostMessageBodySchema, { content: "hi \ud83d" }).message).toMatch(/content: must be well-formed text/);
    // A real pair (an emoji) is fine.
    expect(parseBody(PostMessageBodySchema, { content: "hi \ud83d\ude00" })).toEqual({ content: "hi 😀" });
  });

  it("takes a report from ids (deduplicated) or from a filter with dates normalized", () => {
    expect(selectionOf(parseBody(StartReportBodySchema, { session_ids: ["a", "b", "a"] }))).toEqual({ ids: ["a", "b"] });
    const body = parseBody(StartReportBodySchema, {
      filter: {
        from: "2026-11-01",
        to: "2026-11-30T12:00:00+02:00",
        visited_url_contains: "/checkout",
        first_url_contains: "utm_source",
        event: "$rageclick",
        person: "jane",
        has_exception: true,
        min_duration_ms: 5000,
        limit: 20,
      },
      title: "Checkout",
      focus_area: "checkout",
    });
    expect(body.title).toBe("Checkout");
    expect(selectionOf(body)).toEqual({
      from: "2026-11-01T00:00:00.000Z",
      to: "2026-11-30T10:00:00.000Z",
      visited_url_contains: "/checkout",
      first_url_contains: "utm_source",
      event: "$rageclick",
      person: "jane",
      has_exception: true,
      min_duration_ms: 5000,
      limit: 20,
    });
    expect(selectionOf(parseBody(StartReportBodySchema, { filter: {} }))).toEqual({});
  });

  it.each([
    ["neither ids nor filter", {}, /session_ids: give either session_ids or filter/],
    ["both", { session_ids: ["a"], filter: {} }, /give either session_ids or filter/],
    ["an empty id list", { session_ids: [] }, /session_ids: must list at least one session id/],
    ["a bad date", { filter: { from: "yesterday" } }, /filter.from: expected an ISO date/],
    ["a string limit", { filter: { limit: "10" } }, /filter.limit: .*expected number/],
    ["a zero limit", { filter: { limit: 0 } }, /filter.limit: /],
    ["an unknown filter field", { filter: { url: "/checkout" } }, /filter: Unrecognized key.*\(url\)/],
    ["the removed url_contains", { filter: { url_contains: "/checkout" } }, /filter\.url_contains: was removed .*visited_url_contains .*first_url_contains/],
    ["a time range backwards", { filter: { from: "2026-11-02", to: "2026-11-01" } }, /filter\.to: must be after from \(2026-11-02\)/],
    ["an empty page text", { filter: { visited_url_contains: "" } }, /filter\.visited_url_contains: must not be empty/],
    ["ids with filters", { filter: { ids: ["a"], limit: 3 } }, /filter\.ids: choose sessions either by ids or by filters, not both \(also given: limit\)/],
  ])("refuses a report body with %s", (_label, body, message) => {
    const error = bodyError(StartReportBodySchema, body);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });
});

describe("error mapping", () => {
  it("maps body-parser failures and domain codes to statuses; hides unexpected errors", () => {
    expect(toServerError({ type: "entity.parse.failed" }, 100)).toMatchObject({ status: 400, code: "invalid_json" });
    expect(toServerError({ type: "entity.too.large" }, 100)).toMatchObject({ status: 413, code: "payload_too_large", message: "the request body is larger than 100 bytes" });
    expect(toServerError(new SessionSummariesError("too_many_runs", "2 runs already"), 100)).toMatchObject({ status: 429, code: "too_many_runs", message: "2 runs already" });
    const hidden = toServerError(new Error("secret path /etc/x"), 100);
    expect(hidden).toMatchObject({ status: 500, code: "internal_error" });
    expect(hidden.message).not.toContain("/etc/x");
  });

  it("keeps the 4xx status of client errors from below, maps bad keys to 400 and a closing service to 503", () => {
    const undecodable = Object.assign(new URIError("Failed to decode param '%E0%A4%A'"), { status: 400 });
    expect(toServerError(undecodable, 0)).toMatchObject({ status: 400, code: "invalid_url" });
    expect(toServerError(Object.assign(new Error("gone"), { status: 410 }), 0)).toMatchObject({ status: 410, code: "bad_request" });
    expect(toServerError(Object.assign(new Error("boom"), { status: 502 }), 0)).toMatchObject({ status: 500, code: "internal_error" });
    expect(toServerError(new StoreError("invalid_key", "a blob key part must be well-formed text"), 0)).toMatchObject({ status: 400, code: "invalid_key" });
    expect(toServerError(new ServiceClosedError(), 0)).toMatchObject({ status: 503, code: "closed", message: "the report service is shutting down" });
  });
});

describe("API keys over HTTP", () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const auth = ApiKeyAuth.withKeys([
      { key: KEY_A, project: "shop" },
      { key: KEY_B, project: "blog" },
    ]);
    const app = express();
    app.get("/api/whoami", requireProject(auth), (_req, res) => void res.json({ project: projectOf(res) }));
    app.get("/page", requireProject(auth, { allowQueryKey: true }), (_req, res) => void res.json({ project: projectOf(res) }));
    app.use(((error, _req, res, _next) => {
      const problem = toServerError(error, 0);
      res.status(problem.status).json({ error: { code: problem.code, message: problem.message } });
    }) as express.ErrorRequestHandler);
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const get = async (route: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${route}`, { headers });
    return { status: response.status, body: (await response.json()) as any, authenticate: response.headers.get("www-authenticate") };
  };

  it("takes Bearer and x-api-key headers", async () => {
    expect(await get("/api/whoami", { authorization: `Bearer ${KEY_A}` })).toMatchObject({ status: 200, body: { project: "shop" } });
    expect(await get("/api/whoami", { authorization: `bearer   ${KEY_B}` })).toMatchObject({ status: 200, body: { project: "blog" } });
    expect(await get("/api/whoami", { "x-api-key": KEY_B })).toMatchObject({ status: 200, body: { project: "blog" } });
  });

  it("answers 401 to a missing or wrong key, never echoing it", async () => {
    const missing = await get("/api/whoami");
    expect(missing).toMatchObject({ status: 401, body: { error: { code: "missing_api_key" } } });
    expect(missing.authenticate).toMatch(/^Bearer/);
    const wrong = await get("/api/whoami", { authorization: "Bearer not-a-key-of-anyone" });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: "invalid_api_key" } } });
    expect(JSON.stringify(wrong.body)).not.toContain("not-a-key-of-anyone");
    expect(await get("/api/whoami", { authorization: `Basic ${KEY_A}` })).toMatchObject({ status: 401 });
    // A key that is a prefix of a real one is not that key.
    expect(await get("/api/whoami", { "x-api-key": KEY_A.slice(0, -1) })).toMatchObject({ status: 401 });
  });

  it("takes ?key= only where allowed (the HTML page)", async () => {
    expect(await get(`/api/whoami?key=${KEY_A}`)).toMatchObject({ status: 401 });
    expect(await get(`/page?key=${KEY_A}`)).toMatchObject({ status: 200, body: { project: "shop" } });
    expect(await get(`/page?key=wrong-key-000000000`)).toMatchObject({ status: 401 });
  });

  it("an open server gives every request its one project", () => {
    const open = ApiKeyAuth.open("local");
    expect(open.projectOf(undefined)).toBe("local");
    expect(open.projectOf("anything")).toBe("local");
    expect(() => ApiKeyAuth.withKeys([])).toThrow(/no API key configured/);
  });
});
