import { fileURLToPath } from "node:url";
import { MemorySaver } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline, type Pipeline } from "../../graph/pipeline.ts";
import { ANSWER_QUESTION_SYSTEM, questionAnswerSchemaFor } from "../../prompts/answer-question.ts";
import { readConfig } from "../../src/config/env.ts";
import type { MonitorQuestion } from "../../src/domain/monitor.ts";
import { ReportSchema, type Report } from "../../src/domain/report.ts";
import { UNTRUSTED_DATA_NOTICE } from "../../src/encode/index.ts";
import { createPipelineAnalyst } from "../../src/llm/model-analyst.ts";
import { parseStructured } from "../../src/llm/structured/parse.ts";
import { summaryCacheLabels } from "../../src/store/cache-labels.ts";
import { answerQuestions, OFFLINE_QUESTION_NOTE, QuestionError } from "../../src/service/watch/question.ts";
import type { QuestionAnswerer } from "../../src/service/watch/sweeper.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import { MemoryBlobStore } from "../../src/store/memory-blob-store.ts";
import { assignmentsFromPrompt, assignmentsYaml, extractAssignYamlFromPrompt, eventIdsIn, eventRowsIn, MALFORMED, patternsYaml, purposeOf, summaryYamlFromPrompt, toYaml } from "../fakes/responses.ts";
import { providerError, ScriptedChatModel, type ScriptedCall, type ScriptedReply } from "../fakes/scripted-model.ts";

/** What the sweeper is given: a type error here means the two disagree. */
const sweeperAnswerer: QuestionAnswerer = answerQuestions;

const SAMPLE = fileURLToPath(new URL("../../examples/sample", import.meta.url));

/** How the question prompts are answered in the current test; the report's prompts are answered by the usual fakes. */
let answerQuestion: (call: ScriptedCall) => ScriptedReply | Promise<ScriptedReply> = () => ({ error: new Error("no question script") });
const log: ScriptedCall[] = [];
let pipeline: Pipeline;
let report: Report;

function script(call: ScriptedCall): ScriptedReply | Promise<ScriptedReply> {
  if (call.system === ANSWER_QUESTION_SYSTEM) return answerQuestion(call);
  switch (purposeOf(call.messages)) {
    case "summarize":
      return summaryYamlFromPrompt(call.human);
    case "extract":
    case "combine":
      return patternsYaml([{ pattern_name: "Errors on the page", severity: "high" }]);
    case "assign":
      return assignmentsYaml(assignmentsFromPrompt(call.human));
    case "extract_assign":
      return extractAssignYamlFromPrompt(call.human, [{ pattern_name: "Errors on the page", severity: "high" }]);
    default:
      return { error: new Error("unexpected prompt") };
  }
}

/** The question calls of a test: each test asks its own question, so its conversations are its own. */
function questionCalls(text: string): ScriptedCall[] {
  return log.filter((call) => call.system === ANSWER_QUESTION_SYSTEM && call.human.includes(text));
}

/** The first row of the session's table with an event named `event`, else its first row. */
function rowOf(call: ScriptedCall, event: string): Record<string, string> {
  const rows = eventRowsIn(call.human);
  return rows.find((row) => row.event === event) ?? rows[0]!;
}

beforeAll(async () => {
  const config = readConfig({ OPENAI_API_KEY: "unused", SESSION_SUMMARIES_MODEL_TIMEOUT_MS: "2000" });
  pipeline = await createPipeline({
    config,
    source: new DatasetSource(SAMPLE),
    blobs: new MemoryBlobStore(),
    checkpointer: new MemorySaver(),
    validation: "off",
    models: { factory: ({ role }) => new ScriptedChatModel({ script, role, log }) },
  });
  const state = await pipeline.graph.invoke({ report_id: "q", title: "Questions", selection: {} }, { configurable: { thread_id: "q" } });
  report = ReportSchema.parse(await pipeline.runtime.blobs.getJson(state.report_key!));
});

afterAll(async () => {
  await pipeline?.close();
});

