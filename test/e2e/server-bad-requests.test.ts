import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryLogger } from "../fakes/logger.ts";
import { ScriptedToolChatModel } from "../fakes/scripted-tool-model.ts";
import { CountingSource, GatedSource, pollReport, readSse, SAMPLE, startTestServer, tempDir, type TestServer } from "./server-client.ts";

/**
 * Bad requests get a clear 4xx with `{ error: { code, message } }`; the server stays up and the
 * thread's state is what it was. Runs under way are held at a gate (the source's event reads) so
 * "a turn already running" and "too many runs" are tested without timing guesses.
 */

const KEY = "bad-requests-key-0001";
let dir: { dir: string; remove(): Promise<void> };
let server: TestServer;
let source: GatedSource;
let threadId: string;
let stateBefore: unknown;

async function threadState(): Promise<unknown> {
  const state = await server.json("GET", `/api/threads/${threadId}`, { key: KEY });
  expect(state.status).toBe(200);
  return state.body;
}

async function expectError(response: Response, status: number, code: string, message?: RegExp): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await response.json()) as any;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  if (message) expect(body.error.message).toMatch(message);
}

beforeAll(async () => {
  dir = await tempDir("server-bad-requests-");
  source = GatedSource.ofDataset(SAMPLE);
  server = await startTestServer({
    dataDir: dir.dir,
    apiKeys: `${KEY}=shop`,
    dataset: SAMPLE,
    env: { SESSION_SUMMARIES_MAX_BODY_BYTES: "2048", SESSION_SUMMARIES_MAX_RUNS_PER_PROJECT: "1", SESSION_SUMMARIES_MAX_TURNS_PER_PROJECT: "1" },
    server: { sourceFor: () => source, heartbeatMs: 50 },
  });
  threadId = (await server.json("POST", "/api/threads", { key: KEY })).body.thread_id;
  stateBefore = await threadState();
});

afterAll(async () => {
  source?.open();
  await server?.close();
  await dir?.remove();
});

