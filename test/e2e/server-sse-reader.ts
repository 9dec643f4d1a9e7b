/** A Server-Sent Events reader for the server tests: parses the response bytes as a browser would. */

import { SseParser } from "../../src/report/page/client/sse.ts";

export interface SseEvent {
  /** `message` when the block had no `event:` line (the SSE default). */
  event: string;
  data: string;
  /** `data` parsed as JSON. */
  json: any;
}

export interface SseStream {
  status: number;
  contentType: string | null;
  events: SseEvent[];
  /** Comment lines (`: heartbeat`) seen, without the colon. */
  comments: string[];
  /** Raw bytes decoded, for assertions on the wire format. */
  raw: string;
}

/**
 * Reads an event stream with the project's SSE parser (the one the report page's chat uses), keeping
 * the raw text and the comments for assertions on the wire format. `onEvent` can abort the request
 * mid-stream.
 */
export async function readSse(response: Response, onEvent?: (event: SseEvent, stream: SseStream) => void | "stop"): Promise<SseStream> {
  const stream: SseStream = { status: response.status, contentType: response.headers.get("content-type"), events: [], comments: [], raw: "" };
  if (!response.body) return stream;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser({ onComment: (comment) => stream.comments.push(comment.trim()) });
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const text = decoder.decode(value, { stream: true });
    stream.raw += text;
    for (const parsed of parser.push(text)) {
      let json: unknown;
      try {
        json = JSON.parse(parsed.data);
      } catch {
        json = undefined;
      }
      const event: SseEvent = { ...parsed, json };
      stream.events.push(event);
      if (onEvent?.(event, stream) === "stop") {
        await reader.cancel();
        return stream;
      }
    }
  }
  parser.end();
  return stream;
}
