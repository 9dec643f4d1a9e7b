/**
 * Rebuilds the labelled sample dataset in this directory: `npx tsx examples/sample/build.ts`.
 * Deterministic: running it twice gives byte-identical files (on the same Node/zlib).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSampleSessions, sampleLabels } from "../../test/fixtures/sample-sessions.ts";
import { writeDataset } from "../../test/fixtures/session-builder.ts";

const outDir = fileURLToPath(new URL(".", import.meta.url));
const sessions = buildSampleSessions();

rmSync(join(outDir, "sessions"), { recursive: true, force: true });
rmSync(join(outDir, "labels.json"), { force: true });
const written = writeDataset(
  outDir,
  sessions.map((s) => s.entry),
  sampleLabels(sessions),
);

for (const [i, w] of written.entries()) {
  const seconds = (Date.parse(w.meta.end) - Date.parse(w.meta.start)) / 1000;
  console.log(
    [
      sessions[i]?.name.padEnd(20),
      w.meta.session_id,
      `${seconds.toFixed(1)} s`,
      `${w.meta.event_count} events`,
      `${w.meta.exception_count} exceptions`,
      `${w.eventsFile} + ${w.recordingFile} (${w.meta.recording_bytes} B)`,
    ].join("  "),
  );
}
