import path from "node:path";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LABELS_VERSION, LabelsSchema, rootIssues } from "../../src/domain/labels.ts";
import type { Labels } from "../../src/domain/labels.ts";
import { upgradeLabels, V1_CONSEQUENCE_KEYS } from "../../src/generate/upgrade-labels.ts";
import { SessionRecord } from "../../src/generate/persona.ts";

const EXAMPLES = fileURLToPath(new URL("../../examples", import.meta.url));
const T = "2026-11-22T04:01:47.540Z";
const T2 = "2026-11-22T04:01:57.283Z";

async function committed(dataset: string): Promise<Labels> {
  return LabelsSchema.parse(JSON.parse(await readFile(path.join(EXAMPLES, dataset, "labels.json"), "utf8")));
}

describe("labels: one key per root problem", () => {
  it("a consequence must carry its root's key, and the root must be in the same session", () => {
    const root = { kind: "blocking_exception", pattern_key: "order-throws", visible: true, timestamp: T, description: "throws" } as const;
    const ok = { kind: "abandonment", pattern_key: "order-throws", consequence_of: "order-throws", visible: true, timestamp: T2, description: "leaves" } as const;
    const parse = (issues: unknown[]) => LabelsSchema.safeParse({ version: 2, sessions: { s1: { outcome: "failure", issues } } });
    expect(parse([root, ok]).success).toBe(true);
    expect(parse([root, { ...ok, pattern_key: "checkout-abandoned" }]).success).toBe(false);
    const orphan = parse([{ ...ok }]);
    expect(orphan.success).toBe(false);
    expect(orphan.error?.issues[0]?.message).toMatch(/root issue of the same session/);
    expect(rootIssues({ outcome: "failure", issues: [root, ok] })).toEqual([root]);
  });

  it("upgrades version 1 labels: an abandonment after its known root becomes a consequence; one with no root stays", () => {
    const v1: Labels = {
      version: 1,
      sessions: {
        a: {
          outcome: "failure",
          issues: [
            { kind: "blocking_exception", pattern_key: "checkout-place-order-throws", visible: true, timestamp: T, description: "throws" },
            { kind: "abandonment", pattern_key: "checkout-abandoned", visible: true, timestamp: T2, description: "leaves" },
          ],
        },
        b: { outcome: "abandoned", issues: [{ kind: "abandonment", pattern_key: "checkout-abandoned", visible: true, timestamp: T2, description: "leaves" }] },
        c: { outcome: "abandoned", issues: [{ kind: "abandonment", pattern_key: "checkout-hidden-required-field", visible: true, timestamp: T2, description: "hidden field" }] },
      },
    };
    const v2 = LabelsSchema.parse(upgradeLabels(v1));
    expect(v2.version).toBe(LABELS_VERSION);
    expect(v2.sessions.a!.issues[1]).toMatchObject({ kind: "abandonment", pattern_key: "checkout-place-order-throws", consequence_of: "checkout-place-order-throws" });
    expect(v2.sessions.b!.issues[0]).toMatchObject({ pattern_key: "checkout-abandoned" });
    expect(v2.sessions.b!.issues[0]!.consequence_of).toBeUndefined();
    expect(v2.sessions.c!.issues[0]!.consequence_of).toBeUndefined();
    expect(upgradeLabels(v2)).toBe(v2);
  });

  it("personas record a consequence only after its root problem", () => {
    const record = new SessionRecord();
    expect(() => record.consequence("order-throws", { kind: "abandonment", visible: true, at: 2, description: "leaves", page: "/checkout" })).toThrow(/has not recorded/);
    record.issue({ kind: "blocking_exception", patternKey: "order-throws", visible: true, at: 1, description: "throws", page: "/checkout" });
    record.consequence("order-throws", { kind: "abandonment", visible: true, at: 2, description: "leaves", page: "/checkout" });
    expect(record.toLabelIssues()[1]).toMatchObject({ kind: "abandonment", pattern_key: "order-throws", consequence_of: "order-throws" });
  });

  it.each(["dataset", "sample"])("examples/%s is labelled in version 2: no old consequence key is left, each abandonment after an error is its consequence", async (dataset) => {
    const labels = await committed(dataset);
    expect(labels.version).toBe(LABELS_VERSION);
    for (const [id, label] of Object.entries(labels.sessions)) {
      for (const issue of label.issues) {
        expect(Object.keys(V1_CONSEQUENCE_KEYS), `${id} ${issue.pattern_key}`).not.toContain(issue.pattern_key);
        const rootBefore = rootIssues(label).some(
          (r) => r.kind !== "benign_exception" && r.kind !== "invisible_api_failure" && r.kind !== "slow_page" && Date.parse(r.timestamp) < Date.parse(issue.timestamp),
        );
        if (issue.kind === "abandonment" && rootBefore) expect(issue.consequence_of, `${id} abandonment`).toBeDefined();
      }
    }
  });
});
