import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelFactory } from "../../src/llm/models.ts";
import { ScriptedChatModel, type ScriptedCall, type ScriptedReply } from "../fakes/scripted-model.ts";
import { assignmentsFromPrompt, assignmentsYaml, extractAssignYamlFromPrompt, patternsYaml, scriptByPurpose, summariesYamlFromBatchPrompt, summaryYamlFromPrompt } from "../fakes/responses.ts";
import { DATASET, readSse, startTestServer, tempDir, type SseEvent, type TestServer } from "./server-client.ts";

/**
 * Issue 16 item 5, early answers: with a model summarizing, triage reads every session before any
 * model call, and the reports API and the chat stream its issues at once, marked preliminary, until
 * the report replaces them. The summarizer's answers wait behind a gate the test opens once the
 * preliminary issues are in, so "before the model read a session" is a fact of the run, not a race.
 */

const KEY = "prelim-key-000000001";
const OTHER_KEY = "prelim-other-key-0001";
const PATTERNS = [{ pattern_name: "Errors stop the user", severity: "high" as const }];
/** Latency of every summarizer answer once the gate is open, like a real model's. */
const SUMMARY_LATENCY_MS = 300;

let dir: { dir: string; remove(): Promise<void> };
let server: TestServer;
let gate = openGate();

function openGate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const summarize = async (call: ScriptedCall, answer: (prompt: string) => string): Promise<ScriptedReply> => {
  await gate.opened;
  return { text: answer(call.human), latencyMs: SUMMARY_LATENCY_MS };
};

const script = scriptByPurpose({
  summarize: (call) => summarize(call, (prompt) => summaryYamlFromPrompt(prompt)),
  summarize_batch: (call) => summarize(call, (prompt) => summariesYamlFromBatchPrompt(prompt)),
  extract: () => patternsYaml(PATTERNS),
  combine: () => patternsYaml(PATTERNS),
  assign: (call) => assignmentsYaml(assignmentsFromPrompt(call.human)),
  extract_assign: (call) => extractAssignYamlFromPrompt(call.human, PATTERNS),
});

/** The summarizer and reasoner are scripted models; the chat is the offline agent (its routing is not under test). */
const factory: ModelFactory = ({ role, spec }) => (spec.provider === "heuristic" ? undefined : new ScriptedChatModel({ script, role }));

beforeAll(async () => {
  dir = await tempDir("server-preliminary-");
  server = await startTestServer({
    dataDir: dir.dir,
    apiKeys: `${KEY}=shop,${OTHER_KEY}=blog`,
    dataset: DATASET,
    env: { OPENAI_API_KEY: "unused", SESSION_SUMMARIES_CHAT: "heuristic" },
    server: { models: { factory } },
  });
});
afterAll(async () => {
  gate.open();
  await server?.close();
  await dir?.remove();
});

function expectPreliminaryList(list: any): void {
  expect(list).toMatchObject({ preliminary: true, source: "triage", note: "preliminary (from triage, before any model reads the sessions)" });
  expect(list.sessions_with_signals).toBeGreaterThan(0);
  expect(list.issues.length).toBeGreaterThan(0);
  for (const issue of list.issues) {
    expect(issue).toMatchObject({ preliminary: true, kind: expect.any(String), description: expect.any(String) });
    expect(issue.sessions).toBeGreaterThan(0);
    expect(issue.example_session_ids.length).toBeGreaterThan(0);
  }
  const counts = list.issues.map((issue: any) => issue.sessions);
  expect(counts).toEqual([...counts].sort((a, b) => b - a));
}

