import { pino } from "pino";
import { DEFAULTS } from "../config/defaults.ts";
import type { LogLevel } from "../config/log-levels.ts";

export { LOG_LEVELS, type LogLevel } from "../config/log-levels.ts";

/**
 * The structured logger every long-running component takes (servers, sources, report runs).
 * Logs are JSON lines on stderr: stdout carries the CLI's results. `err` fields are serialized with
 * their stack; they never reach a client. Pipe through `pino-pretty` to read them by eye.
 */
export type Logger = pino.Logger;

export interface CreateLoggerOptions {
  /** Default: `DEFAULTS.log.level`; the CLI passes `config.logLevel` (`SESSION_SUMMARIES_LOG_LEVEL`). */
  level?: LogLevel;
  /** Where the lines go; default stderr. Tests pass a stream that collects them. */
  destination?: NodeJS.WritableStream;
  /** Fields on every line, e.g. `{ component: "capture" }`. */
  bindings?: Record<string, unknown>;
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  // Synchronous on stderr: a CLI that exits right after an error still prints it.
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const logger = pino({ level: options.level ?? DEFAULTS.log.level, base: undefined }, destination);
  return options.bindings ? logger.child(options.bindings) : logger;
}

/** A logger that drops everything: the default of components built without one (tests, embedding). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
