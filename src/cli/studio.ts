import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SessionSummariesError } from "../domain/errors.ts";

/**
 * `npm run studio`: the LangGraph dev server (`@langchain/langgraph-cli dev`) over langgraph.json on
 * a free port of 127.0.0.1, in memory, without opening a browser or a tunnel. The graphs read
 * SESSION_SUMMARIES_DATASET (default the bundled sample) and the configured models.
 */

/** The LangGraph dev server could not be started. Codes: `no_port`, `studio_exited`, `studio_timeout`. */
export class StudioError extends SessionSummariesError {}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const READY_TIMEOUT_MS = 90_000;

export interface StudioServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** Stops the dev server and its workers. */
  close(): Promise<void>;
}

export interface StartStudioOptions {
  port?: number;
  /** Extra environment for the graphs (e.g. SESSION_SUMMARIES_DATASET). */
  env?: NodeJS.ProcessEnv;
  /** Where the server's log goes (default: inherited). */
  log?: (chunk: string) => void;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new StudioError("no_port", "could not find a free port on 127.0.0.1"))));
    });
  });
}

/** Starts the dev server and resolves once it answers `/ok`. */
export async function startStudio(options: StartStudioOptions = {}): Promise<StudioServer> {
  const port = options.port ?? (await freePort());
  const cli = createRequire(import.meta.url).resolve("@langchain/langgraph-cli/package.json");
  const bin = path.join(path.dirname(cli), "dist/cli/cli.mjs");
  const child = spawn(process.execPath, [bin, "dev", "--port", String(port), "--host", "127.0.0.1", "--no-browser", "--config", path.join(ROOT, "langgraph.json")], {
    cwd: ROOT,
    // Its own process group, so closing stops its workers too.
    detached: true,
    stdio: options.log ? ["ignore", "pipe", "pipe"] : "inherit",
    // eslint-disable-next-line no-restricted-properties -- the child gets this process's whole environment, not configuration read here
    env: { ...process.env, BROWSER: "none", LANGSMITH_TRACING: "false", LANGCHAIN_TRACING_V2: "false", ...options.env },
  });
  if (options.log) {
    child.stdout?.on("data", (chunk: Buffer) => options.log!(chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => options.log!(chunk.toString()));
  }
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new StudioError("studio_exited", `the LangGraph dev server exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(`${url}/ok`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return { url, port, child, close };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await close();
      throw new StudioError("studio_timeout", `the LangGraph dev server did not answer ${url}/ok within ${READY_TIMEOUT_MS / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = process.argv.includes("--port") ? Number(process.argv[process.argv.indexOf("--port") + 1]) : undefined;
  const studio = await startStudio(port ? { port } : {});
  process.stderr.write(`\nLangGraph dev server: ${studio.url} (graphs chat, summarize, session). Studio: https://smith.langchain.com/studio?baseUrl=${studio.url}\nCtrl-C to stop.\n`);
  const stop = () => void studio.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
