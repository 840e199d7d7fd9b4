/**
 * Pillow's `Image.resize(size, BICUBIC)` (src/libImaging/Resample.c) and
 * `Image.resize(size, NEAREST)` (Geometry.c ImagingScaleAffine), ported so the output is
 * bit-identical (checked against Pillow 9.4).
 *
 * Every output pixel of Pillow's separable resize depends only on its own row of the
 * horizontal pass and its own column of coefficients, so we can compute just a window of the
 * output (the 224x224 centre crop) and get the same bytes as resizing everything and cropping.
 * That is most of the speed: a 3000x40 panorama resizes to 16800x224 but we only ever compute
 * 224x224 of it, and the horizontal pass only touches the source rows the window needs.
 */

import { HALF, PRECISION_BITS, checkHeld, passSpan, precomputeCoeffs, toFixedPoint, wholeImage } from './coefficients.ts';
import type { Coefficients, SourcePart, Window } from './coefficients.ts';
import { resizeBicubicU8Wasm } from './resample-wasm.ts';

export { bicubicFilter, precomputeCoeffs, toFixedPoint } from './coefficients.ts';
export type { Coefficients, SourcePart, Window } from './coefficients.ts';

function checkWindow(outW: number, outH: number, win: Window): void {
  if (
    !(win.x >= 0 && win.y >= 0 && win.width > 0 && win.height > 0 &&
      win.x + win.width <= outW && win.y + win.height <= outH)
  ) {
    throw new RangeError(
      `resample window ${win.width}x${win.height}+${win.x}+${win.y} is not inside the ${outW}x${outH} output`,
    );
  }
}

function checkSource(len: number, w: number, h: number, ch: number): void {
  if (!(w >= 1 && h >= 1 && len >= w * h * ch)) {
    throw new RangeError(`source of ${len} samples is too small for ${w}x${h}x${ch}`);
  }
}

/** Checks a held part of a srcW x srcH image and that `len` samples fill it. */
function checkPart(len: number, srcW: number, srcH: number, ch: number, part: SourcePart): void {
  if (!(srcW >= 1 && srcH >= 1 && part.left >= 0 && part.top >= 0 && part.left + part.width <= srcW && part.top + part.height <= srcH)) {
    throw new RangeError(`source part ${part.width}x${part.height} at ${part.left},${part.top} is not inside the ${srcW}x${srcH} image`);
  }
  checkSource(len, part.width, part.height, ch);
}

/** The window of a same-size "resize" (no resampling), out of the held part. */
function copyWindow(src: Uint8Array, ch: number, part: SourcePart, win: Window, out: Uint8Array): Uint8Array {
  checkHeld(part, win.x, win.x + win.width, win.y, win.y + win.height);
  return cropWindow(src, part.width, ch, { ...win, x: win.x - part.left, y: win.y - part.top }, out);
}

/**
 * Copies a window out of an interleaved image; used where Pillow does no resampling
 * (same size), and for the crop itself.
 */
export function cropWindow<T extends Uint8Array | Int32Array>(
  src: T, srcW: number, ch: number, win: Window, out: T,
): T {
  const rowLen = win.width * ch;
  for (let y = 0; y < win.height; y++) {
    const s = ((win.y + y) * srcW + win.x) * ch;
    out.set(src.subarray(s, s + rowLen), y * rowLen);
  }
  return out;
}

/**
 * Pillow BICUBIC resize of an interleaved uint8 image with 1 to 4 channels (modes L, RGB,
 * RGBA/RGBa, CMYK), returning only `win` of the (outW x outH) result, interleaved.
 * `src` may hold only `part` of the srcW x srcH image, as long as that covers what the
 * window reads. Runs the WebAssembly SIMD kernels where available, else the JavaScript
 * below; both give Pillow's bytes.
 */
