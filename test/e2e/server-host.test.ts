import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostName, isLoopbackHostName } from "../../src/server/app.ts";
import { startTestServer, tempDir, type TestServer } from "./server-client.ts";

/**
 * Keyless local mode answers only requests addressed to a loopback name: a web page whose DNS name
 * was rebound to 127.0.0.1 sends its own name as Host and is refused (403 forbidden_host).
 */

let dir: { dir: string; remove(): Promise<void> };
let open: TestServer;
let keyed: TestServer;
const KEY = "host-test-key-000001";

/** A raw request with any Host header (fetch does not let a caller set Host). */
function get(url: string, path: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path, method: "GET", headers: { host, ...headers } }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = await tempDir("server-host-");
  open = await startTestServer({ dataDir: dir.dir });
  keyed = await startTestServer({ dataDir: dir.dir, apiKeys: `${KEY}=shop` });
});
afterAll(async () => {
  await open?.close();
  await keyed?.close();
  await dir?.remove();
});

describe("Host check of the keyless local server", () => {
  it("serves loopback names on any port", async () => {
    const port = new URL(open.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "localhost", "LOCALHOST:1"]) {
      const health = await get(open.url, "/healthz", host);
      expect(health.status, host).toBe(200);
    }
    expect((await get(open.url, "/api/threads/00000000-0000-4000-8000-000000000000", `localhost:${port}`)).status).toBe(404);
  });

  it("refuses any other name with 403 forbidden_host", async () => {
    for (const host of ["attacker.example", "attacker.example:8020", "localhost.attacker.example", "127.0.0.1.nip.io", "0.0.0.0:8020", "[::2]:1"]) {
      for (const path of ["/healthz", "/api/threads/00000000-0000-4000-8000-000000000000", "/reports/r1"]) {
        const refused = await get(open.url, path, host);
        expect(refused.status, `${host} ${path}`).toBe(403);
        expect(refused.body.error.code).toBe("forbidden_host");
      }
    }
  });

  it("leaves a server with API keys alone (the key is the protection)", async () => {
    expect((await get(keyed.url, "/healthz", "sessions.example.com")).status).toBe(200);
    expect((await get(keyed.url, "/api/threads/00000000-0000-4000-8000-000000000000", "sessions.example.com", { authorization: `Bearer ${KEY}` })).status).toBe(404);
  });

  it("reads host names from Host headers", () => {
    expect(hostName("[::1]:8020")).toBe("[::1]");
    expect(hostName("LocalHost:80")).toBe("localhost");
    expect(hostName("localhost.")).toBe("localhost");
    expect(hostName(undefined)).toBeUndefined();
    expect(isLoopbackHostName("127.1.2.3")).toBe(true);
    expect(isLoopbackHostName("127.0.0.1.evil")).toBe(false);
  });
});
