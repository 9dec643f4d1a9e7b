import { describe, expect, it } from "vitest";
import campaignsApp from "../../examples/campaigns/app.ts";
import shopApp from "../../examples/shop/app.ts";
import { ISSUE_KINDS } from "../../src/domain/labels.ts";
import { planNamedSessions, planSessions } from "../../src/generate/schedule.ts";

/* Which sessions a generator run records: decided by the seed alone, before any browser starts. */

describe.each([shopApp, campaignsApp])("generate: session schedule of the $name app", (app) => {
  it.each([1, 2, 42])("gives a 60-session run (seed %i) ≥ 30%% happy paths and every issue kind in ≥ 3 sessions, in several variants", (seed) => {
    const plans = planSessions(60, seed, app.personas, app.cast);
    expect(plans).toHaveLength(60);
    expect(plans.filter((p) => p.persona.happy).length).toBeGreaterThanOrEqual(18);
    for (const kind of ISSUE_KINDS) {
      const withKind = plans.filter((p) => p.persona.kinds.includes(kind));
      expect(withKind.length, kind).toBeGreaterThanOrEqual(3);
    }
    for (const persona of app.personas.filter((p) => !p.happy)) {
      const sessions = plans.filter((p) => p.persona === persona);
      // Variants are taken in turn: a persona with n sessions runs min(n, its variants) of them.
      expect(sessions.length, persona.name).toBeGreaterThanOrEqual(3);
      expect(new Set(sessions.map((p) => p.variant)).size, persona.name).toBe(Math.min(persona.variants.length, sessions.length));
    }
  });

  it("is the same for the same seed and differs between seeds", () => {
    const names = (seed: number) => planSessions(20, seed, app.personas, app.cast).map((p) => `${p.persona.name}:${p.variant}:${p.noise ?? ""}`);
    expect(names(5)).toEqual(names(5));
    expect(names(5)).not.toEqual(names(6));
  });

  it("gives every persona a variant list and a documented summary, and only noise its app declares benign", () => {
    for (const persona of app.personas) {
      expect(persona.variants.length, persona.name).toBeGreaterThan(0);
      expect(persona.summary.length, persona.name).toBeGreaterThan(20);
      expect(persona.happy, persona.name).toBe(persona.kinds.length === 0);
    }
    for (const noise of app.cast.noiseIssues) expect(app.benignWidgets[noise], noise).toBeDefined();
  });
});

describe("generate: named sessions", () => {
  it("runs named personas and variants in order, and refuses unknown ones", () => {
    const plans = planNamedSessions(["happy-buyer", "search-failure:gives-up"], 3, shopApp.personas);
    expect(plans.map((p) => `${p.persona.name}:${p.variant}`)).toEqual(["happy-buyer:one-product", "search-failure:gives-up", "happy-buyer:two-products"]);
    expect(() => planNamedSessions(["nobody"], 1, shopApp.personas)).toThrow(/unknown persona/);
    expect(() => planNamedSessions(["happy-buyer:sideways"], 1, shopApp.personas)).toThrow(/no variant/);
    // Personas belong to their app.
    expect(() => planNamedSessions(["happy-buyer"], 1, campaignsApp.personas)).toThrow(/unknown persona/);
  });
});
