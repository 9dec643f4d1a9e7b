import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStudio, type StudioServer } from "../../src/cli/studio.ts";

let studio: StudioServer;
const log: string[] = [];

beforeAll(async () => {
  // The dev server (in memory) over langgraph.json, the graphs on the committed sample dataset, offline.
  studio = await startStudio({ env: { SESSION_SUMMARIES_DATASET: "examples/sample", SESSION_SUMMARIES_VALIDATE: "off" }, log: (chunk) => log.push(chunk) });
}, 120_000);
afterAll(async () => {
  await studio?.close();
});

describe("npm run studio: the LangGraph dev server", () => {
  it("serves the three graphs, and the official SDK streams a run of the report graph on a thread", async () => {
    const client = new Client({ apiUrl: studio.url });
    const assistants = await client.assistants.search({ limit: 10 });
    expect(assistants.map((a) => a.graph_id).sort()).toEqual(["chat", "session", "summarize"]);

    const thread = await client.threads.create();
    const events: Array<{ event: string; data: unknown }> = [];
    for await (const chunk of client.runs.stream(thread.thread_id, "summarize", {
      input: { report_id: "studio-sdk", title: "Studio", selection: { limit: 3 } },
      // Not `streamSubgraphs`: with "values" it fails inside langgraph-api 2.0.0 (preprocessDebugCheckpoint,
      // "Cannot read properties of undefined (reading 'map')"); the sessions' custom events arrive without it.
      streamMode: ["custom", "updates", "values"],
    })) {
      events.push(chunk as { event: string; data: unknown });
    }
    const kinds = events.map((e) => e.event.split("|")[0]);
    expect(kinds[0]).toBe("metadata");
    expect(events.filter((e) => e.event === "error")).toEqual([]);
    const custom = events.filter((e) => e.event.startsWith("custom")).map((e) => (e.data as { kind: string }).kind);
    expect(custom[0]).toBe("sessions_resolved");
    expect(custom.filter((k) => k === "session_done")).toHaveLength(3);
    expect(custom.at(-1)).toBe("report_ready");
    expect(events.some((e) => e.event.startsWith("updates"))).toBe(true);
    const last = events.filter((e) => e.event === "values").at(-1)!.data as { report_key?: string; session_results: unknown[] };
    expect(last.report_key).toBe("studio/reports/studio-sdk");
    expect(last.session_results).toHaveLength(3);

    // The run's end state is the thread's state on the server.
    const state = await client.threads.getState<{ report_key?: string }>(thread.thread_id);
    expect(state.values.report_key).toBe("studio/reports/studio-sdk");
  }, 120_000);

  it("runs the chat graph: the offline chat's summarize_sessions runs the report graph as a subgraph, whose nodes stream inside the chat run", async () => {
    const client = new Client({ apiUrl: studio.url });
    const thread = await client.threads.create();
    const events: Array<{ event: string; data: unknown }> = [];
    for await (const chunk of client.runs.stream(thread.thread_id, "chat", {
      input: { messages: [{ role: "user", content: "summarize the last 2 sessions" }] },
      streamMode: ["updates", "custom"],
      streamSubgraphs: true,
    })) {
      events.push(chunk as { event: string; data: unknown });
    }
    expect(events.filter((e) => e.event === "error")).toEqual([]);
    // `updates|make_report:<task>` carries the report graph's nodes; `…|session:<task>` the session subgraph's.
    const nodesIn = (prefix: string) =>
      new Set(
        events
          .filter(
            (e) =>
              e.event.startsWith("updates|") &&
              e.event
                .split("|")
                .slice(1)
                .map((part) => part.split(":")[0])
                .join("/") === prefix,
          )
          .flatMap((e) => Object.keys(e.data as object)),
      );
    expect([...nodesIn("make_report")]).toEqual(expect.arrayContaining(["resolve_sessions", "gather", "build_report"]));
    expect([...nodesIn("make_report/session")]).toEqual(expect.arrayContaining(["load", "finalize"]));
    const chatNodes = new Set(events.filter((e) => e.event === "updates").flatMap((e) => Object.keys(e.data as object)));
    expect([...chatNodes]).toEqual(expect.arrayContaining(["agent", "tools", "make_report"]));
    const custom = events.filter((e) => e.event.startsWith("custom")).map((e) => (e.data as { kind: string }).kind);
    expect(custom).toContain("report_ready");

    const state = await client.threads.getState<{ messages: Array<{ type: string; content: string }>; report?: { report_id: string; sessions_summarized: number } }>(thread.thread_id);
    expect(state.values.messages.map((m) => m.type)).toEqual(["human", "ai", "tool", "ai"]);
    expect(state.values.report?.sessions_summarized).toBe(2);
    expect(state.values.messages.at(-1)!.content).toContain(`Report ${state.values.report!.report_id} is ready: 2 sessions summarized`);
  }, 120_000);
});
