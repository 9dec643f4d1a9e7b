/**
 * Base of every error this project throws on purpose. Each area (input files, sources, recordings,
 * encoding, config) has one subclass, so callers can catch by area and print `code` + message.
 */
export class SessionSummariesError extends Error {
  constructor(
    /** Stable machine-readable code, e.g. `invalid_json`, `not_found`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad configuration (environment, CLI flags). */
export class ConfigError extends SessionSummariesError {}

/** Where in an input file a problem is. Line numbers are 1-based; `line` is absent for whole-file problems. */
export interface InputLocation {
  file: string;
  line?: number;
}

export function formatLocation(location: InputLocation): string {
  return location.line === undefined ? location.file : `${location.file}:${location.line}`;
}

/** A problem with an input file: unreadable, corrupt, truncated, empty, or of the wrong shape. */
export class InputError extends SessionSummariesError {
  constructor(
    code: string,
    readonly location: InputLocation,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${formatLocation(location)}: ${problem}`, options);
  }
}

/** zod issues as one line, e.g. `properties.$session_id: expected string; timestamp: not an ISO-8601 date`. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], max = 3): string {
  return issues
    .slice(0, max)
    .map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
}
