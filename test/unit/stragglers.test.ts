import { describe, expect, it } from "vitest";
import { StragglerWatch } from "../../src/runtime/stragglers.ts";
import { percentile } from "../../src/stats/percentile.ts";

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("the straggler watch of an early gather", () => {
  it("lets a summary go once enough of the run is done and it ran past the others' p90 plus the grace; its work is kept for the join", async () => {
    const watch = new StragglerWatch({ readyRatio: 0.75, graceMs: 20 });
    watch.begin("run", 4);
    const slow = deferred<string>();
    const racing = watch.race("run", "s4", slow.promise);
    for (const id of ["s1", "s2", "s3"]) {
      expect(await watch.race("run", id, Promise.resolve(id))).toEqual({ late: false, value: id });
      watch.finished("run", id, 5);
    }
    expect(await racing).toEqual({ late: true });
    const work = watch.takeLate<string>("run", "s4");
    slow.resolve("late summary");
    expect(await work).toBe("late summary");
    // Taken once: a second join finds nothing (as after a restart).
    expect(watch.takeLate("run", "s4")).toBeUndefined();
    watch.close();
  });

  it("waits for every summary while too few are done, and in a run it did not start", async () => {
    const watch = new StragglerWatch({ readyRatio: 0.95, graceMs: 0 });
    watch.begin("run", 4);
    const slow = deferred<string>();
    const racing = watch.race("run", "s4", slow.promise);
    for (const id of ["s1", "s2", "s3"]) watch.finished("run", id, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    slow.resolve("in time");
    expect(await racing).toEqual({ late: false, value: "in time" });
    // A resumed run (never begun here): simply awaited.
    expect(await watch.race("other", "s1", Promise.resolve(1))).toEqual({ late: false, value: 1 });
    watch.close();
  });

  it("keeps a late failure for the join instead of an unhandled rejection", async () => {
    const watch = new StragglerWatch({ readyRatio: 0.5, graceMs: 0 });
    watch.begin("run", 2);
    const failing = deferred<string>();
    const racing = watch.race(
      "run",
      "s2",
      failing.promise.then(() => Promise.reject(new Error("provider down"))),
    );
    watch.finished("run", "s1", 1);
    expect(await racing).toEqual({ late: true });
    failing.resolve("");
    await expect(watch.takeLate("run", "s2")).rejects.toThrow("provider down");
    watch.close();
  });

  it("computes nearest-rank percentiles", () => {
    expect(percentile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([3], 0.9)).toBe(3);
    expect(percentile([], 0.9)).toBeUndefined();
  });
});
