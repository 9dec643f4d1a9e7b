/** A Server-Sent Events reader for the server tests: parses the response bytes as a browser would. */

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
 * Parses an event stream as the SSE spec says: blocks end at a blank line, `field: value` lines
 * (one optional space after the colon), `data` lines joined by `\n`, lines starting with `:`
 * are comments, CRLF / CR / LF all end a line. `onEvent` can abort the request mid-stream.
 */
export async function readSse(response: Response, onEvent?: (event: SseEvent, stream: SseStream) => void | "stop"): Promise<SseStream> {
  const stream: SseStream = { status: response.status, contentType: response.headers.get("content-type"), events: [], comments: [], raw: "" };
  if (!response.body) return stream;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let block: { event?: string; data: string[] } = { data: [] };
  const flushLine = (line: string): "stop" | undefined => {
    if (line === "") {
      if (block.data.length > 0 || block.event !== undefined) {
        const data = block.data.join("\n");
        let json: unknown;
        try {
          json = JSON.parse(data);
        } catch {
          json = undefined;
        }
        const event: SseEvent = { event: block.event ?? "message", data, json };
        stream.events.push(event);
        block = { data: [] };
        if (onEvent?.(event, stream) === "stop") return "stop";
      }
      block = { data: [] };
      return undefined;
    }
    if (line.startsWith(":")) {
      stream.comments.push(line.slice(1).trim());
      return undefined;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") block.event = value;
    else if (field === "data") block.data.push(value);
    return undefined;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const text = decoder.decode(value, { stream: true });
    stream.raw += text;
    buffer += text;
    // A trailing CR may be the first half of a CRLF split across chunks: keep it for the next one.
    const cut = buffer.endsWith("\r") ? buffer.length - 1 : buffer.length;
    const lines = buffer.slice(0, cut).split(/\r\n|\r|\n/);
    buffer = (lines.pop() ?? "") + buffer.slice(cut);
    for (const line of lines) {
      if (flushLine(line) === "stop") {
        await reader.cancel();
        return stream;
      }
    }
  }
  return stream;
}