export function resizeBicubicU8(
  src: Uint8Array, srcW: number, srcH: number, ch: number,
  outW: number, outH: number, win: Window = { x: 0, y: 0, width: outW, height: outH },
  part: SourcePart = wholeImage(srcW, srcH),
): Uint8Array {
  checkPart(src.length, srcW, srcH, ch, part);
  checkWindow(outW, outH, win);
  if (outW === srcW && outH === srcH) return copyWindow(src, ch, part, win, new Uint8Array(win.width * win.height * ch));
  return resizeBicubicU8Wasm(src, srcW, srcH, ch, outW, outH, win, part) ?? resizeBicubicU8Js(src, srcW, srcH, ch, outW, outH, win, part);
}

/** The plain JavaScript implementation (the fallback, and the reference for the kernels). */
export function resizeBicubicU8Js(
  src: Uint8Array, srcW: number, srcH: number, ch: number,
  outW: number, outH: number, win: Window = { x: 0, y: 0, width: outW, height: outH },
  part: SourcePart = wholeImage(srcW, srcH),
): Uint8Array {
  checkPart(src.length, srcW, srcH, ch, part);
  checkWindow(outW, outH, win);
  const out = new Uint8Array(win.width * win.height * ch);
  if (outW === srcW && outH === srcH) return copyWindow(src, ch, part, win, out);

  // Pillow skips a pass whose size does not change (need_horizontal / need_vertical).
  const { coeffs: horiz, first: colFirst, end: colEnd } = passSpan(srcW, outW, win.x, win.width);
  const { coeffs: vert, first: rowFirst, end: rowEnd } = passSpan(srcH, outH, win.y, win.height);
  checkHeld(part, colFirst, colEnd, rowFirst, rowEnd);
  // Samples per held row, and the sample index pixel (0, 0) of the whole image would have.
  const stride = part.width * ch;
  const base = -(part.top * part.width + part.left) * ch;

  // Intermediate image: rows [rowFirst, rowEnd) of the horizontal pass, window columns only.
  let mid: Uint8Array;
  let midStride: number; // samples per row
  let midOffset: number; // sample index of (window column 0, row rowFirst)
  if (horiz) {
    mid = new Uint8Array((rowEnd - rowFirst) * win.width * ch);
    horizontalPass(src, stride, base, ch, rowFirst, rowEnd, horiz.bounds, toFixedPoint(horiz.weights), horiz.ksize, win.width, mid);
    midStride = win.width * ch;
    midOffset = 0;
  } else {
    mid = src;
    midStride = stride;
    midOffset = base + rowFirst * stride + win.x * ch;
  }

  if (vert === null) {
    const rowLen = win.width * ch;
    for (let y = 0; y < win.height; y++) {
      const s = midOffset + y * midStride;
      out.set(mid.subarray(s, s + rowLen), y * rowLen);
    }
    return out;
  }
  verticalPass(mid, midStride, midOffset, rowFirst, win.width * ch, vert, out);
  return out;
}

function clip8(v: number): number {
  // Arithmetic shift = floor, as in Pillow's clip8 lookup (in >> PRECISION_BITS).
  const s = v >> PRECISION_BITS;
  return s < 0 ? 0 : s > 255 ? 255 : s;
}

