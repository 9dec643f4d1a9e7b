import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipeline } from "../../graph/pipeline.ts";
import { readConfig } from "../../src/config/env.ts";
import { SweepError } from "../../src/service/watch/sweeper.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import type { Checkpointer } from "../../src/store/checkpointer.ts";
import type { FilesystemBlobStore } from "../../src/store/filesystem-blob-store.ts";
import { readReport } from "../../src/store/reports.ts";
import { HOUR_MS } from "../../src/watch/clock.ts";
import { ScriptedChatModel, type ScriptedCall, type ScriptedReply } from "../fakes/scripted-model.ts";
import { assignmentsFromPrompt, assignmentsYaml, extractAssignYamlFromPrompt, eventRowsIn, patternsYaml, purposeOf, summaryYamlFromPrompt, toYaml } from "../fakes/responses.ts";
import { ANSWER_QUESTION_SYSTEM } from "../../prompts/answer-question.ts";
import { expectLifecycle, picks, receiver, setUpWorlds, START, world } from "./watch-world.ts";

let tearDown: () => Promise<void>;
beforeAll(async () => {
  tearDown = await setUpWorlds();
});
afterAll(() => tearDown());

describe("sweeps over sessions that keep arriving (offline analyst, simulated clock, real SQLite)", () => {
  it("tracks one issue that appears, continues, resolves and regresses, and delivers exactly one alert per occasion, retrying a failing receiver", async () => {
    const w = await world("lifecycle");
    try {
      await expectLifecycle(w);
    } finally {
      await w.close();
    }
  });

  it("a problem seen in one session a sweep is a candidate first, then an issue (one new-issue alert) once a second sweep sees it", async () => {
    const hook = await receiver();
    const w = await world("once-a-sweep");
    try {
      const monitorId = await w.monitor({ name: "Shop", alerts: { rules: [{ kind: "new_issue", min_severity: "low" }], channels: [{ kind: "webhook", url: hook.url }], cooldown_minutes: 0 } });
      w.clock.advance(HOUR_MS);
      await w.release([picks.withProblem[0]!, picks.clean[0]!], "s1");
      await w.sweeper.runSweep("acme", monitorId);
      expect(await w.store.listIssues("acme", { monitor_id: monitorId })).toEqual([]);
      const [candidate] = await w.store.listIssues("acme", { monitor_id: monitorId, states: ["candidate"] });
      expect(candidate).toMatchObject({ sessions_total: 1 });
      expect(hook.received).toEqual([]);

      w.clock.advance(HOUR_MS);
      await w.release([picks.withProblem[1 % picks.withProblem.length]!, picks.clean[1]!], "s2");
      await w.sweeper.runSweep("acme", monitorId);
      const visible = await w.store.listIssues("acme", { monitor_id: monitorId });
      expect(visible.find((issue) => issue.id === candidate!.id)).toMatchObject({ state: "new", sessions_total: 2, first_seen: candidate!.first_seen });
      expect(hook.received.filter((r) => r.body.issue_id === candidate!.id).map((r) => r.body.kind)).toEqual(["new_issue"]);
    } finally {
      await w.close();
      await hook.close();
    }
  });

  it("a sweep stopped mid-way is finished by the next run: same sweep, same sessions, each counted once", async () => {
    const w = await world("killed");
    try {
      const monitorId = await w.monitor({ name: "Shop", alerts: { rules: [{ kind: "new_issue", min_severity: "low" }], channels: [], cooldown_minutes: 0 } });
      w.clock.advance(HOUR_MS);
      const problem = Array.from({ length: 4 }, (_, n) => picks.withProblem[n % picks.withProblem.length]!);
      await w.release([...problem, ...picks.clean.slice(0, 4)], "s1");
      const stop = new AbortController();
      const progress: string[] = [];
      await expect(
        w.sweeper.runSweep("acme", monitorId, {
          signal: stop.signal,
          onProgress: (p) => {
            progress.push(p.message);
            if ((p.sessions_done ?? 0) >= 2) stop.abort(new Error("stopped by the test"));
          },
        }),
      ).rejects.toThrow();
      const [stopped] = await w.store.listSweeps("acme", monitorId);
      expect(stopped).toMatchObject({ status: "running", sessions: 0 });
      expect(await w.store.sessionsOfSweep(stopped!.id)).toHaveLength(8);
      expect(await w.store.listIssues("acme")).toEqual([]);

      // More sessions arrive meanwhile: the resumed sweep finishes its own 8, the next one takes the new.
      await w.release(picks.clean.slice(4, 6), "late", 40);
      const resumed = await w.sweeper.runSweep("acme", monitorId, { onProgress: (p) => progress.push(p.message) });
      expect(resumed).toMatchObject({ id: stopped!.id, status: "done", sessions: 8 });
      expect(progress.some((line) => line.startsWith(`Finishing sweep ${stopped!.id}`))).toBe(true);
      const [issue] = await w.store.listIssues("acme", { monitor_id: monitorId });
      expect(issue).toMatchObject({ sessions_total: 4, state: "new" });
      expect(await w.store.issueDays(issue!.id)).toEqual([expect.objectContaining({ sessions: 4 })]);

      const next = await w.sweeper.runSweep("acme", monitorId);
      expect(next).toMatchObject({ status: "done", sessions: 2 });
      expect((await w.store.listSweeps("acme", monitorId)).map((s) => s.status)).toEqual(["done", "done"]);
      expect((await w.store.getIssue("acme", issue!.id))!.sessions_total).toBe(4);
    } finally {
      await w.close();
    }
  });

  it("a failed sweep keeps its sessions: the next run finishes it (no new claims), and a backfill waits for it", async () => {
    let failures = 1;
    const w = await world("failed", {
      answerQuestions: async () => {
        if (failures-- > 0) throw new SweepError("provider_down", "the model provider answered 503");
        return { answers: [], usage: { model_calls: 0, input_tokens: 0, output_tokens: 0 }, skipped: "not asked" };
      },
    });
    try {
      const monitorId = await w.monitor({ name: "Shop", question: { text: "Did the user pay?", answer: "yes_no" } });
      w.clock.advance(HOUR_MS);
      await w.release(picks.clean.slice(0, 3), "s1");
      await expect(w.sweeper.runSweep("acme", monitorId)).rejects.toThrow(/answered 503/);
      const [failed] = await w.store.listSweeps("acme", monitorId);
      expect(failed).toMatchObject({ status: "failed", message: "the model provider answered 503" });
      await expect(w.sweeper.backfill("acme", monitorId, { since: START.toISOString() })).rejects.toThrow(/has an unfinished sweep/);

      await w.release(picks.clean.slice(3, 4), "s2", 40);
      const finished = await w.sweeper.runSweep("acme", monitorId);
      expect(finished).toMatchObject({ id: failed!.id, status: "done", sessions: 3 });
      // The watermark moved to its sessions' ends: the late-released one is the next sweep's.
      expect((await w.sweeper.runSweep("acme", monitorId)).sessions).toBe(1);
    } finally {
      await w.close();
    }
  });

  it("takes a session that ended before the watermark but arrived after it (late ingestion), once", async () => {
    const w = await world("late");
    try {
      const monitorId = await w.monitor({ name: "Shop" });
      w.clock.advance(3 * HOUR_MS);
      await w.release(picks.clean.slice(0, 2), "s1", 40);
      expect((await w.sweeper.runSweep("acme", monitorId)).sessions).toBe(2);
      // Ended two hours ago (before the watermark), but only now in the source.
      await w.release(picks.clean.slice(2, 3), "late", 120);
      expect((await w.sweeper.runSweep("acme", monitorId)).sessions).toBe(1);
      expect((await w.sweeper.runSweep("acme", monitorId)).status).toBe("nothing_new");
    } finally {
      await w.close();
    }
  });

  it("does not send again, sweep after sweep, an alert a receiver refused for good (404)", async () => {
    const gone = await receiver([404]);
    const w = await world("refused");
    try {
      const monitorId = await w.monitor({ name: "Shop", alerts: { rules: [{ kind: "new_issue", min_severity: "low" }], channels: [{ kind: "webhook", url: gone.url }], cooldown_minutes: 0 } });
      w.clock.advance(HOUR_MS);
      const problem = [0, 1].map((n) => picks.withProblem[n % picks.withProblem.length]!);
      await w.release(problem, "s1");
      await w.sweeper.runSweep("acme", monitorId);
      for (let n = 2; n < 4; n++) {
        w.clock.advance(HOUR_MS);
        await w.release(picks.clean.slice(n, n + 1), `s${n}`);
        await w.sweeper.runSweep("acme", monitorId);
      }
      expect(gone.requests()).toBe(1);
      const [alert] = await w.store.listAlerts("acme", { monitor_id: monitorId });
      expect((await w.store.attempts(alert!.id)).map((a) => [a.ok, a.status])).toEqual([[false, 404]]);
    } finally {
      await w.close();
      await gone.close();
    }
  });

  it("a monitor never backfills on its own; backfill --since shows its estimate (dry run) and then takes the older sessions once", async () => {
    const w = await world("backfill");
    try {
      await w.release(picks.clean.slice(0, 3), "old", 120);
      const monitorId = await w.monitor({ name: "Shop" });
      w.clock.advance(HOUR_MS);
      expect((await w.sweeper.estimateSweep("acme", monitorId)).sessions).toBe(0);
      expect((await w.sweeper.runSweep("acme", monitorId)).status).toBe("nothing_new");

      const since = new Date(START.getTime() - 4 * HOUR_MS).toISOString();
      const dry = await w.sweeper.backfill("acme", monitorId, { since, dryRun: true });
      expect(dry.sweep).toBeUndefined();
      expect(dry.estimate).toMatchObject({ sessions: 3, model_calls: 0, cost_usd: 0, offline: true });
      expect(dry.estimate.note).toMatch(/no model calls, \$0.00/);
      expect(await w.store.listSweeps("acme", monitorId)).toHaveLength(1);

      const done = await w.sweeper.backfill("acme", monitorId, { since });
      expect(done.sweep).toMatchObject({ status: "done", sessions: 3 });
      // The backfill does not move the watermark back before the monitor's creation.
      expect((await w.store.getMonitor("acme", monitorId))!.watermark).toBeUndefined();
      expect((await w.sweeper.backfill("acme", monitorId, { since, dryRun: true })).estimate.sessions).toBe(0);
      // Sessions older than the monitor that show up late are still only a backfill's.
      await w.release(picks.clean.slice(3, 4), "old-too", 150);
      expect((await w.sweeper.runSweep("acme", monitorId)).status).toBe("nothing_new");
      await expect(w.sweeper.backfill("acme", monitorId, { since: "last week" })).rejects.toThrow(/ISO date/);
    } finally {
      await w.close();
    }
  });

  it("keeps projects apart: another project's monitor is not found, and the same sessions count for each project's monitors", async () => {
    const w = await world("projects");
    try {
      const mine = await w.monitor({ name: "Shop" }, "acme");
      const theirs = await w.monitor({ name: "Shop" }, "globex");
      w.clock.advance(HOUR_MS);
      await w.release(picks.clean.slice(0, 2), "s1");
      await expect(w.sweeper.runSweep("globex", mine)).rejects.toThrow(SweepError);
      await expect(w.sweeper.runSweep("globex", mine)).rejects.toThrow(/no monitor .* in project "globex"/);
      expect((await w.sweeper.runSweep("acme", mine)).sessions).toBe(2);
      expect((await w.sweeper.runSweep("globex", theirs)).sessions).toBe(2);
      expect(await w.store.listSweeps("acme", theirs)).toEqual([]);
    } finally {
      await w.close();
    }
  });
});

