import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { summarizeSessionOffline } from "../../src/analysts/index.ts";
import type { IssueKind } from "../../src/domain/labels.ts";
import { analystFlags, readLabelledSessions, type AnalystFlag } from "../fixtures/labelled-sessions.ts";

/*
 * The offline analyst on the dataset recorded with real posthog-js in a real browser
 * (examples/dataset, when present), scored at session level against labels.json with the targets
 * the pipeline is held to: blocking-exception precision and recall ≥ 0.9 (API failures the user
 * sees count as blocking), and "blocking" on sessions with only benign noise or invisible
 * failures ≤ 5%.
 */

const DATASET = fileURLToPath(new URL("../../examples/dataset", import.meta.url));
const LABELS = `${DATASET}/labels.json`;

type Flag = Exclude<AnalystFlag, "slow">;
interface Scored {
  kinds: Set<IssueKind>;
  flags: Set<AnalystFlag>;
}

const scored: Scored[] = [];

function precisionRecall(isLabelled: (session: Scored) => boolean, flag: Flag): { precision: number; recall: number } {
  const flagged = scored.filter((session) => session.flags.has(flag));
  const labelled = scored.filter(isLabelled);
  const both = flagged.filter(isLabelled).length;
  return { precision: flagged.length === 0 ? 1 : both / flagged.length, recall: labelled.length === 0 ? 1 : both / labelled.length };
}

const labelledWith =
  (...kinds: IssueKind[]) =>
  (session: Scored) =>
    kinds.some((kind) => session.kinds.has(kind));

describe.skipIf(!existsSync(LABELS))("offline analyst on examples/dataset (real posthog-js)", () => {
  beforeAll(async () => {
    for await (const { label, encoded, events, recording } of readLabelledSessions(DATASET)) {
      const summary = summarizeSessionOffline({ encoded, events, recording });
      scored.push({ kinds: new Set(label.issues.map((issue) => issue.kind)), flags: analystFlags(summary) });
    }
  }, 120_000);

  it("has labelled sessions to score", () => {
    expect(scored.length).toBeGreaterThanOrEqual(10);
  });

  it("flags blocking exceptions (and visible API failures) with precision and recall ≥ 0.9", () => {
    const { precision, recall } = precisionRecall(labelledWith("blocking_exception", "visible_api_failure"), "blocking");
    expect(precision).toBeGreaterThanOrEqual(0.9);
    expect(recall).toBeGreaterThanOrEqual(0.9);
  });

  it('calls benign noise and invisible failures "blocking" in at most 5% of their sessions', () => {
    const quiet = scored.filter((session) => labelledWith("benign_exception", "invisible_api_failure")(session) && !labelledWith("blocking_exception", "visible_api_failure")(session));
    const falseBlocking = quiet.filter((session) => session.flags.has("blocking")).length;
    expect(falseBlocking).toBeLessThanOrEqual(Math.floor(quiet.length * 0.05));
  });

  it("finds abandonment and confusion (dead clicks included) with recall ≥ 0.9", () => {
    expect(precisionRecall(labelledWith("abandonment"), "abandonment").recall).toBeGreaterThanOrEqual(0.9);
    expect(precisionRecall(labelledWith("confusion", "dead_click"), "confusion").recall).toBeGreaterThanOrEqual(0.9);
  });
});
