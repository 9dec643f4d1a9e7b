import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollReport, SAMPLE, startTestServer, tempDir, type TestServer } from "./server-client.ts";

/** Two projects on one server: a key of one never reads nor continues the other's thread or report. */

const KEY_A = "project-a-key-000001";
const KEY_B = "project-b-key-000002";
let dir: { dir: string; remove(): Promise<void> };
let server: TestServer;
let threadA: string;
let reportA: string;

beforeAll(async () => {
  dir = await tempDir("server-isolation-");
  server = await startTestServer({ dataDir: dir.dir, apiKeys: `${KEY_A}=alpha,${KEY_B}=beta`, dataset: SAMPLE });
  threadA = (await server.json("POST", "/api/threads", { key: KEY_A })).body.thread_id;
  const chat = await server.chat(threadA, "summarize the last 5 sessions", KEY_A);
  expect(chat.events.at(-1)?.event).toBe("final");
  const started = await server.json("POST", "/api/reports", { key: KEY_A, body: { filter: { limit: 5 }, title: "Alpha only" } });
  expect(started.status).toBe(202);
  reportA = started.body.report_id;
  expect((await pollReport(server, reportA, KEY_A)).at(-1).status).toBe("done");
}, 60_000);

afterAll(async () => {
  await server?.close();
  await dir?.remove();
});

describe("two projects", () => {
  it("project A sees its own thread and report", async () => {
    expect((await server.json("GET", `/api/threads/${threadA}`, { key: KEY_A })).status).toBe(200);
    expect((await server.json("GET", `/api/reports/${reportA}`, { key: KEY_A })).status).toBe(200);
    expect((await server.request("GET", `/reports/${reportA}?key=${KEY_A}`)).status).toBe(200);
  });

  it("project B cannot read A's thread: 404, the same answer as for a thread that does not exist", async () => {
    const other = await server.json("GET", `/api/threads/${threadA}`, { key: KEY_B });
    const unknown = await server.json("GET", "/api/threads/00000000-0000-4000-8000-000000000000", { key: KEY_B });
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(other.body.error.code).toBe(unknown.body.error.code);
    expect(JSON.stringify(other.body)).not.toContain("alpha");
  });

  it("project B cannot continue A's thread, and A's thread is unchanged", async () => {
    const before = (await server.json("GET", `/api/threads/${threadA}`, { key: KEY_A })).body;
    const response = await server.request("POST", `/api/threads/${threadA}/messages`, { key: KEY_B, body: { content: "which pattern affects most sessions?" } });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await response.json()) as any).error.code).toBe("not_found");
    const after = (await server.json("GET", `/api/threads/${threadA}`, { key: KEY_A })).body;
    expect(after).toEqual(before);
  });

  it("project B cannot read A's reports, made by the API or by the chat, as status or as page", async () => {
    const chatReport = (await server.json("GET", `/api/threads/${threadA}`, { key: KEY_A })).body.report_id as string;
    expect(chatReport).toEqual(expect.any(String));
    for (const id of [reportA, chatReport]) {
      const status = await server.json("GET", `/api/reports/${encodeURIComponent(id)}`, { key: KEY_B });
      expect(status.status).toBe(404);
      expect(status.body.error.code).toBe("not_found");
      const page = await server.request("GET", `/reports/${encodeURIComponent(id)}?key=${KEY_B}`);
      expect(page.status).toBe(404);
      const pageByHeader = await server.request("GET", `/reports/${encodeURIComponent(id)}`, { key: KEY_B });
      expect(pageByHeader.status).toBe(404);
    }
  });

  it("project B cannot start a thread on A's report", async () => {
    const seeded = await server.json("POST", "/api/threads", { key: KEY_B, body: { report_id: reportA } });
    expect(seeded.status).toBe(404);
    expect((await server.json("POST", "/api/threads", { key: KEY_A, body: { report_id: reportA } })).status).toBe(201);
  });

  it("B's own thread is separate: its state has no report of A", async () => {
    const threadB = (await server.json("POST", "/api/threads", { key: KEY_B })).body.thread_id;
    const state = await server.json("GET", `/api/threads/${threadB}`, { key: KEY_B });
    expect(state.status).toBe(200);
    expect(state.body.messages).toEqual([]);
    expect(state.body.report_id).toBeUndefined();
    expect((await server.json("GET", `/api/threads/${threadB}`, { key: KEY_A })).status).toBe(404);
  });

  it("no key or a wrong key is 401 on every route but /healthz", async () => {
    expect((await server.json("GET", "/healthz")).status).toBe(200);
    for (const [method, route] of [
      ["POST", "/api/threads"],
      ["GET", `/api/threads/${threadA}`],
      ["POST", `/api/threads/${threadA}/messages`],
      ["POST", "/api/reports"],
      ["GET", `/api/reports/${reportA}`],
      ["GET", `/reports/${reportA}`],
    ] as const) {
      expect((await server.json(method, route)).status, `${method} ${route}`).toBe(401);
      expect((await server.json(method, route, { key: "wrong-key-0000000000" })).status, `${method} ${route}`).toBe(401);
    }
    expect((await server.request("GET", `/reports/${reportA}?key=wrong-key-0000000000`)).status).toBe(401);
  });
});
