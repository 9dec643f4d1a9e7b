import { ConfigError } from "../domain/errors.ts";

/** Settings of the API server and its keys, and parsing the `key=project` list. */

/** One API key and the project it opens. Keys are secrets: never logged. */
export interface ApiKeyGrant {
  key: string;
  project: string;
}

/** Settings of `session-summaries serve` (the chat and reports API). */
export interface ServerConfig {
  host: string;
  port: number;
  /** From `SESSION_SUMMARIES_API_KEYS`; a `--config` file can add projects with their own datasets. */
  apiKeys: ApiKeyGrant[];
  maxBodyBytes: number;
  maxRunsPerProject: number;
  /** Chat turns answering at once per project. */
  maxTurnsPerProject: number;
  heartbeatMs: number;
}

/** Project names become blob-key and thread-id prefixes: plain identifiers only. */
export const PROJECT_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Short keys are guessable; whitespace and `,`/`=` would break the `key=project` list. */
export const API_KEY_PATTERN = /^[^\s,=]{12,256}$/;

/** `key=project,key=project` → grants; `source` names the setting in errors. Keys never appear in messages. */
export function parseApiKeys(text: string, source = "SESSION_SUMMARIES_API_KEYS"): ApiKeyGrant[] {
  const grants: ApiKeyGrant[] = [];
  const items = text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  items.forEach((item, index) => {
    const equals = item.lastIndexOf("=");
    const key = equals === -1 ? "" : item.slice(0, equals).trim();
    const project = equals === -1 ? "" : item.slice(equals + 1).trim();
    if (equals === -1) throw new ConfigError("invalid_env", `${source}: item ${index + 1} is not key=project`);
    if (!API_KEY_PATTERN.test(key)) {
      throw new ConfigError("invalid_env", `${source}: the key of item ${index + 1} must be 12 to 256 characters without spaces, commas or =`);
    }
    if (!PROJECT_NAME_PATTERN.test(project)) {
      throw new ConfigError("invalid_env", `${source}: item ${index + 1}: project ${JSON.stringify(project)} must be 1 to 64 letters, digits, _ or -`);
    }
    if (grants.some((grant) => grant.key === key)) throw new ConfigError("invalid_env", `${source}: item ${index + 1} repeats a key`);
    grants.push({ key, project });
  });
  return grants;
}
