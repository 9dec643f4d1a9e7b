// A worker as its own process, for test/services/worker-*.test.ts: `runWorker` with the JSON options in
// argv[2] (main.ts registers the `worker` command separately). Configuration comes from the environment.
// `summarizeDelayMs` slows the configured analyst's summaries, so a test can kill the worker mid-job.
import { register } from "tsx/esm/api";

register();
const { runWorker } = await import("../../src/cli/worker.ts");
const { readConfig } = await import("../../src/config/env.ts");
const { createPipelineAnalyst } = await import("../../src/llm/model-analyst.ts");

const { summarizeDelayMs, ...options } = JSON.parse(process.argv[2] ?? "{}");
if (summarizeDelayMs) {
  const analyst = createPipelineAnalyst(readConfig());
  const slow = new Proxy(analyst, {
    get(target, property) {
      if (property !== "summarize") return Reflect.get(target, property, target);
      return async (...args) => {
        await new Promise((resolve) => setTimeout(resolve, summarizeDelayMs));
        return target.summarize(...args);
      };
    },
  });
  options.pipeline = { analyst: slow };
}
process.exitCode = await runWorker(options);