describe("bad requests", () => {
  const post = (route: string, options: Parameters<TestServer["request"]>[2]) => server.request("POST", route, { key: KEY, ...options });

  it("malformed JSON is 400 invalid_json", async () => {
    await expectError(await post(`/api/threads/${threadId}/messages`, { rawBody: '{"content": "hi"' }), 400, "invalid_json", /not valid JSON/);
    await expectError(await post("/api/reports", { rawBody: "not json" }), 400, "invalid_json");
  });

  it("missing or invalid fields are 400 naming the field", async () => {
    await expectError(await post(`/api/threads/${threadId}/messages`, { body: {} }), 400, "missing_field", /content/);
    await expectError(await post(`/api/threads/${threadId}/messages`, { body: { content: "" } }), 400, "invalid_field", /content: must not be empty/);
    await expectError(await post(`/api/threads/${threadId}/messages`, { body: { content: ["a"] } }), 400, "invalid_field", /content/);
    await expectError(await post(`/api/threads/${threadId}/messages`, { body: [] }), 400, "invalid_field", /body/);
    await expectError(await post("/api/reports", { body: { title: "no selection" } }), 400, "invalid_field", /session_ids: give either session_ids or filter/);
    await expectError(await post("/api/reports", { body: { filter: { limit: "ten" } } }), 400, "invalid_field", /filter.limit/);
    await expectError(await post("/api/threads", { body: { project: "other" } }), 400, "invalid_field", /project/);
  });

  it("a body over the limit is 413", async () => {
    await expectError(await post(`/api/threads/${threadId}/messages`, { body: { content: "x".repeat(4_000) } }), 413, "payload_too_large", /2048 bytes/);
  });

  it("a body that is not JSON is 415", async () => {
    await expectError(await post(`/api/threads/${threadId}/messages`, { rawBody: "content=hi", contentType: "application/x-www-form-urlencoded" }), 415, "unsupported_media_type");
    await expectError(await post(`/api/threads/${threadId}/messages`, { rawBody: "hi", contentType: "text/plain" }), 415, "unsupported_media_type");
  });

  it("an unknown thread, report or route is 404", async () => {
    await expectError(await post("/api/threads/00000000-0000-4000-8000-000000000000/messages", { body: { content: "hi" } }), 404, "not_found", /no thread/);
    await expectError(await post("/api/threads/not-a-thread-id/messages", { body: { content: "hi" } }), 404, "not_found");
    await expectError(await server.request("GET", "/api/threads/00000000-0000-4000-8000-000000000000", { key: KEY }), 404, "not_found");
    await expectError(await server.request("GET", "/api/reports/no-such-report", { key: KEY }), 404, "not_found", /no report/);
    await expectError(await server.request("GET", "/reports/no-such-report", { key: KEY }), 404, "not_found");
    await expectError(await server.request("GET", "/api/nothing-here", { key: KEY }), 404, "not_found");
  });

  it("ids that do not decode or are not well-formed text are 400, not 500", async () => {
    await expectError(await server.request("GET", "/api/reports/%E0%A4%A", { key: KEY }), 400, "invalid_url", /does not decode/);
    await expectError(await server.request("GET", "/api/threads/%ZZ", { key: KEY }), 400, "invalid_url");
    await expectError(await post(`/api/threads/%ZZ/messages`, { body: { content: "hi" } }), 400, "invalid_url");
    await expectError(await post("/api/threads", { rawBody: '{"report_id":"\\ud800x"}' }), 400, "invalid_field", /report_id: must be well-formed text/);
    await expectError(await post("/api/reports", { rawBody: '{"session_ids":["\\ud800x"]}' }), 400, "invalid_field", /session_ids.0: must be well-formed text/);
    await expectError(await post(`/api/threads/${threadId}/messages`, { rawBody: '{"content":"hi \\udc00"}' }), 400, "invalid_field", /content: must be well-formed/);
  });

  it("left the thread's state as it was, and the server up", async () => {
    expect(await threadState()).toEqual(stateBefore);
    expect((await server.json("GET", "/healthz")).status).toBe(200);
  });

  it("a second message while a turn runs is 409; the running turn is not disturbed", async () => {
    const firstResponse = await post(`/api/threads/${threadId}/messages`, { body: { content: "summarize the last 3 sessions" } });
    expect(firstResponse.status).toBe(200);
    const first = readSse(firstResponse);
    await source.untilWaiting();

    await expectError(await post(`/api/threads/${threadId}/messages`, { body: { content: "which pattern affects most sessions?" } }), 409, "turn_in_progress", /still answering/);
    expect(((await threadState()) as any).messages.length).toBeGreaterThanOrEqual((stateBefore as any).messages.length);

    source.open();
    const stream = await first;
    const events = stream.events.map((event) => event.event);
    expect(events).toContain("tool_call");
    expect(events.at(-1)).toBe("final");
    // A quiet stream (held at the gate) got heartbeat comments.
    expect(stream.comments).toContain("heartbeat");

    const after = (await threadState()) as any;
    expect(after.messages.length).toBeGreaterThan((stateBefore as any).messages.length);
    expect(after.report_id).toEqual(expect.any(String));
  }, 60_000);

  it("a turn beyond the project's limit of turns under way is 429 until the running one ends", async () => {
    source.close();
    const other = (await server.json("POST", "/api/threads", { key: KEY })).body.thread_id;
    const firstResponse = await post(`/api/threads/${threadId}/messages`, { body: { content: "find sessions on checkout" } });
    expect(firstResponse.status).toBe(200);
    const first = readSse(firstResponse);
    await source.untilWaiting();
    await expectError(await post(`/api/threads/${other}/messages`, { body: { content: "show pattern 1" } }), 429, "too_many_turns", /1 chat turn under way/);
    source.open();
    expect((await first).events.at(-1)?.event).toBe("final");
    const next = await server.chat(other, "show pattern 1", KEY);
    expect(next.status).toBe(200);
    expect(next.events.at(-1)?.event).toBe("final");
  }, 60_000);

  it("a run beyond the project's limit is 429 until the running one ends", async () => {
    source.close();
    const first = await post("/api/reports", { body: { filter: { limit: 5 } } });
    expect(first.status).toBe(202);
    const { report_id: reportId } = (await first.json()) as any;
    await source.untilWaiting();
    await expectError(await post("/api/reports", { body: { filter: { limit: 2 } } }), 429, "too_many_runs");
    const running = await server.json("GET", `/api/reports/${reportId}`, { key: KEY });
    expect(running.body.status).toBe("running");
    source.open();
    expect((await pollReport(server, reportId, KEY)).at(-1).status).toBe("done");
    const next = await post("/api/reports", { body: { filter: { limit: 2 } } });
    expect(next.status).toBe(202);
    expect((await pollReport(server, ((await next.json()) as any).report_id, KEY)).at(-1).status).toBe("done");
  }, 60_000);

  it("a client that disconnects mid-turn aborts the turn: the thread takes the next message", async () => {
    source.close();
    const response = await post(`/api/threads/${threadId}/messages`, { body: { content: "summarize the last 5 sessions" } });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read();
    await source.untilWaiting();
    await reader.cancel();
    // The server sees the connection close and aborts the turn; the thread is free again.
    let status = 409;
    for (let i = 0; i < 100 && status === 409; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const probe = await post(`/api/threads/${threadId}/messages`, { body: { content: "which pattern affects most sessions?" } });
      status = probe.status;
      if (status === 200) expect((await readSse(probe)).events.at(-1)?.event).toBe("final");
      else await probe.body?.cancel();
    }
    expect(status).toBe(200);
    // The turn's report run was aborted too: the project's one run slot is free while the gate is still closed.
    const next = await post("/api/reports", { body: { filter: { limit: 5 } } });
    expect(next.status).toBe(202);
    source.open();
    expect((await pollReport(server, ((await next.json()) as any).report_id, KEY)).at(-1).status).toBe("done");
    expect((await server.json("GET", "/healthz")).status).toBe(200);
  }, 60_000);
});

