/**
 * Pillow's BICUBIC filter coefficients (src/libImaging/Resample.c precompute_coeffs and
 * normalize_coeffs_8bpc), computed with the same double arithmetic in the same order so the
 * fixed-point weights come out identical.
 */

/** A rectangle of the resized image to compute. */
export interface Window {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The part of the source image whose samples are held, when not all of it is (a decoder
 * asked for only the pixels a window needs): pixel (x, y) of the whole image is sample
 * `((y - top) * width + (x - left)) * channels`.
 */
export interface SourcePart {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** All of a width x height image, held whole. */
export function wholeImage(width: number, height: number): SourcePart {
  return { left: 0, top: 0, width, height };
}

/** Throws unless `part` holds source columns [colFirst, colEnd) and rows [rowFirst, rowEnd). */
export function checkHeld(part: SourcePart, colFirst: number, colEnd: number, rowFirst: number, rowEnd: number): void {
  if (colFirst < part.left || rowFirst < part.top || colEnd > part.left + part.width || rowEnd > part.top + part.height) {
    throw new RangeError(
      `the window reads source columns ${colFirst}..${colEnd - 1} and rows ${rowFirst}..${rowEnd - 1}, ` +
        `but only the ${part.width}x${part.height} part at ${part.left},${part.top} is held`,
    );
  }
}

// 8 bits for the result and 2 for overshoot of the negative-lobed filter leave 22 in an int32.
export const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
/** Accumulators start at one half: the final >> 22 then rounds. */
export const HALF = 1 << (PRECISION_BITS - 1);
const BICUBIC_SUPPORT = 2.0;

/** Keys' cubic with a = -0.5, written with the same operation order as Pillow's C. */
export function bicubicFilter(x: number): number {
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((-0.5 + 2.0) * x - (-0.5 + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * -0.5;
  return 0.0;
}

export interface Coefficients {
  /** Taps per output sample (the stride of `weights`). */
  ksize: number;
  /** Per output sample of the window: first input index, number of taps. */
  bounds: Int32Array;
  /** Normalized filter weights, `ksize` per output sample, zero-padded. */
  weights: Float64Array;
}

/**
 * precompute_coeffs() for output samples [first, first + count) of a resize from inSize to
 * outSize. The arithmetic is the C code's, in doubles, in the same order; the support is
 * widened by the downscale factor, which is what makes Pillow's resize antialiased.
 */
export function precomputeCoeffs(inSize: number, outSize: number, first = 0, count = outSize): Coefficients {
  // box = (0, 0, w, h) as float in C: exact for any size below 2^24.
  const in0 = 0;
  const scale = (inSize - in0) / outSize;
  const filterscale = scale < 1.0 ? 1.0 : scale;
  const support = BICUBIC_SUPPORT * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(count * 2);
  const weights = new Float64Array(count * ksize);
  const ss = 1.0 / filterscale;
  for (let j = 0; j < count; j++) {
    const xx = first + j;
    const center = in0 + (xx + 0.5) * scale;
    let ww = 0.0;
    // (int) casts in C truncate toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const k = j * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = bicubicFilter((x + xmin - center + 0.5) * ss);
      weights[k + x] = w;
      ww += w;
    }
    if (ww !== 0.0) {
      for (let x = 0; x < xmax; x++) weights[k + x]! /= ww;
    }
    bounds[j * 2] = xmin;
    bounds[j * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/** normalize_coeffs_8bpc(): round half away from zero to 22-bit fixed point. */
export function toFixedPoint(weights: Float64Array): Int32Array {
  const out = new Int32Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    out[i] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
  }
  return out;
}

/** A pass over `count` outputs from `first`, and the source positions [first, end) it reads. */
export interface PassSpan {
  /** null when the size does not change: Pillow skips that pass and reads the window as is. */
  coeffs: Coefficients | null;
  first: number;
  end: number;
}

export function passSpan(inSize: number, outSize: number, first: number, count: number): PassSpan {
  if (inSize === outSize) return { coeffs: null, first, end: first + count };
  const coeffs = precomputeCoeffs(inSize, outSize, first, count);
  const b = coeffs.bounds;
  return { coeffs, first: b[0]!, end: b[(count - 1) * 2]! + b[(count - 1) * 2 + 1]! };
}

/**
 * passSpan's [first, end) alone, for planning what to decode: the span's ends are the first
 * output's first tap and the last output's last, so only those two outputs are computed.
 */
export function sourceSpan(inSize: number, outSize: number, first: number, count: number): { first: number; end: number } {
  if (inSize === outSize) return { first, end: first + count };
  const head = precomputeCoeffs(inSize, outSize, first, 1).bounds;
  const tail = precomputeCoeffs(inSize, outSize, first + count - 1, 1).bounds;
  return { first: head[0]!, end: tail[0]! + tail[1]! };
}
