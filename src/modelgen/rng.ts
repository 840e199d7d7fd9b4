// Seeded random numbers for the generated weights.
//
// Only integer arithmetic and basic IEEE float operations are used (no Math.log / Math.cos):
// those are exactly specified, so the same seed gives byte-identical weights on every
// machine and Node version, which a Box-Muller transform could not promise.

/** murmur3's 32-bit finalizer: spreads every input bit over the whole word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Seed of the stream for one named tensor. Each tensor gets its own stream so that adding,
 * removing or reordering tensors in a tower never changes the values of the others.
 */
export function tensorSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ fmix32(seed >>> 0); // FNV-1a over the name, started from the mixed seed
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

const SQRT3 = Math.sqrt(3); // sqrt is correctly rounded in IEEE 754, so this is portable

/**
 * Fills `out` with mean + std * z where z is normal-ish: an Irwin-Hall sum of four 16-bit
 * uniforms (two mulberry32 draws), scaled to unit variance. Bounded at +-3.46 std, which
 * also keeps random weights free of the rare huge outliers a true normal would give.
 */
export function fillNormal(out: Float32Array, seed: number, std: number, mean = 0): Float32Array {
  const scale = (std * SQRT3) / 65536;
  let a = seed | 0;
  for (let i = 0; i < out.length; i++) {
    // mulberry32, inlined twice: this loop produces ~150 M values for the base model.
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const r1 = (t ^ (t >>> 14)) >>> 0;
    a = (a + 0x6d2b79f5) | 0;
    t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const r2 = (t ^ (t >>> 14)) >>> 0;
    const sum = (r1 & 0xffff) + (r1 >>> 16) + (r2 & 0xffff) + (r2 >>> 16);
    out[i] = mean + (sum - 131070) * scale; // 131070 = 4 * 65535 / 2, the mean of the sum
  }
  return out;
}