describe("a server shutting down", () => {
  it("answers a new report with 503 closed once its report service is closed", async () => {
    const closing = await startTestServer({ dataDir: dir.dir, apiKeys: `${KEY}=shop`, dataset: SAMPLE });
    try {
      await closing.server.services.runs.close();
      await expectError(await closing.request("POST", "/api/reports", { key: KEY, body: { filter: { limit: 2 } } }), 503, "closed", /shutting down/);
    } finally {
      await closing.close();
    }
  });
});

describe("unexpected errors", () => {
  it("answer 500 with a generic message, are logged with their details, and leave the server up", async () => {
    const logged = memoryLogger();
    const broken = await startTestServer({
      dataDir: dir.dir,
      apiKeys: `${KEY}=broken`,
      dataset: SAMPLE,
      server: {
        sourceFor: () => {
          throw new Error("the disk under /srv/secret-path is on fire");
        },
        logger: logged.logger,
      },
    });
    try {
      const created = await broken.json("POST", "/api/threads", { key: KEY });
      expect(created.status).toBe(201);
      for (const response of [
        await broken.request("GET", `/api/threads/${created.body.thread_id}`, { key: KEY }),
        await broken.request("POST", `/api/threads/${created.body.thread_id}/messages`, { key: KEY, body: { content: "summarize the last 2 sessions" } }),
      ]) {
        expect(response.status).toBe(500);
        const body = (await response.json()) as any;
        expect(body.error.code).toBe("internal_error");
        expect(body.error.message).not.toContain("secret-path");
      }
      expect(logged.text()).toContain("the disk under /srv/secret-path is on fire");
      expect((await broken.json("GET", "/healthz")).status).toBe(200);
    } finally {
      await broken.close();
    }
  });

  it("a report run or a chat turn failing unexpectedly reports a generic error; the details go to the log", async () => {
    const logged = memoryLogger();
    const secret = "connection to db.internal:5432 refused for /srv/secret-path";
    const failingSource = CountingSource.ofDataset(SAMPLE);
    failingSource.listSessions = async () => {
      throw new Error(secret);
    };
    const chatModel = new ScriptedToolChatModel({ role: "chat", script: () => ({ error: new Error(secret) }) });
    const failing = await startTestServer({
      dataDir: dir.dir,
      apiKeys: `${KEY}=failing`,
      dataset: SAMPLE,
      server: { sourceFor: () => failingSource, models: { factory: ({ role }) => (role === "chat" ? chatModel : undefined) }, logger: logged.logger },
    });
    try {
      const started = await failing.json("POST", "/api/reports", { key: KEY, body: { filter: { limit: 2 } } });
      expect(started.status).toBe(202);
      const last = (await pollReport(failing, started.body.report_id, KEY)).at(-1);
      expect(last.status).toBe("failed");
      expect(last.error.code).toBe("run_failed");
      expect(JSON.stringify(last)).not.toContain("secret-path");

      const thread = (await failing.json("POST", "/api/threads", { key: KEY })).body.thread_id;
      const turn = await failing.chat(thread, "hello", KEY);
      const error = turn.events.at(-1)!;
      expect(error.event).toBe("error");
      expect(error.json.code).toBe("chat_failed");
      expect(error.json.message).not.toContain("secret-path");

      const run = logged.entries.find((entry) => entry.msg === "report run failed");
      expect(run).toMatchObject({ project: "failing", report: started.body.report_id, err: { message: secret } });
      const chat = logged.entries.find((entry) => entry.msg === "chat turn failed");
      expect(chat).toMatchObject({ thread: `failing/chat/${thread}`, err: { message: secret } });
    } finally {
      await failing.close();
    }
  });
});