describe("early answers: preliminary issues from triage", () => {
  it("the reports API streams a preliminary event before any session is summarized, and the report replaces it", async () => {
    gate = openGate();
    const startedAt = Date.now();
    const started = await server.json("POST", "/api/reports", { key: KEY, body: { filter: { has_exception: true, limit: 6 }, title: "Early answers" } });
    expect(started.status).toBe(202);
    const id = encodeURIComponent(started.body.report_id);

    // Another project's key does not reach the run.
    expect((await server.request("GET", `/api/reports/${id}/events`, { key: OTHER_KEY })).status).toBe(404);

    let firstPreliminaryMs: number | undefined;
    let duringRun: Promise<[{ status: number; body: any }, Response]> | undefined;
    const response = await server.request("GET", `/api/reports/${id}/events`, { key: KEY });
    const stream = await readSse(response, (event) => {
      if (event.event !== "preliminary" || duringRun) return;
      firstPreliminaryMs = Date.now() - startedAt;
      // The status while the run waits on the model: the same list; then the model may answer.
      duringRun = Promise.all([server.json("GET", `/api/reports/${id}`, { key: KEY }), server.request("GET", `/reports/${id}?key=${KEY}`)]).finally(() => gate.open());
    });
    gate.open();
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const names = stream.events.map((event) => event.event);
    expect(names).not.toContain("error");
    expect(names.at(-1)).toBe("done");
    const firstPreliminary = names.indexOf("preliminary");
    expect(firstPreliminary).toBeGreaterThanOrEqual(0);
    // Every progress event before the first preliminary one had no session summarized yet.
    for (const event of stream.events.slice(0, firstPreliminary)) if (event.event === "progress") expect(event.json.sessions_done).toBe(0);
    for (const event of stream.events.filter((e) => e.event === "preliminary")) expectPreliminaryList(event.json);

    const [status, page] = await duringRun!;
    expect(status.status).toBe(200);
    expect(status.body.status).toBe("running");
    expect(status.body.progress.sessions_done).toBe(0);
    expectPreliminaryList(status.body.preliminary_issues);
    expect(status.body.report).toBeUndefined();
    // The report page of a run under way lists them too, under the same warning.
    expect(page.status).toBe(202);
    expect(await page.text()).toContain("<h2>Preliminary issues (from triage, before any model reads the sessions):");

    const done = stream.events.at(-1)!.json;
    expect(done.status).toBe("done");
    expect(done.preliminary_issues).toBeUndefined();
    expect(done.report.id).toBe(started.body.report_id);
    expect(done.report.patterns.length).toBeGreaterThan(0);
    const final = await server.json("GET", `/api/reports/${id}`, { key: KEY });
    expect(final.body.status).toBe("done");
    expect(final.body.preliminary_issues).toBeUndefined();
    expect(final.body.report.id).toBe(started.body.report_id);

    // A finished run's stream is its outcome at once.
    const again = await readSse(await server.request("GET", `/api/reports/${id}/events`, { key: KEY }));
    expect(again.events.map((event) => event.event)).toEqual(["done"]);

    console.log(
      `reports API: first preliminary event ${firstPreliminaryMs} ms after POST /api/reports; ${names.filter((n) => n === "preliminary").length} preliminary events, then ${names.length - firstPreliminary - 1} more events to done`,
    );
    console.log(`example SSE lines:\n${sseLines(stream.events.find((e) => e.event === "preliminary")!)}\n${sseLines(stream.events.at(-1)!).slice(0, 200)}…`);
  }, 120_000);

  it("the chat streams the preliminary issues before the report's answer, marked preliminary", async () => {
    gate = openGate();
    const created = await server.json("POST", "/api/threads", { key: KEY });
    expect(created.status).toBe(201);
    const startedAt = Date.now();
    let firstPreliminaryMs: number | undefined;
    // Six of them were summarized by the first test: cached sessions skip triage, the six others are triaged.
    const stream = await server.chat(created.body.thread_id, "summarize the last 12 sessions with errors", KEY, (event) => {
      if (event.event !== "preliminary" || firstPreliminaryMs !== undefined) return;
      firstPreliminaryMs = Date.now() - startedAt;
      gate.open();
    });
    gate.open();
    const names = stream.events.map((event) => event.event);
    expect(names).not.toContain("error");
    const firstPreliminary = names.indexOf("preliminary");
    expect(firstPreliminary).toBeGreaterThan(names.indexOf("tool_call"));
    expect(firstPreliminary).toBeLessThan(names.indexOf("tool_result"));
    expect(names.at(-1)).toBe("final");
    for (const event of stream.events.filter((e) => e.event === "preliminary")) {
      expectPreliminaryList(event.json);
      expect(event.json.message).toMatch(/^Preliminary issues \(from triage, before any model reads the sessions\): \d+ in \d+ sessions?: /);
    }
    // None after the report is ready: the answer comes from the report.
    const ready = stream.events.findIndex((e) => e.event === "progress" && e.json.stage === "done");
    expect(ready).toBeGreaterThan(firstPreliminary);
    expect(names.slice(ready)).not.toContain("preliminary");
    const final = stream.events.at(-1)!.json;
    expect(final.report_id).toEqual(expect.any(String));
    expect(final.message).toContain(PATTERNS[0]!.pattern_name);

    console.log(`chat: first preliminary event ${firstPreliminaryMs} ms after the message was posted`);
    console.log(`example SSE lines:\n${sseLines(stream.events[firstPreliminary]!)}`);
  }, 120_000);
});

function sseLines(event: SseEvent): string {
  return `event: ${event.event}\ndata: ${event.data}`;
}
