import { configDefaults, defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

/**
 * `npm run test:unit`: the tests that need no service (Redis, Postgres), no browser or ffmpeg, and no
 * CLI started as a process, so they run anywhere in well under a minute. `npm test` still runs all of them.
 * test/e2e runs the product end to end (servers, Chromium, ffmpeg, child processes) and
 * test/services needs Redis and Postgres; both stay out. A unit or graph test that starts one of those
 * belongs in the exclude list below, with the reason.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/unit/**/*.test.ts", "test/graph/**/*.test.ts"],
    exclude: [
      ...configDefaults.exclude,
      // Runs `src/cli/bin.mjs` in child processes over the example datasets.
      "test/unit/cli-inspect.test.ts",
    ],
  },
});
