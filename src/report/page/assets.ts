import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleClientScript } from "../../io/bundle.ts";

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** What the page inlines: rrweb's player and styles, the page's own script and styles. */
export interface PageAssets {
  rrwebScript: string;
  rrwebStyle: string;
  pageScript: string;
  pageStyle: string;
}

let cached: PageAssets | undefined;

/**
 * Read once per process. The page script is bundled from `client/` with esbuild at first use, so it
 * stays typed, split into testable modules, and needs no build step.
 */
export function pageAssets(): PageAssets {
  if (cached) return cached;
  const rrwebDist = path.dirname(require.resolve("rrweb"));
  cached = {
    rrwebScript: readFileSync(path.join(rrwebDist, "..", "umd", "rrweb.min.js"), "utf8"),
    rrwebStyle: readFileSync(path.join(rrwebDist, "style.min.css"), "utf8"),
    pageScript: bundleClientScript(path.join(HERE, "client", "main.ts")),
    pageStyle: readFileSync(path.join(HERE, "page.css"), "utf8"),
  };
  return cached;
}

/** Inline `<script>`/`<style>` text must not close its element early. */
export function inlineSafe(text: string, tag: "script" | "style"): string {
  return text.replace(new RegExp(`</(${tag})`, "gi"), "<\\/$1");
}
