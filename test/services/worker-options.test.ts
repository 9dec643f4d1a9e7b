import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runWorker } from "../../src/cli/worker.ts";
import { readConfig } from "../../src/config/env.ts";

const SAMPLE = path.join(fileURLToPath(new URL("../..", import.meta.url)), "examples/sample");

/** Runs the command in process and collects what it prints on stderr. */
async function worker(env: NodeJS.ProcessEnv, options: Parameters<typeof runWorker>[0] = {}): Promise<{ code: number; errors: string[] }> {
  const errors: string[] = [];
  const code = await runWorker({ config: readConfig(env), dataset: SAMPLE, err: (line) => errors.push(line), ...options });
  return { code, errors };
}

describe("session-summaries worker: options it cannot start with (exit 2, a message naming what is wrong)", () => {
  it("needs SESSION_SUMMARIES_QUEUE, a dataset, a known queue and a positive concurrency", async () => {
    expect(await worker({})).toEqual({ code: 2, errors: [expect.stringContaining("SESSION_SUMMARIES_QUEUE")] });
    const queued = { SESSION_SUMMARIES_QUEUE: "redis://127.0.0.1:6379" };
    expect(await worker(queued, { dataset: undefined })).toEqual({ code: 2, errors: [expect.stringContaining("--dataset")] });
    expect(await worker(queued, { queues: "sessions,mail" })).toEqual({ code: 2, errors: [expect.stringContaining('unknown queue "mail"')] });
    expect(await worker(queued, { queues: "sweeps" })).toEqual({ code: 2, errors: [expect.stringContaining("served by `session-summaries watch`")] });
    expect(await worker(queued, { queues: " , " })).toEqual({ code: 2, errors: [expect.stringContaining("names no queue")] });
    expect(await worker(queued, { concurrency: 0 })).toEqual({ code: 2, errors: [expect.stringContaining("--concurrency")] });
    expect(await worker(queued, { prefix: "bad:prefix" })).toEqual({ code: 2, errors: [expect.stringContaining("bad:prefix")] });
    // No signal handler is left behind by a command that returned early.
    expect(process.listenerCount("SIGTERM")).toBe(0);
  });

  it("fails with the URL's password masked when the queue's Redis is unreachable", async () => {
    const port = await closedPort();
    const { code, errors } = await worker({ SESSION_SUMMARIES_QUEUE: `redis://worker:s3cret@127.0.0.1:${port}` });
    expect(code).toBe(2);
    expect(errors.join("\n")).toContain(`redis://worker:***@127.0.0.1:${port}`);
    expect(errors.join("\n")).not.toContain("s3cret");
  }, 20_000);
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
