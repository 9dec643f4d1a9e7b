import { afterAll, beforeAll, describe, it } from "vitest";
import { openWatchStoreAt } from "../../src/watch/store/open.ts";
import { expectLifecycle, setUpWorlds, world } from "../graph/watch-world.ts";
import { TEST_POSTGRES_URL, dropSchema, requirePostgres, runId } from "./services.ts";

/** The sweeps' scenario with the watch store on the real Postgres (a schema of its own, dropped afterwards). */
const schema = runId("ss_sweeps").toLowerCase();
let tearDown: () => Promise<void>;

beforeAll(async () => {
  await requirePostgres();
  tearDown = await setUpWorlds();
});
afterAll(async () => {
  await tearDown();
  await dropSchema(schema);
});

describe("sweeps with the watch store on Postgres", () => {
  it("tracks one issue over five sweeps and delivers exactly one alert per occasion", async () => {
    const w = await world("postgres-lifecycle", { openStore: () => openWatchStoreAt({ kind: "postgres", url: TEST_POSTGRES_URL, schema }) });
    try {
      await expectLifecycle(w);
    } finally {
      await w.close();
    }
  });
});
