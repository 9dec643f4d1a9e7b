import { tool } from "@langchain/core/tools";
import { z } from "zod";
import type { Monitor, MonitorQuestion, SessionAnswer } from "../src/domain/monitor.ts";
import { fenceUntrusted } from "../src/encode/fence.ts";
import type { WatchStore } from "../src/watch/store/types.ts";
import { failureText, nowOf, oneLine, percent, type ChatToolContext } from "./context.ts";
import { pickMonitor, plural } from "./watch-common.ts";
import { resolveSince, type ResolvedDate } from "./watch-dates.ts";

/** Example sessions shown per monitor: enough to open a few replays, short enough for a chat answer. */
const MAX_EXAMPLES = 3;
/** The period when none is given: a week is what "lately" means for most questions. */
const DEFAULT_SINCE = "7 days";

export const QuestionStatsInput = z.object({
  monitor: z.string().min(1).max(200).optional().describe("Only this monitor: its name or id; default every monitor of the project that asks a question"),
  since: z.string().min(1).max(100).optional().describe(`From when: an ISO date or words resolved against today ("Monday", "this week", "7 days"); default the last ${DEFAULT_SINCE}`),
});

/** How the sessions answered the monitors' own questions: yes counts and rate, tag counts or mean score, with example sessions and their evidence. */
export function makeQuestionStatsTool(context: ChatToolContext, store: WatchStore) {
  return tool(
    async (input): Promise<string> => {
      try {
        const monitors = await store.listMonitors(context.project);
        const picked = input.monitor === undefined ? undefined : pickMonitor(monitors, input.monitor);
        if (typeof picked === "string") return picked;
        const asking = (picked ? [picked] : monitors).filter((m): m is Monitor & { question: MonitorQuestion } => m.question !== undefined);
        if (asking.length === 0) {
          return picked
            ? `Monitor ${JSON.stringify(oneLine(picked.name, 60))} asks no question of its sessions.`
            : "No monitor of this project asks a question of its sessions: add one with a question (yes/no, tags or a 1–5 score) to get answers.";
        }
        const since = resolveSince(input.since ?? DEFAULT_SINCE, nowOf(context));
        const parts: string[] = [];
        for (const monitor of asking) parts.push(await monitorStats(store, context.project, monitor, since));
        return parts.join("\n\n");
      } catch (error) {
        return `Could not read the answers: ${failureText(context, "question_stats", error)}`;
      }
    },
    {
      name: "question_stats",
      description:
        "How sessions answered the question a monitor asks of every session, since a date: yes count and rate (yes/no questions), tag counts (tags), mean score (1–5), " +
        'with example session ids and evidence. Use it for "how many sessions said yes to my question this week?".',
      schema: QuestionStatsInput,
    },
  );
}

async function monitorStats(store: WatchStore, project: string, monitor: Monitor & { question: MonitorQuestion }, since: ResolvedDate): Promise<string> {
  const question = monitor.question;
  const all = await store.listAnswers(project, monitor.id, { since: since.at.toISOString() });
  // Answers to an earlier wording of the question answered something else: counted apart.
  const answers = all.filter((a) => a.question === question.text);
  const reworded = all.length - answers.length;
  const head = `Monitor ${monitor.id} asks (${question.answer.replace("_", "/")}):`;
  const asked = fenceUntrusted("question", `monitor: ${oneLine(monitor.name, 80)}\nquestion: ${oneLine(question.text, 300)}`);
  const note = reworded > 0 ? ` (left out: ${plural(reworded, "answer")} to an earlier wording of the question)` : "";
  if (answers.length === 0) return `${head}\n${asked}\nNo session answered it since ${since.label}${note}.`;
  const stats = question.answer === "yes_no" ? yesNoStats(answers) : question.answer === "tags" ? tagStats(answers, question.tags) : scoreStats(answers);
  const examples = stats.examples.slice(0, MAX_EXAMPLES).map(exampleLine);
  return (
    `${head}\n${asked}\n${plural(answers.length, "session")} answered since ${since.label}${note}: ${stats.text}` +
    (examples.length ? `\nExamples (${stats.exampleKind}):\n${fenceUntrusted("answers", examples.join("\n"))}` : "")
  );
}

interface Stats {
  text: string;
  examples: SessionAnswer[];
  exampleKind: string;
}

function yesNoStats(answers: SessionAnswer[]): Stats {
  const count = (value: string) => answers.filter((a) => a.answer.value === value).length;
  const [yes, no, unknown] = [count("yes"), count("no"), count("unknown")];
  const decided = yes + no;
  const rate = decided > 0 ? `yes rate ${percent(yes / decided)} (${yes} of the ${decided} that said yes or no)` : "no session said yes or no";
  return {
    text: `${yes} yes, ${no} no, ${unknown} unknown; ${rate}.`,
    examples: answers.filter((a) => a.answer.value === "yes"),
    exampleKind: "sessions that said yes",
  };
}

function tagStats(answers: SessionAnswer[], tags: readonly string[]): Stats {
  const counts = new Map<string, number>(tags.map((t) => [t, 0]));
  let untagged = 0;
  for (const answer of answers) {
    const value = answer.answer.value;
    if (!Array.isArray(value) || value.length === 0) untagged += 1;
    else for (const tag of value) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  const top = ranked[0]?.[0];
  return {
    text: `${ranked.map(([tag, n]) => `${JSON.stringify(oneLine(tag, 60))} ${n}`).join(", ")}; ${untagged} with no tag.`,
    examples: top === undefined ? [] : answers.filter((a) => Array.isArray(a.answer.value) && a.answer.value.includes(top)),
    exampleKind: `sessions tagged ${JSON.stringify(oneLine(top ?? "", 60))}`,
  };
}

function scoreStats(answers: SessionAnswer[]): Stats {
  const scored = answers.filter((a): a is SessionAnswer & { answer: { value: number } } => typeof a.answer.value === "number");
  const mean = scored.length ? scored.reduce((sum, a) => sum + a.answer.value, 0) / scored.length : undefined;
  const spread = [1, 2, 3, 4, 5].map((s) => `${s}: ${scored.filter((a) => a.answer.value === s).length}`).join(", ");
  return {
    text: mean === undefined ? "none gave a score." : `mean score ${mean.toFixed(1)} of 5 over ${plural(scored.length, "scored session")} (${spread}).`,
    examples: [...scored].sort((a, b) => a.answer.value - b.answer.value),
    exampleKind: "lowest scores first",
  };
}

/** `session <id> (<value>): "<quote>"`: the session to open and what supports its answer. */
function exampleLine(answer: SessionAnswer): string {
  const value = Array.isArray(answer.answer.value) ? answer.answer.value.join(", ") : String(answer.answer.value);
  const evidence = answer.answer.evidence.find((e) => e.quote.trim())?.quote ?? answer.answer.explanation;
  return `session ${answer.session_id} (${oneLine(value, 80)}): ${JSON.stringify(oneLine(evidence, 200))}`;
}
