import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCaptureServer, type CaptureServer } from "../../src/capture/server.ts";
import { memoryLogger } from "../fakes/logger.ts";
import { asBody, captureBody, clientEvent, encodeLikePosthog, post } from "./capture-posthog-bodies.ts";

/*
 * Every kind of bad request gets a 4xx with `{ error: { code, message } }` naming the problem,
 * writes nothing, and leaves the server serving. Limits are small here so oversize cases stay cheap.
 */

const MAX_BODY = 64 * 1024;
const MAX_DECODED = 256 * 1024;
const SESSION = "0195a1b2-0bad-7000-8000-000000000001";
const T0 = Date.parse("2025-03-01T10:00:00.000Z");

let out: string;
let server: CaptureServer;

beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), "capture-bad-"));
  server = await startCaptureServer({ out, port: 0, maxBodyBytes: MAX_BODY, maxDecodedBytes: MAX_DECODED });
});

afterAll(async () => {
  await server.close();
  rmSync(out, { recursive: true, force: true });
});

const goodBatch = () => captureBody([clientEvent("$pageview", T0, { sessionId: SESSION, url: "https://shop.test/" })]);
const goodJson = () => JSON.stringify(goodBatch());

interface BadCase {
  name: string;
  method?: string;
  path: string;
  contentType?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  status: number;
  code: string;
  message: RegExp;
}

const CASES: BadCase[] = [
  { name: "malformed JSON", path: "/e/", contentType: "application/json", body: "{not json", status: 400, code: "invalid_json", message: /not valid JSON/ },
  {
    // A body that is fine for its first events and then breaks off: nothing of it may be written.
    name: "a batch cut off halfway",
    path: "/e/",
    contentType: "application/json",
    body: goodJson().slice(0, Math.floor(goodJson().length * 0.8)),
    status: 400,
    code: "invalid_json",
    message: /not valid JSON/,
  },
  {
    name: "gzip cut off halfway",
    path: "/s/",
    contentType: "text/plain",
    body: gzipSync(goodJson()).subarray(0, 40),
    status: 400,
    code: "invalid_gzip",
    message: /cannot be gunzipped/,
  },
  {
    name: "gzip magic bytes then garbage",
    path: "/e/",
    contentType: "text/plain",
    body: Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from("garbage garbage garbage")]),
    status: 400,
    code: "invalid_gzip",
    message: /gunzipped/,
  },
  {
    name: "compression=gzip-js on a body that is not gzip",
    path: "/e/?compression=gzip-js",
    contentType: "text/plain",
    body: goodJson(),
    status: 400,
    code: "invalid_gzip",
    message: /not gzip data/,
  },
  {
    name: "base64 form with invalid base64",
    path: "/e/?compression=base64",
    contentType: "application/x-www-form-urlencoded",
    body: "data=%21%21not-base64%21%21",
    status: 400,
    code: "invalid_base64",
    message: /not valid base64/,
  },
  {
    name: "form without a data field",
    path: "/e/",
    contentType: "application/x-www-form-urlencoded",
    body: "compression=base64&ver=1.449.2",
    status: 400,
    code: "invalid_form",
    message: /no data= field/,
  },
  {
    name: "base64 of something that is not JSON",
    path: "/e/?compression=base64",
    contentType: "application/x-www-form-urlencoded",
    body: `data=${encodeURIComponent(Buffer.from("hello there").toString("base64"))}`,
    status: 400,
    code: "invalid_json",
    message: /not valid JSON/,
  },
  {
    name: "batch that is not an array",
    path: "/e/",
    contentType: "application/json",
    body: JSON.stringify({ api_key: "t", batch: { event: "$pageview" } }),
    status: 400,
    code: "invalid_batch",
    message: /"batch" is an object.*not an array of events/,
  },
  { name: "array of numbers", path: "/s/", contentType: "application/json", body: "[1, 2, 3]", status: 400, code: "invalid_batch", message: /element 0 of the body is a number/ },
  { name: "a JSON string", path: "/e/", contentType: "application/json", body: '"hello"', status: 400, code: "invalid_batch", message: /payload is a string/ },
  { name: "an object that is not an event", path: "/e/", contentType: "application/json", body: '{"hello": 1}', status: 400, code: "invalid_batch", message: /expected an event/ },
  {
    name: "multipart body",
    path: "/e/",
    contentType: "multipart/form-data; boundary=xyz",
    body: `--xyz\r\nContent-Disposition: form-data; name="data"\r\n\r\n${goodJson()}\r\n--xyz--\r\n`,
    status: 415,
    code: "unsupported_content_type",
    message: /multipart\/form-data/,
  },
  {
    name: "body over the size limit",
    path: "/s/",
    contentType: "text/plain",
    body: Buffer.alloc(MAX_BODY + 1, 0x61),
    status: 413,
    code: "payload_too_large",
    message: new RegExp(`larger than ${MAX_BODY} bytes`),
  },
  {
    name: "gzip that inflates past the decoded limit",
    path: "/s/",
    contentType: "text/plain",
    body: gzipSync(Buffer.from(`[${'"x",'.repeat(MAX_DECODED / 4)}"x"]`)),
    status: 413,
    code: "payload_too_large",
    message: /decoded payload is larger/,
  },
  { name: "empty body", path: "/e/", contentType: "text/plain", body: "", status: 400, code: "empty_payload", message: /no body/ },
  { name: "GET without data", method: "GET", path: "/e/", status: 400, code: "empty_payload", message: /no body/ },
  {
    name: "bytes that are not UTF-8",
    path: "/e/",
    contentType: "text/plain",
    body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
    status: 400,
    code: "invalid_utf8",
    message: /not valid UTF-8/,
  },
  {
    name: "lz64 compression (very old posthog-js)",
    path: "/e/?compression=lz64",
    contentType: "application/x-www-form-urlencoded",
    body: "data=N4Ig",
    status: 415,
    code: "unsupported_compression",
    message: /lz64/,
  },
  {
    name: "unknown Content-Encoding",
    path: "/e/",
    contentType: "application/json",
    headers: { "content-encoding": "compress" },
    body: goodJson(),
    status: 415,
    code: "unsupported_content_encoding",
    message: /compress/,
  },
  { name: "unknown route", method: "GET", path: "/wp-admin/", status: 404, code: "not_found", message: /no route GET \/wp-admin/ },
  { name: "unknown route (POST)", path: "/s2/", contentType: "application/json", body: goodJson(), status: 404, code: "not_found", message: /no route POST/ },
  { name: "PUT on the events route", method: "PUT", path: "/e/", contentType: "application/json", body: goodJson(), status: 405, code: "method_not_allowed", message: /PUT is not allowed/ },
  { name: "DELETE on the recordings route", method: "DELETE", path: "/s/", status: 405, code: "method_not_allowed", message: /DELETE is not allowed/ },
  { name: "POST to the config", path: "/array/phc_x/config", contentType: "application/json", body: "{}", status: 405, code: "method_not_allowed", message: /use GET/ },
  { name: "a token with odd characters", method: "GET", path: "/array/phc%3Cscript%3E/config.js", status: 400, code: "invalid_token", message: /not a valid token/ },
];

