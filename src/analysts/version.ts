import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Sources outside this folder whose rules shape an offline summary (the loading-wait tracker, click answers). */
const ALSO_READ = [path.join(HERE, "../replay/waits.ts"), path.join(HERE, "../replay/metadata.ts")];

/**
 * A hash of the offline analyst's own rules (its source files), 8 hex characters. Cached offline
 * summaries are keyed by it, so a changed rule summarizes again instead of serving stale flags.
 */
export const OFFLINE_ANALYST_VERSION = (() => {
  const hash = createHash("sha256");
  const files = readdirSync(HERE)
    .filter((name) => name.endsWith(".ts"))
    .sort()
    .map((name) => path.join(HERE, name));
  for (const file of [...files, ...ALSO_READ]) hash.update(path.basename(file)).update(readFileSync(file));
  return hash.digest("hex").slice(0, 8);
})();
