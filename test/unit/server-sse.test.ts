import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { SseWriter } from "../../src/server/sse.ts";
import { ServerError } from "../../src/server/errors.ts";
import { readSse } from "../e2e/server-sse-reader.ts";

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function serve(handler: express.RequestHandler): Promise<string> {
  const app = express();
  app.get("/stream", handler);
  server = createServer(app);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("SseWriter", () => {
  it("writes typed events with one-line JSON data, then ends", async () => {
    const url = await serve((_req, res) => {
      const sse = new SseWriter(res, { heartbeatMs: 60_000 });
      sse.send("token", { text: "line one\nline two\r\n" });
      sse.send("final", { message: "done", report_id: "r1" });
      sse.end();
      sse.send("token", { text: "after the end: dropped" });
    });
    const response = await fetch(url);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toContain("no-cache");
    const stream = await readSse(response);
    expect(stream.events.map((e) => e.event)).toEqual(["token", "final"]);
    expect(stream.events[0]!.json).toEqual({ text: "line one\nline two\r\n" });
    expect(stream.events[1]!.json).toEqual({ message: "done", report_id: "r1" });
    // The raw wire format: event + data lines, blank line after each block.
    expect(stream.raw).toContain('event: final\ndata: {"message":"done","report_id":"r1"}\n\n');
  });

  it("sends heartbeat comments while the stream is quiet", async () => {
    const url = await serve(async (_req, res) => {
      const sse = new SseWriter(res, { heartbeatMs: 40 });
      await sleep(250);
      sse.send("final", { message: "late" });
      sse.end();
    });
    const stream = await readSse(await fetch(url));
    expect(stream.comments.filter((c) => c === "heartbeat").length).toBeGreaterThanOrEqual(2);
    expect(stream.events.map((e) => e.event)).toEqual(["final"]);
  });

  it("calls onClose when the client disconnects before the end, and stops writing", async () => {
    let closed = 0;
    let writer: SseWriter | undefined;
    const url = await serve((_req, res) => {
      writer = new SseWriter(res, { heartbeatMs: 60_000, onClose: () => closed++ });
      writer.send("progress", { message: "Watching sessions 1/10" });
    });
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    await readSse(response, () => "stop").catch(() => undefined);
    controller.abort();
    for (let i = 0; i < 50 && closed === 0; i++) await sleep(20);
    expect(closed).toBe(1);
    expect(writer!.closed).toBe(true);
    writer!.send("token", { text: "nobody listens" });
    writer!.end();
    expect(closed).toBe(1);
  });

  it("does not call onClose after a normal end", async () => {
    let closed = 0;
    const url = await serve((_req, res) => {
      const sse = new SseWriter(res, { heartbeatMs: 60_000, onClose: () => closed++ });
      sse.send("final", { message: "ok" });
      sse.end();
    });
    await readSse(await fetch(url));
    await sleep(50);
    expect(closed).toBe(0);
  });

  it("refuses an event type that could break the framing", async () => {
    let problem: unknown;
    const url = await serve((_req, res) => {
      const sse = new SseWriter(res, { heartbeatMs: 60_000 });
      try {
        sse.send("token\ndata: injected", {});
      } catch (error) {
        problem = error;
      }
      sse.end();
    });
    const stream = await readSse(await fetch(url));
    expect(String(problem)).toMatch(/invalid SSE event type/);
    expect(problem).toBeInstanceOf(ServerError);
    expect(problem).toMatchObject({ code: "invalid_event_type", status: 500 });
    expect(stream.events).toEqual([]);
  });
});
