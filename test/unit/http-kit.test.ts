import { request } from "node:http";
import express from "express";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config/env.ts";
import { ConfigError, SessionSummariesError } from "../../src/domain/errors.ts";
import { errorHandler, HttpError, INTERNAL_ERROR_MESSAGE } from "../../src/http/errors.ts";
import { listenHttp } from "../../src/http/server.ts";
import { memoryLogger } from "../fakes/logger.ts";

/** A GET on a fresh connection; resolves with the status and body, rejects when the connection fails. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("listenHttp", () => {
  it("listens on a free port, and names the server when the port is taken", async () => {
    const first = await listenHttp((_req, res) => res.end("ok"), { host: "127.0.0.1", port: 0, closeGraceMs: 100, name: "the test server" });
    try {
      expect(first.url).toBe(`http://127.0.0.1:${first.port}`);
      expect(await get(first.url)).toEqual({ status: 200, body: "ok" });
      const taken = listenHttp((_req, res) => res.end(), { host: "127.0.0.1", port: first.port, closeGraceMs: 100, name: "the test server" });
      await expect(taken).rejects.toMatchObject({ code: "listen_failed", message: `cannot start the test server: port ${first.port} on 127.0.0.1 is already in use` });
    } finally {
      await first.close();
    }
  });

  it("on close: stops accepting, finishes a request under way, cuts an endless stream after the grace time, then runs the hooks in order", async () => {
    const order: string[] = [];
    const server = await listenHttp(
      (req, res) => {
        if (req.url === "/slow") setTimeout(() => res.end("finished"), 100);
        else res.write("data: forever\n\n"); // an event stream that never ends by itself
      },
      {
        host: "127.0.0.1",
        port: 0,
        closeGraceMs: 300,
        name: "the test server",
        beforeDrain: async () => void order.push("beforeDrain"),
        afterClose: async () => void order.push("afterClose"),
      },
    );
    const stream = get(`${server.url}/stream`).catch((error: Error) => error);
    const slow = get(`${server.url}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = Date.now();
    const closing = server.close();
    expect(server.close()).toBe(closing);
    await expect(get(`${server.url}/slow`)).rejects.toThrow(/ECONNREFUSED/);
    expect(await slow).toEqual({ status: 200, body: "finished" });
    await closing;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await stream).toBeInstanceOf(Error);
    expect(order).toEqual(["beforeDrain", "afterClose"]);
  });
});

describe("errorHandler", () => {
  async function answerTo(error: unknown, statusByCode?: Record<string, number>) {
    const log = memoryLogger();
    const app = express();
    app.get("/", () => {
      throw error;
    });
    app.use(errorHandler({ maxBodyBytes: 10, logger: log.logger, ...(statusByCode ? { statusByCode } : {}) }));
    const server = await listenHttp(app, { host: "127.0.0.1", port: 0, closeGraceMs: 100, name: "the test server" });
    try {
      const response = await get(server.url);
      return { status: response.status, body: JSON.parse(response.body) as { error: { code: string; message: string } }, log };
    } finally {
      await server.close();
    }
  }

  it("sends a refusal's code and message, and logs nothing", async () => {
    const answer = await answerTo(new HttpError("invalid_token", "the token is not valid", 401));
    expect(answer).toMatchObject({ status: 401, body: { error: { code: "invalid_token", message: "the token is not valid" } } });
    expect(answer.log.entries).toEqual([]);
  });

  it("sends a domain error's message only when its code has a status; anything else is a generic 500 with the details in the log", async () => {
    const mapped = await answerTo(new SessionSummariesError("busy", "the thread is answering"), { busy: 409 });
    expect(mapped).toMatchObject({ status: 409, body: { error: { code: "busy", message: "the thread is answering" } } });
    for (const error of [
      new Error("ENOENT: /srv/secret/file"),
      new SessionSummariesError("disk", "cannot read /srv/secret/file"),
      new HttpError("write_failed", "cannot write /srv/secret/file", 500),
    ]) {
      const answer = await answerTo(error, { busy: 409 });
      expect(answer.status).toBe(500);
      expect(answer.body.error.message).toBe(INTERNAL_ERROR_MESSAGE);
      expect(JSON.stringify(answer.body)).not.toContain("/srv/secret");
      const [entry] = answer.log.entries;
      expect(entry).toMatchObject({ level: 50, method: "GET", path: "/" });
      expect(JSON.stringify(entry)).toContain("/srv/secret/file");
    }
  });
});

describe("SESSION_SUMMARIES_LOG_LEVEL", () => {
  it("is info by default, takes pino's levels, and refuses others", () => {
    expect(readConfig({}).logLevel).toBe("info");
    expect(readConfig({ SESSION_SUMMARIES_LOG_LEVEL: "debug" }).logLevel).toBe("debug");
    expect(readConfig({ SESSION_SUMMARIES_LOG_LEVEL: "" }).logLevel).toBe("info");
    expect(() => readConfig({ SESSION_SUMMARIES_LOG_LEVEL: "loud" })).toThrow(ConfigError);
  });

  it("drops entries below the level", () => {
    const log = memoryLogger("warn");
    log.logger.info("not shown");
    log.logger.warn({ endpoint: "GET /x" }, "shown");
    expect(log.entries).toMatchObject([{ msg: "shown", endpoint: "GET /x" }]);
  });
});
