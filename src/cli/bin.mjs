#!/usr/bin/env node
// Entry point of the `session-summaries` command: the sources are TypeScript, run through tsx.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv);