describe("budgets (scripted model: calls, tokens and cost are real figures of the run)", () => {
  const script = (call: ScriptedCall): ScriptedReply => {
    if (call.system === ANSWER_QUESTION_SYSTEM) {
      // "Did the user see an error?": yes, citing the first exception row, when the session has one.
      const row = eventRowsIn(call.human).find((r) => /exception/i.test(JSON.stringify(r)));
      return row
        ? toYaml({ value: "yes", evidence: [{ event_id: row.event_id, quote: "an error" }], explanation: "An error was thrown." })
        : toYaml({ value: "no", evidence: [], explanation: "No error." });
    }
    switch (purposeOf(call.messages)) {
      case "summarize":
        return summaryYamlFromPrompt(call.human);
      case "extract":
      case "combine":
        return patternsYaml([{ pattern_name: "Add to cart fails", severity: "high" }]);
      case "assign":
        return assignmentsYaml(assignmentsFromPrompt(call.human));
      case "extract_assign":
        return extractAssignYamlFromPrompt(call.human, [{ pattern_name: "Add to cart fails", severity: "high" }]);
      default:
        return { error: new Error("unexpected prompt") };
    }
  };
  const scripted = async (project: string, dataset: string, checkpointer: Checkpointer, blobs: FilesystemBlobStore) =>
    createPipeline({
      // Every session costs a call: the budget figures below count them (triage would keep some offline).
      config: readConfig({ OPENAI_API_KEY: "unused", SESSION_SUMMARIES_TRIAGE: "off" }),
      source: new DatasetSource(dataset),
      project,
      blobs,
      checkpointer: checkpointer.saver,
      validation: "off",
      models: { factory: ({ role }) => new ScriptedChatModel({ script, role }) },
    });

  it("stops at the daily cap: takes what fits, says so in the sweep and once a day on the alert channel, and goes on the next day", async () => {
    const hook = await receiver();
    const w = await world("budget", {}, scripted);
    try {
      const monitorId = await w.monitor({ name: "Shop", budget: { daily_model_calls: 5 }, alerts: { rules: [], channels: [{ kind: "slack", url: hook.url }], cooldown_minutes: 0 } });
      w.clock.advance(HOUR_MS);
      await w.release(picks.clean.slice(0, 6), "s1");
      const estimate = await w.sweeper.estimateSweep("acme", monitorId);
      // Each session is one summarizer call; patterns and their assignment one call (one chunk): 4 sessions fit in 5 calls.
      expect(estimate).toMatchObject({ sessions: 4, over_budget: 2, offline: false });
      expect(estimate.note).toMatch(/daily limit of 5 model calls would be exceeded/);

      const first = await w.sweeper.runSweep("acme", monitorId);
      expect(first).toMatchObject({ status: "budget_reached", sessions: 4 });
      expect(first.model_calls).toBeGreaterThanOrEqual(4);
      expect(first.input_tokens).toBeGreaterThan(0);
      expect(first.cost_usd).toBeGreaterThan(0);
      expect(first.message).toMatch(/took 4 sessions, the rest wait for the budget/);
      // The sweep's report carries the same usage and cost (priced at the default table: gpt-4.1-mini).
      const report = (await readReport(w.blobs, "acme", first.report_id!))!;
      expect(report.cost).toMatchObject({ offline: false, unpriced_models: [] });
      expect(report.cost!.usd).toBeCloseTo(first.cost_usd, 4);
      expect(report.usage.model_calls).toBe(first.model_calls);

      w.clock.advance(HOUR_MS);
      const second = await w.sweeper.runSweep("acme", monitorId);
      expect(second).toMatchObject({ status: "budget_reached", sessions: 0, model_calls: 0 });
      expect(second.message).toMatch(/daily limit of 5 model calls (reached|would be exceeded)/);
      // One budget alert for the day, however many sweeps meet the cap.
      expect(hook.received.map((r) => (r.body as { text?: string }).text)).toEqual([expect.stringMatching(/^Budget reached/)]);

      w.clock.set(new Date("2027-01-05T08:00:00.000Z"));
      const nextDay = await w.sweeper.runSweep("acme", monitorId);
      expect(nextDay).toMatchObject({ status: "done", sessions: 2 });
      expect(await w.store.unclaimed(monitorId, [])).toEqual([]);
      const spent = await w.store.spentOn(monitorId, "2027-01-04");
      expect(spent.model_calls).toBe(first.model_calls);
    } finally {
      await w.close();
      await hook.close();
    }
  });

  it("asks the monitor's question of every session, keeps each answer with its evidence, and alerts when the yes rate crosses the rule", async () => {
    const hook = await receiver();
    const w = await world("question", {}, scripted);
    try {
      const monitorId = await w.monitor({
        name: "Errors",
        question: { text: "Did the user see an error?", answer: "yes_no" },
        alerts: { rules: [{ kind: "yes_rate", ratio: 0.5, window_hours: 24 }], channels: [{ kind: "webhook", url: hook.url, secret_ref: "hook" }], cooldown_minutes: 0, min_sessions: 3 },
      });
      w.clock.advance(HOUR_MS);
      const withError = picks.withProblem.slice(0, 2);
      const ids = await w.release([...withError, ...picks.clean.slice(0, 2)], "s1");
      const sweep = await w.sweeper.runSweep("acme", monitorId);
      expect(sweep).toMatchObject({ status: "done", sessions: 4 });
      // One summarizer call per session for the summary, one more for the question.
      const answers = await w.store.listAnswers("acme", monitorId);
      expect(answers.map((a) => a.session_id).sort()).toEqual([...ids].sort());
      for (const answer of answers) {
        expect(answer).toMatchObject({ sweep_id: sweep.id, question: "Did the user see an error?" });
        if (answer.answer.value === "yes") expect(answer.answer.evidence[0]!.event_id).toMatch(/\S/);
      }
      const yes = answers.filter((a) => a.answer.value === "yes").length;
      expect(yes).toBeGreaterThanOrEqual(withError.length);
      expect(await w.store.yesRate(monitorId, START.toISOString())).toEqual({ yes, sessions: 4 });
      expect(hook.received.map((r) => r.body.kind)).toEqual(["yes_rate"]);
      expect(String((hook.received[0]!.body.payload as { text: string }).text)).toMatch(new RegExp(`^${Math.round((yes / 4) * 100)}% of sessions answered yes \\(${yes} of 4 in 24 h\\)`));
    } finally {
      await w.close();
      await hook.close();
    }
  });
});
