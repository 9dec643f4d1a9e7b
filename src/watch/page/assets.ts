import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleClientScript } from "../../io/bundle.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** What the issues page inlines: its own script and styles. */
export interface IssuesPageAssets {
  script: string;
  style: string;
}

let cached: IssuesPageAssets | undefined;

/**
 * Read once per process. The script is bundled from `client/` with esbuild at first use (as the
 * report page's is), so it stays typed and testable and needs no build step.
 */
export function issuesPageAssets(): IssuesPageAssets {
  if (cached) return cached;
  cached = { script: bundleClientScript(path.join(HERE, "client", "main.ts")), style: readFileSync(path.join(HERE, "page.css"), "utf8") };
  return cached;
}
