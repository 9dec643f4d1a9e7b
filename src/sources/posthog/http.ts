import { setTimeout as delay } from "node:timers/promises";
import { InputError } from "../../domain/errors.ts";
import { splitLines, type TextLine } from "../../io/lines.ts";
import type { Logger } from "../../log/logger.ts";
import { SourceError } from "../errors.ts";

/** The subset of `fetch` the client uses; injectable so tests can fail requests on purpose. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const defaultSleep: Sleep = (ms, signal) => delay(ms, undefined, { signal });

export interface PostHogHttpOptions {
  fetch: FetchLike;
  /** Retries after the first attempt, for 429, 5xx, network errors and timeouts. */
  maxRetries: number;
  retryBaseMs: number;
  sleep: Sleep;
  /** Longest wait for response headers, and for the next chunk of a body. */
  requestTimeoutMs: number;
  /** Gets a warning per retry (never the key). */
  logger?: Logger;
}

export interface RequestSpec {
  method: "GET" | "POST";
  /** Path below the host, starting with `/api/`. Never contains the key. */
  path: string;
  search?: Record<string, string>;
  json?: unknown;
  signal?: AbortSignal;
  /** What a 404 means here: `session_not_found` for a session's snapshots, a wrong project for the query endpoint. */
  notFound: { code: string; message: string };
}

/** A request whose headers arrived; `abort` ends it (and its body) from the outside. */
interface Exchange {
  response: Response;
  abort(reason: unknown): void;
}

class RequestTimeout extends Error {}

const MAX_ERROR_BODY_BYTES = 16 * 1024;

/**
 * HTTP to one PostHog host with a personal API key: bearer auth, retries with exponential backoff
 * and jitter (or the server's `Retry-After`), error mapping to `SourceError`, and bodies read as
 * byte streams. The key is sent only in the Authorization header and is scrubbed from every message
 * this class builds, including the text of causes.
 */
export class PostHogHttp {
  private readonly host: string;

  constructor(
    host: string,
    private readonly apiKey: string,
    private readonly options: PostHogHttpOptions,
  ) {
    this.host = host.replace(/\/+$/, "");
  }

