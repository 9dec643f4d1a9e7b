import { ConfigError } from "../domain/errors.ts";
import type { CastOptions } from "./app.ts";
import type { Persona } from "./persona.ts";
import { Rng } from "./random.ts";

/** What one generated session will be. */
export interface SessionPlan {
  /** 0-based position in the run; with the seed it determines every choice of the session. */
  index: number;
  persona: Persona;
  variant: string;
  /** A benign widget crash added on top of the persona's own issues (real apps are noisy). */
  noise: string | null;
}

/**
 * The personas of a run, deterministic by seed. A share of the sessions (`cast.happyShare`, a third
 * for both demo apps) are happy paths; the rest cycle through the issue personas (so 60 sessions give every persona at least 3), and a persona's
 * successive sessions take its variants in turn (different pages and widgets).
 */
export function planSessions(count: number, seed: number, personas: readonly Persona[], cast: CastOptions): SessionPlan[] {
  const rng = Rng.derive(seed, "schedule");
  const happy = personas.filter((p) => p.happy);
  const unhappy = rng.shuffle(personas.filter((p) => !p.happy));
  const happyCount = Math.max(count >= 2 ? 1 : 0, Math.ceil(count * cast.happyShare));
  const chosen: Persona[] = [];
  for (let i = 0; i < happyCount; i += 1) chosen.push(happy[i % happy.length] as Persona);
  for (let i = 0; chosen.length < count; i += 1) chosen.push(unhappy[i % unhappy.length] as Persona);
  const order = rng.shuffle(chosen);

  const seen = new Map<string, number>();
  const variantOffset = new Map(personas.map((p) => [p.name, rng.int(0, p.variants.length - 1)]));
  return order.map((persona, index) => {
    const occurrence = seen.get(persona.name) ?? 0;
    seen.set(persona.name, occurrence + 1);
    const variant = persona.variants[((variantOffset.get(persona.name) ?? 0) + occurrence) % persona.variants.length] as string;
    const noisy = !persona.happy && !persona.kinds.includes("benign_exception") && rng.chance(cast.noiseChance);
    return { index, persona, variant, noise: noisy ? rng.pick(cast.noiseIssues) : null };
  });
}

/**
 * Sessions of the named personas, in order (for tests and demos): `name` or `name:variant`.
 * With more sessions than names, the names repeat.
 */
export function planNamedSessions(names: readonly string[], count: number, personas: readonly Persona[]): SessionPlan[] {
  if (names.length === 0) throw new ConfigError("invalid_personas", "no persona named");
  const specs = names.map((spec) => {
    const [name = "", variant] = spec.split(":");
    const persona = personas.find((p) => p.name === name);
    if (!persona) throw new ConfigError("unknown_persona", `unknown persona ${JSON.stringify(name)}; known: ${personas.map((p) => p.name).join(", ")}`);
    if (variant !== undefined && !persona.variants.includes(variant)) {
      throw new ConfigError("unknown_variant", `persona ${name} has no variant ${JSON.stringify(variant)}; known: ${persona.variants.join(", ")}`);
    }
    return { persona, variant };
  });
  return Array.from({ length: Math.max(count, specs.length) }, (_, index) => {
    const spec = specs[index % specs.length] as (typeof specs)[number];
    const occurrence = Math.floor(index / specs.length);
    const variant = spec.variant ?? (spec.persona.variants[occurrence % spec.persona.variants.length] as string);
    return { index, persona: spec.persona, variant, noise: null };
  });
}
