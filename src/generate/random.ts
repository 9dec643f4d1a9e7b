/**
 * Seeded randomness, the one PRNG of the project: the same seed gives the same scripted users
 * (personas, variants, products, typed text and mouse paths; only timing, how fast the browser
 * answers, differs between runs) and the same test fixtures, byte for byte.
 */

const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

/** mulberry32: a tiny 32-bit PRNG yielding uint32 values. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** A generator for one purpose, derived from a seed and labels, independent of every other draw. */
  static derive(seed: number, ...labels: Array<string | number>): Rng {
    let hash = (seed ^ 0x9e3779b9) >>> 0;
    for (const label of labels) {
      for (const ch of String(label)) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193) >>> 0;
      hash = Math.imul(hash ^ 0x2f, 0x01000193) >>> 0;
    }
    return new Rng(hash);
  }

  uint32(): number {
    return this.next();
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 0x1_0000_0000;
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + this.float() * (max - min);
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(0, items.length - 1)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i -= 1) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  /** A lowercase alphanumeric string, the shape of posthog-js's `$insert_id`. */
  alnum(length: number): string {
    let out = "";
    for (let i = 0; i < length; i += 1) out += ALNUM[this.int(0, ALNUM.length - 1)];
    return out;
  }

  hex(length: number): string {
    let out = "";
    for (let i = 0; i < length; i += 1) out += (this.next() & 0xf).toString(16);
    return out;
  }

  /** A child generator, so one consumer's draws do not shift another's. */
  fork(): Rng {
    return new Rng(this.next());
  }
}
