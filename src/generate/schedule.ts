import type { ShopIssue } from "../../examples/shop/issues.ts";
import { ConfigError } from "../domain/errors.ts";
import { PERSONAS, findPersona } from "./personas/index.ts";
import type { Persona } from "./personas/types.ts";
import { Rng } from "./random.ts";

/** What one generated session will be. */
export interface SessionPlan {
  /** 0-based position in the run; with the seed it determines every choice of the session. */
  index: number;
  persona: Persona;
  variant: string;
  /** A benign widget crash added on top of the persona's own issues (real shops are noisy). */
  noise: ShopIssue | null;
}

/** Share of sessions that are happy paths. */
export const HAPPY_SHARE = 0.34;
/** Chance that an issue session also carries a crashing widget. */
export const NOISE_CHANCE = 0.2;
const NOISE_ISSUES: readonly ShopIssue[] = ["chat-widget-crash", "currency-widget-crash"];

/**
 * The personas of a run, deterministic by seed. A third of the sessions are happy paths; the rest
 * cycle through the issue personas (so 60 sessions give every persona at least 3), and a persona's
 * successive sessions take its variants in turn (different pages and widgets).
 */
export function planSessions(count: number, seed: number): SessionPlan[] {
  const rng = Rng.derive(seed, "schedule");
  const happy = PERSONAS.filter((p) => p.happy);
  const unhappy = rng.shuffle(PERSONAS.filter((p) => !p.happy));
  const happyCount = Math.max(count >= 2 ? 1 : 0, Math.ceil(count * HAPPY_SHARE));
  const chosen: Persona[] = [];
  for (let i = 0; i < happyCount; i += 1) chosen.push(happy[i % happy.length] as Persona);
  for (let i = 0; chosen.length < count; i += 1) chosen.push(unhappy[i % unhappy.length] as Persona);
  const order = rng.shuffle(chosen);

  const seen = new Map<string, number>();
  const variantOffset = new Map(PERSONAS.map((p) => [p.name, rng.int(0, p.variants.length - 1)]));
  return order.map((persona, index) => {
    const occurrence = seen.get(persona.name) ?? 0;
    seen.set(persona.name, occurrence + 1);
    const variant = persona.variants[((variantOffset.get(persona.name) ?? 0) + occurrence) % persona.variants.length] as string;
    const noisy = !persona.happy && !persona.kinds.includes("benign_exception") && rng.chance(NOISE_CHANCE);
    return { index, persona, variant, noise: noisy ? rng.pick(NOISE_ISSUES) : null };
  });
}

/**
 * Sessions of the named personas, in order (for tests and demos): `name` or `name:variant`.
 * With more sessions than names, the names repeat.
 */
export function planNamedSessions(names: readonly string[], count: number): SessionPlan[] {
  if (names.length === 0) throw new ConfigError("invalid_personas", "no persona named");
  const specs = names.map((spec) => {
    const [name = "", variant] = spec.split(":");
    const persona = findPersona(name);
    if (!persona) throw new ConfigError("unknown_persona", `unknown persona ${JSON.stringify(name)}; known: ${PERSONAS.map((p) => p.name).join(", ")}`);
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
