// A worker process for bench/scale.ts: `runWorker` with the JSON options in argv[2], its offline analyst
// slowed by a scripted model latency drawn per session (`latency` = [low, high] seconds × `scale`), so a
// session job costs what a model call would. Configuration comes from the environment.
import { createHash } from "node:crypto";
import { register } from "tsx/esm/api";

register();
const { runWorker } = await import("../src/cli/worker.ts");
const { readConfig } = await import("../src/config/env.ts");
const { createPipelineAnalyst } = await import("../src/llm/model-analyst.ts");

const { latency, scale, ...options } = JSON.parse(process.argv[2] ?? "{}");
const [low, high] = latency ?? [20, 60];
const analyst = createPipelineAnalyst(readConfig());
const scripted = new Proxy(analyst, {
  get(target, property) {
    if (property !== "summarize") return Reflect.get(target, property, target);
    return async (input, ...rest) => {
      const unit = createHash("sha256").update(String(input.encoded.sessionId)).digest().readUInt32BE(0) / 2 ** 32;
      await new Promise((resolve) => setTimeout(resolve, (low + unit * (high - low)) * 1000 * (scale ?? 0.01)));
      return target.summarize(input, ...rest);
    };
  },
});
options.pipeline = { analyst: scripted };
process.exitCode = await runWorker(options);