  /** A JSON response body, parsed. */
  async json(spec: RequestSpec): Promise<unknown> {
    let text: string | undefined;
    for (let attempt = 0; text === undefined; attempt++) {
      const exchange = await this.send(spec);
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of this.bodyChunks(exchange)) chunks.push(chunk);
        text = Buffer.concat(chunks).toString("utf8");
      } catch (error) {
        if (spec.signal?.aborted) throw spec.signal.reason;
        if (attempt >= this.options.maxRetries) throw this.interrupted(spec, error);
        await this.pause(spec, attempt, undefined, `body cut off (${this.describe(error)})`);
      }
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new SourceError("posthog_bad_response", `PostHog at ${this.host} answered ${this.endpoint(spec)} with a body that is not JSON: ${this.excerpt(text)}`);
    }
  }

  /**
   * The response body as text lines, streamed. Snapshot sources are immutable once listed, so a body
   * cut off midway is fetched again and the lines already delivered are skipped.
   */
  async *lines(spec: RequestSpec, label: string): AsyncGenerator<TextLine> {
    let delivered = 0;
    for (let attempt = 0; ; attempt++) {
      const exchange = await this.send(spec);
      try {
        for await (const line of splitLines(this.bodyChunks(exchange), label)) {
          if (line.lineNo <= delivered) continue;
          delivered = line.lineNo;
          yield line;
        }
        return;
      } catch (error) {
        if (spec.signal?.aborted) throw spec.signal.reason;
        if (error instanceof InputError || error instanceof SourceError) throw error;
        if (attempt >= this.options.maxRetries) throw this.interrupted(spec, error);
        await this.pause(spec, attempt, undefined, `body cut off after line ${delivered} (${this.describe(error)})`);
      }
    }
  }

  /** Sends until a 2xx arrives, retrying what is worth retrying; throws `SourceError` for the rest. */
  private async send(spec: RequestSpec): Promise<Exchange> {
    const { maxRetries } = this.options;
    for (let attempt = 0; ; attempt++) {
      let exchange: Exchange;
      try {
        exchange = await this.fetchHeaders(spec);
      } catch (error) {
        if (spec.signal?.aborted) throw spec.signal.reason;
        const reason = this.describe(error);
        if (attempt >= maxRetries) {
          throw new SourceError("posthog_unavailable", `PostHog at ${this.host} did not answer ${this.endpoint(spec)} after ${attempt + 1} attempt(s): ${reason}`, { cause: new Error(reason) });
        }
        await this.pause(spec, attempt, undefined, reason);
        continue;
      }

      const { response } = exchange;
      const status = response.status;
      if (response.ok) return exchange;
      if (status === 401 || status === 403) {
        await discard(response);
        throw new SourceError(
          "posthog_auth",
          `PostHog at ${this.host} refused the personal API key (HTTP ${status} on ${this.endpoint(spec)}): ` +
            "check POSTHOG_API_KEY, and that the key has the query:read and session_recording:read scopes " +
            "and access to POSTHOG_PROJECT_ID",
        );
      }
      if (status === 429 || status >= 500) {
        const detail = await this.errorDetail(response);
        const reason = `HTTP ${status}${detail ? `: ${detail}` : ""}`;
        if (attempt >= maxRetries) {
          const rateLimited = status === 429;
          throw new SourceError(
            rateLimited ? "posthog_rate_limited" : "posthog_unavailable",
            `PostHog at ${this.host} ${rateLimited ? "kept rate-limiting" : "kept failing"} ${this.endpoint(spec)} ` + `after ${attempt + 1} attempt(s) (last: ${reason})`,
          );
        }
        await this.pause(spec, attempt, parseRetryAfter(response.headers.get("retry-after")), reason);
        continue;
      }
      const detail = await this.errorDetail(response);
      if (status === 404) {
        throw new SourceError(spec.notFound.code, `${spec.notFound.message} (HTTP 404 on ${this.endpoint(spec)})`);
      }
      throw new SourceError("posthog_bad_request", `PostHog at ${this.host} rejected ${this.endpoint(spec)} with HTTP ${status}${detail ? `: ${detail}` : ""}`);
    }
  }

  /** One attempt, up to the response headers; a stall longer than the timeout aborts it. */
  private async fetchHeaders(spec: RequestSpec): Promise<Exchange> {
    const controller = new AbortController();
    const signal = spec.signal ? AbortSignal.any([spec.signal, controller.signal]) : controller.signal;
    const timer = setTimeout(() => controller.abort(new RequestTimeout(`no response within ${this.options.requestTimeoutMs} ms`)), this.options.requestTimeoutMs);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.apiKey}`,
      Accept: "application/json, application/jsonl, */*",
    };
    if (spec.json !== undefined) headers["Content-Type"] = "application/json";
    try {
      const response = await this.options.fetch(this.url(spec), {
        method: spec.method,
        headers,
        body: spec.json === undefined ? undefined : JSON.stringify(spec.json),
        signal,
      });
      return { response, abort: (reason) => controller.abort(reason) };
    } catch (error) {
      // fetch rejects with the abort reason only sometimes; report the timeout as what it was.
      if (controller.signal.aborted && !spec.signal?.aborted) throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The body as Buffers; a body that stalls longer than the timeout is aborted (and so fails). */
  private async *bodyChunks(exchange: Exchange): AsyncGenerator<Buffer> {
    const body = exchange.response.body;
    if (!body) return;
    const reader = body.getReader();
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const armTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const reason = new RequestTimeout(`body stalled for ${this.options.requestTimeoutMs} ms`);
        exchange.abort(reason);
        void reader.cancel(reason).catch(() => undefined);
      }, this.options.requestTimeoutMs);
    };
    try {
      for (;;) {
        armTimer();
        const { done, value } = await reader.read();
        // Only the network is timed: a slow consumer between two chunks is not a stall.
        clearTimeout(timer);
        if (done) {
          finished = true;
          return;
        }
        yield Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    } finally {
      clearTimeout(timer);
      if (!finished) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  }

  private async pause(spec: RequestSpec, attempt: number, retryAfterMs: number | undefined, reason: string) {
    const waitMs = retryAfterMs ?? this.backoffMs(attempt);
    this.options.logger?.warn(
      { endpoint: this.endpoint(spec), retry: attempt + 1, maxRetries: this.options.maxRetries, waitMs },
      this.redact(`PostHog ${this.endpoint(spec)} failed (${reason}); retry ${attempt + 1} of ${this.options.maxRetries} in ${waitMs} ms`),
    );
    await this.options.sleep(waitMs, spec.signal);
  }

  /** Exponential backoff with "equal jitter": half the window fixed, half random, so clients spread out. */
  private backoffMs(attempt: number): number {
    const window = this.options.retryBaseMs * 2 ** attempt;
    return Math.round(window / 2 + (Math.random() * window) / 2);
  }

  private interrupted(spec: RequestSpec, error: unknown): SourceError {
    const reason = this.describe(error);
    return new SourceError("posthog_unavailable", `PostHog at ${this.host}: the response to ${this.endpoint(spec)} broke off: ${reason}`, { cause: new Error(reason) });
  }

  /** `detail` (DRF) or `error` of a JSON error body, else its first characters. Never the whole body. */
  private async errorDetail(response: Response): Promise<string> {
    let text: string;
    try {
      text = await readAtMost(response, MAX_ERROR_BODY_BYTES);
    } catch {
      return "";
    }
    try {
      const parsed = JSON.parse(text) as { detail?: unknown; error?: unknown };
      const detail = typeof parsed.detail === "string" ? parsed.detail : parsed.error;
      if (typeof detail === "string") return this.excerpt(detail);
    } catch {
      // not JSON: use the text itself
    }
    return this.excerpt(text);
  }

  private describe(error: unknown): string {
    if (!(error instanceof Error)) return this.redact(String(error));
    // undici hides the useful part (ECONNREFUSED, "other side closed") in `cause`.
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    const detail = typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : "";
    return this.redact(detail && !error.message.includes(detail) ? `${error.message} (${detail})` : error.message);
  }

  private excerpt(text: string): string {
    const oneLine = text.replace(/\s+/g, " ").trim();
    return this.redact(oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine);
  }

  private redact(text: string): string {
    return text.split(this.apiKey).join("[redacted]");
  }

  private endpoint(spec: RequestSpec): string {
    return `${spec.method} ${spec.path}`;
  }

  private url(spec: RequestSpec): string {
    const query = spec.search ? `?${new URLSearchParams(spec.search).toString()}` : "";
    return `${this.host}${spec.path}${query}`;
  }
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

async function readAtMost(response: Response, maxBytes: number): Promise<string> {
  const body = response.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8");
}
