// A small seeded PRNG (mulberry32) for the benchmark inputs: the same seed gives
// the same captions and photos on every machine, so runs compare.

export type Rng = () => number;

export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: Rng, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)];
}

export function intBetween(r: Rng, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** Roughly normal (sum of 4 uniforms), mean 0, standard deviation 1. */
export function normal(r: Rng): number {
  return (r() + r() + r() + r() - 2) * Math.sqrt(3);
}