describe("capture server: bad input", () => {
  it.each(CASES)("$name → $status $code", async (badCase) => {
    const response = await fetch(`${server.url}${badCase.path}`, {
      method: badCase.method ?? "POST",
      headers: { ...(badCase.contentType ? { "content-type": badCase.contentType } : {}), ...badCase.headers },
      ...(badCase.body !== undefined ? { body: asBody(badCase.body) } : {}),
    });
    const json = (await response.json()) as { error: { code: string; message: string } };
    expect(response.status).toBe(badCase.status);
    expect(json.error.code).toBe(badCase.code);
    expect(json.error.message).toMatch(badCase.message);
    if (badCase.status === 405) expect(response.headers.get("allow")).toMatch(/GET|POST/);
    // Nothing was written.
    expect(readdirSync(path.join(out, "sessions"))).toEqual([]);
  });

  it("survives a client that hangs up in the middle of a body, and writes nothing", async () => {
    const { port } = new URL(server.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        const half = goodJson().slice(0, 50);
        socket.write(`POST /e/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${goodJson().length}\r\n\r\n${half}`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
      socket.on("error", reject);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(readdirSync(path.join(out, "sessions"))).toEqual([]);
  });

  it("still accepts a good batch afterwards, and counted every rejection", async () => {
    const response = await post(server.url, "/e/", encodeLikePosthog(goodBatch(), "gzip"));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ status: 1, accepted: 1, skipped: 0 });
    const file = path.join(out, "sessions", SESSION, "events.jsonl");
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(1);
    const stats = server.stats();
    expect(stats.rejected).toBeGreaterThanOrEqual(CASES.length);
    expect(stats.rejectedByCode.invalid_json).toBeGreaterThanOrEqual(3);
    expect(stats.events).toBe(1);
  });
});

describe("capture server: a failure of its own", () => {
  it("answers 500 with its code and a generic message; the details (paths) go to the log only", async () => {
    const brokenOut = mkdtempSync(path.join(tmpdir(), "capture-broken-"));
    const log = memoryLogger();
    const broken = await startCaptureServer({ out: brokenOut, port: 0, logger: log.logger });
    try {
      // The dataset's sessions folder turns into a file: the next write fails inside the file system.
      rmSync(path.join(brokenOut, "sessions"), { recursive: true });
      writeFileSync(path.join(brokenOut, "sessions"), "not a folder");
      const response = await post(broken.url, "/e/", encodeLikePosthog(goodBatch(), "gzip"));
      expect(response.status).toBe(500);
      const body = response.json as { error: { code: string; message: string } };
      expect(body.error.code).toBe("write_failed");
      expect(body.error.message).toBe("internal error: the server logged the details");
      expect(JSON.stringify(body)).not.toContain(brokenOut);
      expect(log.text()).toContain(path.join(brokenOut, "sessions"));
      expect(broken.stats().rejectedByCode.write_failed).toBe(1);
      const health = await fetch(`${broken.url}/_health`);
      expect(health.status).toBe(200);
    } finally {
      await broken.close();
      rmSync(brokenOut, { recursive: true, force: true });
    }
  });
});
