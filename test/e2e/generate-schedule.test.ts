import { describe, expect, it } from "vitest";
import { ISSUE_KINDS } from "../../src/domain/labels.ts";
import { PERSONAS } from "../../src/generate/personas/index.ts";
import { planNamedSessions, planSessions } from "../../src/generate/schedule.ts";

/* Which sessions a generator run records: decided by the seed alone, before any browser starts. */

describe("generate: session schedule", () => {
  it.each([1, 2, 42])("gives a 60-session run (seed %i) ≥ 30%% happy paths and every issue kind in ≥ 3 sessions, in several variants", (seed) => {
    const plans = planSessions(60, seed);
    expect(plans).toHaveLength(60);
    expect(plans.filter((p) => p.persona.happy).length).toBeGreaterThanOrEqual(18);
    for (const kind of ISSUE_KINDS) {
      const withKind = plans.filter((p) => p.persona.kinds.includes(kind));
      expect(withKind.length, kind).toBeGreaterThanOrEqual(3);
    }
    for (const persona of PERSONAS.filter((p) => !p.happy)) {
      const variants = new Set(plans.filter((p) => p.persona === persona).map((p) => p.variant));
      expect(variants.size, persona.name).toBe(Math.min(persona.variants.length, 3));
    }
  });

  it("is the same for the same seed and differs between seeds", () => {
    const names = (seed: number) => planSessions(20, seed).map((p) => `${p.persona.name}:${p.variant}:${p.noise ?? ""}`);
    expect(names(5)).toEqual(names(5));
    expect(names(5)).not.toEqual(names(6));
  });

  it("runs named personas and variants in order, and refuses unknown ones", () => {
    const plans = planNamedSessions(["happy-buyer", "search-failure:gives-up"], 3);
    expect(plans.map((p) => `${p.persona.name}:${p.variant}`)).toEqual(["happy-buyer:one-product", "search-failure:gives-up", "happy-buyer:two-products"]);
    expect(() => planNamedSessions(["nobody"], 1)).toThrow(/unknown persona/);
    expect(() => planNamedSessions(["happy-buyer:sideways"], 1)).toThrow(/no variant/);
  });

  it("gives every persona a variant list and a documented summary", () => {
    for (const persona of PERSONAS) {
      expect(persona.variants.length, persona.name).toBeGreaterThan(0);
      expect(persona.summary.length, persona.name).toBeGreaterThan(20);
      expect(persona.happy, persona.name).toBe(persona.kinds.length === 0);
    }
  });
});