describe("answering a monitor's question per session", () => {
  it("answers yes/no for every summarized session, citing ids of the same table the summary cites", async () => {
    expect(report.sessions.summarized.length).toBeGreaterThanOrEqual(4);
    const question: MonitorQuestion = { text: "Did the user click anything?", answer: "yes_no" };
    answerQuestion = (call) => {
      const row = rowOf(call, "$autocapture");
      // Unquoted `yes`, as models write it: read as the string yes.
      return `value: yes\nevidence:\n  - event_id: "${row.event_id}"\n    quote: "${row.event} ${row.text ?? ""}"\nexplanation: "A click is in the table."`;
    };
    const result = await answerQuestions(pipeline.runtime, { report, question });

    expect(result.skipped).toBeUndefined();
    expect(result.answers.map((a) => a.session_id)).toEqual(report.sessions.summarized);
    const calls = questionCalls(question.text);
    expect(calls).toHaveLength(report.sessions.summarized.length);
    expect(result.usage.model_calls).toBe(calls.length);
    expect(result.usage.input_tokens).toBeGreaterThan(1000);
    const labels = summaryCacheLabels(pipeline.runtime);
    for (const item of result.answers) {
      expect(item.error).toBeUndefined();
      expect(item.answer!.value).toBe("yes");
      expect(item.answer!.evidence).toHaveLength(1);
      // The model's summary, or the offline one of a session triage kept from the model.
      const summary =
        (await pipeline.runtime.summaries.get({ project: pipeline.runtime.project, sessionId: item.session_id, analyst: labels[0]! })) ??
        (await pipeline.runtime.summaries.get({ project: pipeline.runtime.project, sessionId: item.session_id, analyst: labels.at(-1)! }));
      // The session was encoded again exactly as it was summarized: its call's table holds the summary's ids, and the cited one.
      const call = calls.find((c) => eventIdsIn(c.human).includes(summary!.segments[0]!.start_event_id))!;
      expect(call).toBeDefined();
      expect(eventIdsIn(call.human)).toContain(summary!.segments.at(-1)!.end_event_id);
      expect(eventIdsIn(call.human)).toContain(item.answer!.evidence[0]!.event_id);
    }
  });

  it("puts the session in fences as data, notice first, and the question and its tags after it", async () => {
    const question: MonitorQuestion = { text: "Which kind of trouble did the user meet?", answer: "tags", tags: ["error", "slow", "lost"] };
    answerQuestion = () => toYaml({ value: [], evidence: [], explanation: "Nothing went wrong." });
    const [sessionId] = report.sessions.summarized;
    const result = await answerQuestions(pipeline.runtime, { report, question, focus_area: "sign in", sessionIds: [sessionId!] });
    expect(result.answers).toEqual([{ session_id: sessionId, answer: { value: [], evidence: [], explanation: "Nothing went wrong." } }]);

    const [call] = questionCalls(question.text);
    const human = call!.human;
    expect(human.startsWith(UNTRUSTED_DATA_NOTICE)).toBe(true);
    const lastFenceEnd = human.lastIndexOf("</untrusted_data>");
    expect(human.indexOf('<untrusted_data name="events">')).toBeGreaterThan(0);
    expect(human.indexOf('<untrusted_data name="summary">')).toBeGreaterThan(human.indexOf('<untrusted_data name="events">'));
    // The question and the instructions come after every piece of data, outside the fences.
    expect(human.indexOf(question.text)).toBeGreaterThan(lastFenceEnd);
    expect(human.indexOf('Allowed tags: "error", "slow", "lost"')).toBeGreaterThan(lastFenceEnd);
    expect(human.indexOf("Focus area of the team: sign in.")).toBeGreaterThan(lastFenceEnd);
    expect(call!.system).not.toContain(question.text);
  });

  it("refuses tags outside the monitor's list: asks again naming them, then keeps the list's spelling", async () => {
    const question: MonitorQuestion = { text: "Which trouble, from the list?", answer: "tags", tags: ["error", "slow"] };
    answerQuestion = (call) => {
      const row = rowOf(call, "$pageview");
      return call.attempt === 1
        ? toYaml({ value: ["Slow", "annoyed"], evidence: [{ event_id: row.event_id, quote: "page" }], explanation: "x" })
        : toYaml({ value: ["Slow", "slow"], evidence: [{ event_id: row.event_id, quote: "page" }], explanation: "x" });
    };
    const result = await answerQuestions(pipeline.runtime, { report, question });
    for (const item of result.answers) expect(item.answer?.value).toEqual(["slow"]);
    const calls = questionCalls(question.text);
    expect(calls).toHaveLength(2 * report.sessions.summarized.length);
    const repair = calls.find((c) => c.attempt === 2)!;
    expect(repair.messages.at(-1)!.content).toMatch(/"annoyed" is not one of the allowed tags: "error", "slow"/);

    const stubborn: MonitorQuestion = { text: "Which trouble, from the list, again?", answer: "tags", tags: ["error", "slow"] };
    answerQuestion = (call) => toYaml({ value: ["annoyed"], evidence: [{ event_id: rowOf(call, "$pageview").event_id, quote: "" }], explanation: "x" });
    const refused = await answerQuestions(pipeline.runtime, { report, question: stubborn });
    for (const item of refused.answers) {
      expect(item.answer).toBeUndefined();
      expect(item.error).toMatch(/invalid answer after a repair attempt: value.*"annoyed" is not one of the allowed tags/);
    }
    expect(refused.usage.model_calls).toBe(2 * report.sessions.summarized.length);
  });

  it("refuses a score outside 1–5 and accepts the repaired one", async () => {
    const question: MonitorQuestion = { text: "How frustrated was the user, 1 calm to 5 furious?", answer: "score" };
    answerQuestion = (call) => (call.attempt === 1 ? 'value: 7\nevidence: []\nexplanation: "Very."' : 'value: "2"\nevidence: []\nexplanation: "Calm."');
    const result = await answerQuestions(pipeline.runtime, { report, question });
    for (const item of result.answers) expect(item.answer).toEqual({ value: 2, evidence: [], explanation: "Calm." });
    const repair = questionCalls(question.text).find((c) => c.attempt === 2)!;
    expect(repair.messages.at(-1)!.content).toContain("value must be a whole number from 1 to 5");

    const never: MonitorQuestion = { text: "How calm was the user, 1 to 5?", answer: "score" };
    answerQuestion = () => 'value: 0\nexplanation: "None."';
    for (const item of (await answerQuestions(pipeline.runtime, { report, question: never })).answers) expect(item.error).toMatch(/whole number from 1 to 5/);
  });

  it("sends an answer citing an unknown event id back once, naming it; refuses it when it stays", async () => {
    const question: MonitorQuestion = { text: "Did an error show on screen?", answer: "yes_no" };
    answerQuestion = (call) =>
      call.attempt === 1
        ? toYaml({ value: "yes", evidence: [{ event_id: "deadbeef", quote: "an error" }], explanation: "x" })
        : toYaml({ value: "no", evidence: [{ event_id: rowOf(call, "$pageview").event_id, quote: "just pages" }], explanation: "No error row." });
    const result = await answerQuestions(pipeline.runtime, { report, question });
    for (const item of result.answers) {
      expect(item.answer?.value).toBe("no");
      expect(item.answer?.evidence[0]?.event_id).not.toBe("deadbeef");
    }
    const second = questionCalls(question.text).find((c) => c.attempt === 2)!;
    expect(second.messages.at(-1)!.content).toMatch(/event_id "deadbeef", which is not a row of the events table/);

    const invented: MonitorQuestion = { text: "Did an error show on screen, really?", answer: "yes_no" };
    answerQuestion = (call) =>
      toYaml({
        value: "yes",
        evidence: [
          { event_id: "deadbeef", quote: "x" },
          { event_id: rowOf(call, "$pageview").event_id, quote: "y" },
        ],
        explanation: "x",
      });
    const refused = await answerQuestions(pipeline.runtime, { report, question: invented });
    for (const item of refused.answers) {
      expect(item.answer).toBeUndefined();
      expect(item.error).toMatch(/1 of 2 cited event ids are not in the session \(50% > 15%\): deadbeef/);
    }
  });

  it("records a broken answer or a provider error for its session only; the others are answered", async () => {
    const question: MonitorQuestion = { text: "Did the user leave early?", answer: "yes_no" };
    const [broken, failing, ...rest] = report.sessions.summarized;
    let order = 0;
    const roleOfKey = new Map<string, number>();
    // One at a time, in the given order: the first session's conversation is broken, the second's provider fails.
    answerQuestion = (call) => {
      if (!roleOfKey.has(call.key)) roleOfKey.set(call.key, order++);
      const position = roleOfKey.get(call.key)!;
      if (position === 0) return MALFORMED.yaml;
      if (position === 1) return { error: providerError(400, "Bad Request") };
      return toYaml({ value: "unknown", evidence: [], explanation: "The events do not say." });
    };
    const result = await answerQuestions(pipeline.runtime, { report, question, sessionIds: [broken!, failing!, ...rest, "not-in-the-report"] }, { concurrency: 1 });
    expect(result.answers.map((a) => a.session_id)).toEqual([broken, failing, ...rest]);
    expect(result.answers[0]!.error).toMatch(/answer to the question for session .*: invalid answer after a repair attempt: invalid YAML/);
    expect(result.answers[1]!.error).toMatch(/Bad Request/);
    for (const item of result.answers.slice(2)) expect(item.answer).toEqual({ value: "unknown", evidence: [], explanation: "The events do not say." });
    // Both calls of the broken one count (the repair included); the provider's refusal reported no usage.
    expect(result.usage.model_calls).toBe(2 + rest.length);
    expect(questionCalls(question.text)).toHaveLength(2 + 1 + rest.length);
  });

  it("asks at most `concurrency` sessions at once", async () => {
    const question: MonitorQuestion = { text: "Did the user scroll?", answer: "yes_no" };
    let inFlight = 0;
    let most = 0;
    answerQuestion = async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 40));
      inFlight -= 1;
      return 'value: "no"\nevidence: []\nexplanation: "No."';
    };
    const result = await answerQuestions(pipeline.runtime, { report, question }, { concurrency: 2 });
    expect(result.answers.every((a) => a.answer?.value === "no")).toBe(true);
    expect(most).toBe(2);
  });

  it("stops when the run is stopped: nothing more is asked", async () => {
    const before = log.length;
    const stopped = AbortSignal.abort(new Error("run stopped"));
    await expect(sweeperAnswerer(pipeline.runtime, { report, question: { text: "Did the user sign out?", answer: "yes_no" } }, { signal: stopped })).rejects.toThrow("run stopped");
    expect(log.length).toBe(before);
  });

  it("asks nothing of the offline analyst, and says why", async () => {
    const offline = { ...pipeline.runtime, analyst: createPipelineAnalyst(readConfig({})) };
    expect(offline.analyst.answerQuestion).toBeUndefined();
    const before = log.length;
    const result = await answerQuestions(offline, { report, question: { text: "Did the user sign in?", answer: "yes_no" } });
    expect(result).toEqual({ answers: [], usage: { model_calls: 0, input_tokens: 0, output_tokens: 0 }, skipped: OFFLINE_QUESTION_NOTE });
    expect(result.skipped).toMatch(/^the question was not asked: the offline analyst does not answer questions; configure a model/);
    expect(log.length).toBe(before);
  });

  it("refuses a question that is not a valid monitor question before asking anything", async () => {
    const before = log.length;
    await expect(answerQuestions(pipeline.runtime, { report, question: { text: "Which?", answer: "tags", tags: [] } })).rejects.toThrow(QuestionError);
    await expect(answerQuestions(pipeline.runtime, { report, question: { text: "Which?", answer: "tags", tags: [] } })).rejects.toThrow(/question of report q cannot be asked: tags: /);
    expect(log.length).toBe(before);
  });
});

