import { Annotation, END, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph";
import { expect } from "vitest";
import type { Checkpointer } from "../../src/store/checkpointer.ts";

/** Two nodes: `count` adds one visit (and counts its own calls), `finish` records what it saw. */
const CountingState = Annotation.Root({
  visits: Annotation<number>({ reducer: (total, added) => total + added, default: () => 0 }),
  log: Annotation<string[]>({ reducer: (all, added) => all.concat(added), default: () => [] }),
});

export function buildCountingGraph(saver: BaseCheckpointSaver) {
  const calls = { count: 0 };
  const graph = new StateGraph(CountingState)
    .addNode("count", () => {
      calls.count += 1;
      return { visits: 1, log: ["count"] };
    })
    .addNode("finish", (state) => ({ log: [`finish after ${state.visits}`] }))
    .addEdge(START, "count")
    .addEdge("count", "finish")
    .addEdge("finish", END)
    .compile({ checkpointer: saver });
  return { graph, calls };
}

/**
 * Runs the graph on one thread, "restarts" (closes, opens a new checkpointer on the same file or
 * URL), and checks the thread's state came back and a second run continues from it.
 */
export async function expectStatePersistsAcrossRestart(open: () => Promise<Checkpointer>, threadId: string): Promise<void> {
  const config = { configurable: { thread_id: threadId } };
  const first = await open();
  const before = buildCountingGraph(first.saver);
  expect(await before.graph.invoke({}, config)).toEqual({ visits: 1, log: ["count", "finish after 1"] });
  expect(before.calls.count).toBe(1);
  await first.close();
  await first.close();

  const second = await open();
  try {
    const after = buildCountingGraph(second.saver);
    const state = await after.graph.getState(config);
    expect(state.values).toEqual({ visits: 1, log: ["count", "finish after 1"] });
    expect(state.next).toEqual([]);
    expect(await after.graph.invoke({}, config)).toEqual({
      visits: 2,
      log: ["count", "finish after 1", "count", "finish after 2"],
    });
    expect(after.calls.count).toBe(1);
    const untouched = await after.graph.getState({ configurable: { thread_id: `${threadId}-other` } });
    expect(untouched.values).toEqual({});
  } finally {
    await second.close();
  }
}
