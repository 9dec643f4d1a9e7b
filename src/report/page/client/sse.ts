import { createParser, type EventSourceParser } from "eventsource-parser";

/** One Server-Sent Event: its `event:` name (default `message`) and its `data:` lines joined by `\n`. */
export interface SseEvent {
  event: string;
  data: string;
}

export interface SseParserOptions {
  /** Comment lines (`: heartbeat`), without the colon and the one optional space after it. */
  onComment?: (comment: string) => void;
}

/**
 * Incremental Server-Sent Events parser for streams read with fetch (EventSource cannot send an
 * Authorization header or POST), on top of eventsource-parser. Feed it decoded text in chunks of
 * any size; it returns the events completed by each chunk. `id`/`retry` are ignored. The one SSE
 * parser of the project: the report page's chat panel and the server tests both read with it.
 */
export class SseParser {
  private readonly parser: EventSourceParser;
  private completed: SseEvent[] = [];

  constructor(options: SseParserOptions = {}) {
    this.parser = createParser({
      onEvent: (message) => this.completed.push({ event: message.event ?? "message", data: message.data }),
      ...(options.onComment ? { onComment: options.onComment } : {}),
    });
  }

  push(chunk: string): SseEvent[] {
    this.parser.feed(chunk);
    const events = this.completed;
    this.completed = [];
    return events;
  }

  /** The stream ended: an event without its closing blank line is dropped, as the SSE spec says. */
  end(): SseEvent[] {
    this.parser.reset();
    this.completed = [];
    return [];
  }
}
