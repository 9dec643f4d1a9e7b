/** pino's levels, most severe first; `silent` logs nothing. Shared by the env reader and the logger. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
