import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** `runWorker` in a process of its own, options as JSON in argv (see worker-process.mjs). */
export const WORKER_SCRIPT = path.join(ROOT, "test/services/worker-process.mjs");

/**
 * Short locks so a killed worker's job is taken over in seconds, not BullMQ's 30 s. Every worker on a queue
 * must use them: the stalled check is throttled by a key shared by all workers of a queue, set by whichever
 * ran it last for its own interval, so one worker with the default would delay the others' checks by 30 s.
 */
export const SHORT_LOCKS = { lockDurationMs: 1_500, stalledIntervalMs: 500 } as const;

export interface WorkerProcess {
  child: ChildProcess;
  /** Parsed pino lines of its stderr so far. */
  logs: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns a worker process (`script`, default worker-process.mjs, given the options as JSON) and resolves once
 * it logged "worker ready" (tsx start-up takes seconds on a loaded machine).
 */
export async function spawnWorker(options: Record<string, unknown>, env: NodeJS.ProcessEnv, cwd: string, script = WORKER_SCRIPT): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [script, JSON.stringify(options)], { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
  const logs: Array<Record<string, unknown>> = [];
  let buffered = "";
  let raw = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    raw += chunk;
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const worker = { child, logs, exited };
  const deadline = Date.now() + 60_000;
  while (!logs.some((line) => line.msg === "worker ready")) {
    if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode} before it was ready: ${raw}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the worker was not ready after 60 s: ${raw}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return worker;
}

/** Log lines of a worker with this message (and job id, when given). */
export function logLines(worker: WorkerProcess, msg: string, job?: string): Array<Record<string, unknown>> {
  return worker.logs.filter((line) => line.msg === msg && (job === undefined || line.job === job));
}

export async function waitUntil(condition: () => boolean, failure: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Kills what is still running (afterAll). */
export function killAll(workers: readonly WorkerProcess[]): void {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
}
