import { SESSION_ID_PATTERN } from "../domain/session.ts";

/** Session ids become folder names: the dataset reader's pattern (no `.`/`..`, no slashes) decides. */
export function isSafeSessionId(value: unknown): value is string {
  return typeof value === "string" && SESSION_ID_PATTERN.test(value);
}