/** Rows [rowFirst, rowEnd) of the image; row y starts at sample `base + y * srcStride` of src. */
function horizontalPass(
  src: Uint8Array, srcStride: number, base: number, ch: number, rowFirst: number, rowEnd: number,
  bounds: Int32Array, kk: Int32Array, ksize: number, outW: number, out: Uint8Array,
): void {
  let o = 0;
  if (ch === 3) {
    for (let y = rowFirst; y < rowEnd; y++) {
      const row = base + y * srcStride;
      for (let xx = 0; xx < outW; xx++) {
        const n = bounds[xx * 2 + 1]!;
        let p = row + bounds[xx * 2]! * 3;
        let k = xx * ksize;
        const kEnd = k + n;
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        for (; k < kEnd; k++, p += 3) {
          const w = kk[k]!;
          s0 = (s0 + Math.imul(src[p]!, w)) | 0;
          s1 = (s1 + Math.imul(src[p + 1]!, w)) | 0;
          s2 = (s2 + Math.imul(src[p + 2]!, w)) | 0;
        }
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
        o += 3;
      }
    }
  } else if (ch === 4) {
    for (let y = rowFirst; y < rowEnd; y++) {
      const row = base + y * srcStride;
      for (let xx = 0; xx < outW; xx++) {
        const n = bounds[xx * 2 + 1]!;
        let p = row + bounds[xx * 2]! * 4;
        let k = xx * ksize;
        const kEnd = k + n;
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        let s3 = HALF;
        for (; k < kEnd; k++, p += 4) {
          const w = kk[k]!;
          s0 = (s0 + Math.imul(src[p]!, w)) | 0;
          s1 = (s1 + Math.imul(src[p + 1]!, w)) | 0;
          s2 = (s2 + Math.imul(src[p + 2]!, w)) | 0;
          s3 = (s3 + Math.imul(src[p + 3]!, w)) | 0;
        }
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
        out[o + 3] = clip8(s3);
        o += 4;
      }
    }
  } else {
    for (let y = rowFirst; y < rowEnd; y++) {
      const row = base + y * srcStride;
      for (let xx = 0; xx < outW; xx++) {
        const n = bounds[xx * 2 + 1]!;
        const p0 = row + bounds[xx * 2]! * ch;
        const k0 = xx * ksize;
        for (let c = 0; c < ch; c++) {
          let s = HALF;
          for (let i = 0; i < n; i++) s += src[p0 + i * ch + c]! * kk[k0 + i]!;
          out[o++] = clip8(s);
        }
      }
    }
  }
}

/**
 * Vertical pass over `rowLen` samples per row. Accumulates tap by tap over whole rows (the
 * integer sum is exact, so the order of additions does not matter) for sequential access.
 */
function verticalPass(
  mid: Uint8Array, midStride: number, midOffset: number, rowFirst: number, rowLen: number,
  vert: Coefficients, out: Uint8Array,
): void {
  const kk = toFixedPoint(vert.weights);
  const { ksize, bounds } = vert;
  const acc = new Int32Array(rowLen);
  const rows = bounds.length / 2;
  for (let yy = 0; yy < rows; yy++) {
    acc.fill(HALF);
    const n = bounds[yy * 2 + 1]!;
    const first = bounds[yy * 2]! - rowFirst;
    for (let i = 0; i < n; i++) {
      const w = kk[yy * ksize + i]!;
      if (w === 0) continue;
      const p = midOffset + (first + i) * midStride;
      for (let x = 0; x < rowLen; x++) acc[x] = (acc[x]! + Math.imul(mid[p + x]!, w)) | 0;
    }
    const o = yy * rowLen;
    for (let x = 0; x < rowLen; x++) out[o + x] = clip8(acc[x]!);
  }
}

/** Pillow's ROUND_UP for the 32-bit integer path: half away from zero, then (int). */
function roundUp(f: number): number {
  return Math.trunc(f >= 0.0 ? f + 0.5 : f - 0.5);
}

/**
 * Pillow BICUBIC resize of a mode "I" (int32, one channel) image: the 32bpc path, which uses
 * the double weights directly, sums in double in tap order and rounds each pass to int32.
 * PIL opens 16-bit grayscale PNGs in this mode.
 */
