import { buildSync } from "esbuild";

/**
 * A page's browser script, bundled from its typed `client/main.ts` with esbuild (one IIFE, minified),
 * so pages inline it and need no build step. Callers read it once per process.
 */
export function bundleClientScript(entry: string): string {
  const bundle = buildSync({ entryPoints: [entry], bundle: true, write: false, format: "iife", target: "es2020", minify: true, legalComments: "none", logLevel: "silent" });
  return bundle.outputFiles[0]!.text;
}
