import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readConfig, type AppConfig } from "../../src/config/env.ts";
import type { AnalyticsEvent } from "../../src/domain/events.ts";
import type { WindowedEvent } from "../../src/domain/recording.ts";
import type { SessionMeta } from "../../src/domain/session.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { resolveServerProjects } from "../../src/server/projects.ts";
import { startServer, type RunningServer, type StartServerOptions } from "../../src/server/server.ts";
import { DatasetSource } from "../../src/sources/dataset.ts";
import type { ReadOptions, SessionFilter, SessionSource } from "../../src/sources/types.ts";
import { readSse, type SseStream } from "./server-sse-reader.ts";

export { readSse, type SseEvent, type SseStream } from "./server-sse-reader.ts";

/** Helpers of the server tests: a real server on an ephemeral port, and a real SSE parser over the response bytes. */

export const REPO = fileURLToPath(new URL("../..", import.meta.url));
export const DATASET = path.join(REPO, "examples/dataset");
export const SAMPLE = path.join(REPO, "examples/sample");

export interface TestServer {
  server: RunningServer;
  url: string;
  request(method: string, route: string, options?: { key?: string; body?: unknown; rawBody?: string; contentType?: string; headers?: Record<string, string> }): Promise<Response>;
  json(method: string, route: string, options?: { key?: string; body?: unknown }): Promise<{ status: number; body: any }>;
  /** Posts a chat message and reads the whole event stream. */
  chat(threadId: string, content: string, key?: string, onEvent?: Parameters<typeof readSse>[1]): Promise<SseStream>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  dataDir: string;
  /** `key=project,...` as in SESSION_SUMMARIES_API_KEYS; all projects share `dataset`. */
  apiKeys?: string;
  dataset?: string;
  env?: Record<string, string>;
  server?: Partial<StartServerOptions>;
}

export function testConfig(options: TestServerOptions): AppConfig {
  // An explicit environment: no provider key, so every model is the offline analyst.
  return readConfig({
    SESSION_SUMMARIES_DATA_DIR: options.dataDir,
    // Clip validation (Chromium) is not what these tests are about.
    SESSION_SUMMARIES_VALIDATE: "off",
    ...(options.apiKeys ? { SESSION_SUMMARIES_API_KEYS: options.apiKeys } : {}),
    ...options.env,
  });
}

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const config = testConfig(options);
  const { projects, auth } = await resolveServerProjects({ config, host: "127.0.0.1", dataset: options.dataset ?? DATASET });
  const server = await startServer({ config, projects, auth, host: "127.0.0.1", port: 0, logger: silentLogger(), ...options.server });
  const request: TestServer["request"] = (method, route, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.key !== undefined) headers.authorization = `Bearer ${o.key}`;
    let body: string | undefined;
    if (o.rawBody !== undefined) body = o.rawBody;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined) headers["content-type"] = o.contentType ?? "application/json";
    return fetch(`${server.url}${route}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  };
  return {
    server,
    url: server.url,
    request,
    async json(method, route, o) {
      const response = await request(method, route, o);
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body };
    },
    async chat(threadId, content, key, onEvent) {
      const response = await request("POST", `/api/threads/${threadId}/messages`, { key, body: { content } });
      return readSse(response, onEvent);
    },
    close: () => server.close(),
  };
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A dataset source that counts what it reads: a pipeline run reads events, an answer from state reads none. */
export class CountingSource implements SessionSource {
  readonly description: string;
  eventReads = 0;
  recordingReads = 0;

  constructor(private readonly inner: SessionSource) {
    this.description = `counting ${inner.description}`;
  }

  static ofDataset(dir: string): CountingSource {
    return new CountingSource(new DatasetSource(dir));
  }

  listSessions(filter?: SessionFilter, options?: ReadOptions): Promise<SessionMeta[]> {
    return this.inner.listSessions(filter, options);
  }

  getMeta(sessionId: string): Promise<SessionMeta> {
    return this.inner.getMeta(sessionId);
  }

  streamEvents(sessionId: string, options?: ReadOptions): AsyncIterable<AnalyticsEvent> {
    this.eventReads++;
    return this.inner.streamEvents(sessionId, options);
  }

  streamRecording(sessionId: string, options?: ReadOptions): AsyncIterable<WindowedEvent> {
    this.recordingReads++;
    return this.inner.streamRecording(sessionId, options);
  }
}

/** Polls a report's status until it is no longer running; returns every status seen. */
export async function pollReport(server: TestServer, reportId: string, key: string | undefined, timeoutMs = 45_000): Promise<any[]> {
  const seen: any[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await server.json("GET", `/api/reports/${reportId}`, { key });
    if (status !== 200) throw new Error(`GET /api/reports/${reportId} answered ${status}: ${JSON.stringify(body)}`);
    seen.push(body);
    if (body.status !== "running") return seen;
    if (Date.now() > deadline) throw new Error(`report ${reportId} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A source whose listing and event reads wait while the gate is closed (it starts closed): a report
 * run, or a chat turn running one, stays under way as long as a test needs. A read whose signal
 * aborts while waiting counts in `abortedReads` (the pipeline's listing passes no signal today).
 */
export class GatedSource extends CountingSource {
  abortedReads = 0;
  waiting = 0;
  private release!: () => void;
  private gate = new Promise<void>((resolve) => (this.release = resolve));
  private waitingResolvers: Array<() => void> = [];

  static override ofDataset(dir: string): GatedSource {
    return new GatedSource(new DatasetSource(dir));
  }

  open(): void {
    this.release();
  }

  /** Reads from now on wait again. */
  close(): void {
    this.gate = new Promise<void>((resolve) => (this.release = resolve));
  }

  /** Resolves once some read is waiting at the gate. */
  untilWaiting(): Promise<void> {
    return this.waiting > 0 ? Promise.resolve() : new Promise((resolve) => this.waitingResolvers.push(resolve));
  }

  override async listSessions(filter?: SessionFilter, options?: ReadOptions): Promise<SessionMeta[]> {
    await this.pass(options?.signal);
    return super.listSessions(filter, options);
  }

  override streamEvents(sessionId: string, options?: ReadOptions): AsyncIterable<AnalyticsEvent> {
    const inner = super.streamEvents(sessionId, options);
    const pass = () => this.pass(options?.signal);
    return (async function* () {
      await pass();
      yield* inner;
    })();
  }

  private async pass(signal: AbortSignal | undefined): Promise<void> {
    const gate = this.gate;
    this.waiting++;
    for (const resolve of this.waitingResolvers.splice(0)) resolve();
    try {
      await new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        signal?.addEventListener(
          "abort",
          () => {
            this.abortedReads++;
            reject(signal.reason);
          },
          { once: true },
        );
        void gate.then(resolve);
      });
    } finally {
      this.waiting--;
    }
  }
}