export function resizeBicubicI32(
  src: Int32Array, srcW: number, srcH: number,
  outW: number, outH: number, win: Window = { x: 0, y: 0, width: outW, height: outH },
): Int32Array {
  checkSource(src.length, srcW, srcH, 1);
  checkWindow(outW, outH, win);
  const out = new Int32Array(win.width * win.height);
  if (outW === srcW && outH === srcH) return cropWindow(src, srcW, 1, win, out);
  const needH = outW !== srcW;
  const { coeffs: vert, first: rowFirst, end: rowEnd } = passSpan(srcH, outH, win.y, win.height);
  let mid: Int32Array;
  let midStride: number;
  let midOffset: number;
  if (needH) {
    const { ksize, bounds, weights } = precomputeCoeffs(srcW, outW, win.x, win.width);
    mid = new Int32Array((rowEnd - rowFirst) * win.width);
    let o = 0;
    for (let y = rowFirst; y < rowEnd; y++) {
      const row = y * srcW;
      for (let xx = 0; xx < win.width; xx++) {
        const xmin = bounds[xx * 2]!;
        const n = bounds[xx * 2 + 1]!;
        let ss = 0.0;
        for (let i = 0; i < n; i++) ss += src[row + xmin + i]! * weights[xx * ksize + i]!;
        mid[o++] = roundUp(ss);
      }
    }
    midStride = win.width;
    midOffset = 0;
  } else {
    mid = src;
    midStride = srcW;
    midOffset = rowFirst * srcW + win.x;
  }
  if (vert === null) {
    for (let y = 0; y < win.height; y++) {
      const s = midOffset + y * midStride;
      out.set(mid.subarray(s, s + win.width), y * win.width);
    }
    return out;
  }
  const { ksize, bounds, weights } = vert;
  // Float64 accumulators, tap-major: each pixel still sums its taps in order 0..n-1 from 0.0.
  const acc = new Float64Array(win.width);
  for (let yy = 0; yy < win.height; yy++) {
    acc.fill(0);
    const n = bounds[yy * 2 + 1]!;
    const first = bounds[yy * 2]! - rowFirst;
    for (let i = 0; i < n; i++) {
      const w = weights[yy * ksize + i]!;
      const p = midOffset + (first + i) * midStride;
      for (let x = 0; x < win.width; x++) acc[x]! += mid[p + x]! * w;
    }
    for (let x = 0; x < win.width; x++) out[yy * win.width + x] = roundUp(acc[x]!);
  }
  return out;
}

/**
 * Source index of each output coordinate for Pillow's NEAREST resize (used for modes P and 1):
 * the position starts at half a step and is advanced by repeated addition in double, exactly
 * as ImagingScaleAffine does, so accumulated rounding picks the same pixels.
 */
export function nearestIndices(inSize: number, outSize: number, first: number, count: number): Int32Array {
  const a = inSize / outSize;
  let pos = a * 0.5;
  for (let i = 0; i < first; i++) pos += a;
  const idx = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    // COORD(v): negative -> -1, else truncate; out-of-range positions are left filled with 0.
    idx[i] = pos < 0.0 ? -1 : Math.trunc(pos);
    if (idx[i]! >= inSize) idx[i] = -1;
    pos += a;
  }
  return idx;
}

/** Pillow NEAREST resize of an interleaved uint8 image, window only. */
export function resizeNearestU8(
  src: Uint8Array, srcW: number, srcH: number, ch: number,
  outW: number, outH: number, win: Window = { x: 0, y: 0, width: outW, height: outH },
): Uint8Array {
  checkSource(src.length, srcW, srcH, ch);
  checkWindow(outW, outH, win);
  const out = new Uint8Array(win.width * win.height * ch);
  if (outW === srcW && outH === srcH) return cropWindow(src, srcW, ch, win, out);
  const xs = nearestIndices(srcW, outW, win.x, win.width);
  const ys = nearestIndices(srcH, outH, win.y, win.height);
  let o = 0;
  for (let y = 0; y < win.height; y++) {
    const sy = ys[y]!;
    if (sy < 0) {
      o += win.width * ch;
      continue;
    }
    const row = sy * srcW * ch;
    for (let x = 0; x < win.width; x++) {
      const sx = xs[x]!;
      if (sx >= 0) {
        const p = row + sx * ch;
        for (let c = 0; c < ch; c++) out[o + c] = src[p + c]!;
      }
      o += ch;
    }
  }
  return out;
}
