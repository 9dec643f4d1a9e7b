import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("graphs registered in langgraph.json", () => {
  it("load from their paths and run alone, offline, on the bundled sample", async () => {
    const manifest = JSON.parse(await readFile(`${ROOT}/langgraph.json`, "utf8")) as { graphs: Record<string, string> };
    expect(Object.keys(manifest.graphs).sort()).toEqual(["chat", "session", "summarize"]);
    const load = async (name: string) => {
      const [file, exportName] = manifest.graphs[name]!.split(":");
      const module = (await import(`${ROOT}/${file}`)) as Record<string, { invoke(input: unknown): Promise<Record<string, unknown>> }>;
      return module[exportName!]!;
    };
    const session = await load("session");
    const one = (await session.invoke({ session_id: "0192fbc6-ed7a-75d1-8728-6727dca6639a" })) as { session_results: Array<{ status: string; blocking: boolean }> };
    expect(one.session_results).toEqual([expect.objectContaining({ status: "summarized", blocking: true })]);
    const summarize = await load("summarize");
    const report = (await summarize.invoke({ report_id: "studio-test", title: "Studio", selection: { limit: 3 } })) as { report_key: string; session_results: unknown[] };
    expect(report.report_key).toBe("studio/reports/studio-test");
    expect(report.session_results).toHaveLength(3);
    // The chat agent, offline, without a checkpointer: a follow-up before any report says so.
    const chat = await load("chat");
    const turn = (await chat.invoke({ messages: [{ role: "user", content: "show pattern 1" }] })) as { messages: Array<{ content: unknown }> };
    expect(turn.messages.at(-1)!.content).toMatch(/^There is no report in this conversation yet/);
  });
});
