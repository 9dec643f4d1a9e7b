import type { Response } from "express";
import { ServerError } from "./errors.ts";

/**
 * Writes Server-Sent Events: `event: <type>` + `data: <json>` per event, and a comment line when
 * the stream has been quiet for `heartbeatMs` (long report runs), so proxies keep it open.
 * `onClose` fires once when the client goes away before `end()`: the caller aborts its work.
 */
export class SseWriter {
  private heartbeat: NodeJS.Timeout | undefined;
  private ended = false;
  private disconnected = false;
  private lastWriteAt = Date.now();

  constructor(
    private readonly res: Response,
    options: { heartbeatMs: number; onClose?: () => void },
  ) {
    res.status(200);
    res.set({
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      // nginx would otherwise buffer the stream.
      "X-Accel-Buffering": "no",
    });
    res.flushHeaders();
    // Headers alone do not reach some clients until a first byte of body does.
    this.write(": stream open\n\n");
    res.on("close", () => {
      const early = !this.ended;
      this.stop();
      if (early) {
        this.disconnected = true;
        options.onClose?.();
      }
    });
    const interval = Math.max(10, Math.floor(options.heartbeatMs / 2));
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastWriteAt >= options.heartbeatMs) this.write(": heartbeat\n\n");
    }, interval);
    this.heartbeat.unref();
  }

  /** True once the client disconnected or `end()` ran: nothing more is written. */
  get closed(): boolean {
    return this.ended || this.disconnected;
  }

  /** One event. JSON.stringify never emits a raw line break, so `data` stays one line. */
  send(type: string, data: unknown): void {
    // A programming error (event types are ours), never the client's: a 500 if it ever happens.
    if (!/^[a-z_]+$/.test(type)) throw new ServerError("invalid_event_type", `invalid SSE event type ${JSON.stringify(type)}`, 500);
    this.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (this.ended) return;
    this.stop();
    this.ended = true;
    if (!this.disconnected) this.res.end();
  }

  private write(chunk: string): void {
    if (this.closed || this.res.writableEnded || this.res.destroyed) return;
    this.lastWriteAt = Date.now();
    this.res.write(chunk);
  }

  private stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
