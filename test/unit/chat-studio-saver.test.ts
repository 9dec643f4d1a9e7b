import { describe, expect, it } from "vitest";
import { emptyCheckpoint } from "@langchain/langgraph";
import { RecentThreadsSaver } from "../../graph/studio.ts";

/** The Studio chat's report runs keep their checkpoints in memory: only the newest threads stay. */
describe("RecentThreadsSaver", () => {
  it("keeps the checkpoints of the newest threads only", async () => {
    const saver = new RecentThreadsSaver(2);
    const put = (thread: string) => saver.put({ configurable: { thread_id: thread, checkpoint_ns: "" } }, { ...emptyCheckpoint(), id: `${thread}-${Math.random()}` }, { source: "input", step: -1, parents: {} });
    await put("r1");
    await put("r2");
    await put("r2");
    expect(Object.keys(saver.storage).sort()).toEqual(["r1", "r2"]);
    await put("r3");
    expect(Object.keys(saver.storage).sort()).toEqual(["r2", "r3"]);
    expect(await saver.getTuple({ configurable: { thread_id: "r1", checkpoint_ns: "" } })).toBeUndefined();
    expect(await saver.getTuple({ configurable: { thread_id: "r3", checkpoint_ns: "" } })).toBeDefined();
  });
});
