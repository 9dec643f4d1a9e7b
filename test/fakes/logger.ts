import { Writable } from "node:stream";
import { createLogger, type Logger, type LogLevel } from "../../src/log/logger.ts";

/** A logger whose entries a test reads back: `entries` parsed, `text()` every line joined. */
export interface MemoryLogger {
  logger: Logger;
  entries: Array<Record<string, unknown> & { msg?: string; level: number }>;
  text(): string;
}

export function memoryLogger(level: LogLevel = "trace"): MemoryLogger {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString("utf8")
          .split("\n")
          .filter((line) => line.length > 0),
      );
      done();
    },
  });
  return {
    logger: createLogger({ level, destination }),
    get entries() {
      return lines.map((line) => JSON.parse(line) as Record<string, unknown> & { level: number });
    },
    text: () => lines.join("\n"),
  };
}
