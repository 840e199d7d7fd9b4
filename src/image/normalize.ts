/**
 * ToTensor() + Normalize(mean, std) in float32, [3, H, W] layout.
 *
 * torch does `x.float().div(255)`, then `sub_(mean).div_(std)` with mean/std as float32
 * tensors: three float32 operations, each correctly rounded. A uint8 input has only 256
 * values per channel, so we evaluate that exact chain once per value into a lookup table
 * (Math.fround of a double +,-,/ of float32 operands is the correctly rounded float32 result)
 * and the per-pixel work is a table read.
 */

export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

function buildTable(mean: readonly number[], std: readonly number[]): Float32Array {
  const t = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c]!);
    const s = Math.fround(std[c]!);
    for (let v = 0; v < 256; v++) {
      const x = Math.fround(v / 255);
      t[c * 256 + v] = Math.fround(Math.fround(x - m) / s);
    }
  }
  return t;
}

const CLIP_TABLE = buildTable(CLIP_MEAN, CLIP_STD);

/** The float32 value CLIP's preprocessing gives to byte `v` of channel `c`. */
export function normalizedValue(c: 0 | 1 | 2, v: number): number {
  return CLIP_TABLE[c * 256 + v]!;
}

/**
 * Writes `rgb` (interleaved HWC uint8, width*height pixels) into `out` as CHW float32
 * starting at `offset`, so a batch tensor can be filled in place.
 */
export function normalizeInto(rgb: Uint8Array, pixels: number, out: Float32Array, offset: number): void {
  if (rgb.length < pixels * 3) throw new RangeError(`normalizeInto: ${rgb.length} bytes for ${pixels} RGB pixels`);
  if (!(offset >= 0 && offset + pixels * 3 <= out.length)) {
    throw new RangeError(
      `normalizeInto: output of length ${out.length} cannot hold ${pixels * 3} values at offset ${offset}`,
    );
  }
  const t = CLIP_TABLE;
  const r = offset;
  const g = offset + pixels;
  const b = offset + 2 * pixels;
  for (let i = 0, p = 0; i < pixels; i++, p += 3) {
    out[r + i] = t[rgb[p]!]!;
    out[g + i] = t[256 + rgb[p + 1]!]!;
    out[b + i] = t[512 + rgb[p + 2]!]!;
  }
}