describe("the answer schema", () => {
  const yesNo = questionAnswerSchemaFor({ text: "Did it fail?", answer: "yes_no" });

  it("reads true as yes and an uppercase No as no, and lowercases cited ids", () => {
    expect(parseStructured("value: true\nevidence:\n  - event_id: 0A1B2C3D\n    quote: x\nexplanation: y", yesNo)).toEqual({
      ok: true,
      value: { value: "yes", evidence: [{ event_id: "0a1b2c3d", quote: "x" }], explanation: "y" },
    });
    expect(parseStructured('value: "No"\nexplanation: "none"', yesNo)).toEqual({ ok: true, value: { value: "no", evidence: [], explanation: "none" } });
  });

  it("refuses a yes or a chosen tag without evidence, and an answer outside the kind", () => {
    expect(parseStructured('value: "yes"\nevidence: []\nexplanation: "x"', yesNo)).toMatchObject({ ok: false, errors: [expect.stringMatching(/^evidence: "yes" needs at least one event_id/)] });
    expect(parseStructured('value: "maybe"\nexplanation: "x"', yesNo)).toMatchObject({ ok: false, errors: [expect.stringContaining('value must be "yes", "no" or "unknown"')] });
    const tags = questionAnswerSchemaFor({ text: "Which?", answer: "tags", tags: ["a", "b"] });
    expect(parseStructured('value: ["a"]\nexplanation: "x"', tags)).toMatchObject({ ok: false, errors: [expect.stringMatching(/chosen tags" needs at least one event_id/)] });
    const score = questionAnswerSchemaFor({ text: "How much?", answer: "score" });
    expect(parseStructured("value: 3.5\nexplanation: x", score)).toMatchObject({ ok: false, errors: [expect.stringContaining("whole number from 1 to 5")] });
  });
});
