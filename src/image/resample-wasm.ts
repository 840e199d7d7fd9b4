/**
 * Pillow's 8-bit BICUBIC resize with the two passes in WebAssembly SIMD (resample-kernels.wat),
 * about 4x faster than the same integer arithmetic in plain JavaScript, which V8 does not
 * vectorize. Results are bit-identical to resizeBicubicU8Js (tested on every fixture).
 *
 * Only the source columns and rows the output window needs are copied into WebAssembly memory,
 * in bands of 1 MiB, so memory stays small whatever the image size; the one module memory
 * is reused (calls are synchronous, so there is no sharing between images).
 */
import { checkHeld, passSpan, toFixedPoint, wholeImage } from './coefficients.ts';
import type { SourcePart, Window } from './coefficients.ts';
import { KERNELS_WASM_BASE64 } from './resample-kernels.ts';

interface Kernels {
  memory: WebAssembly.Memory;
  hpass(src: number, srcStride: number, ch: number, rows: number, bounds: number, pairs: number,
    pairStride: number, outW: number, out: number): void;
  hpass1(src: number, srcStride: number, rows: number, bounds: number, kk: number,
    ksize: number, outW: number, out: number): void;
  vpass(mid: number, stride: number, rowLen: number, bounds: number, kk: number,
    ksize: number, outRows: number, out: number): void;
}

function instantiate(): Kernels | null {
  const bytes = Buffer.from(KERNELS_WASM_BASE64, 'base64');
  // Runtimes without WebAssembly SIMD reject the module; the JavaScript path is used then.
  if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return null;
  return new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Kernels;
}

const kernels = instantiate();

export const wasmAvailable = kernels !== null;

/**
 * Source rows copied per band. The module's memory never shrinks, so this stays resident:
 * 1 MiB resamples as fast as 4 (bench/preprocess.ts, 2400x1800: 8.6-9.2 ms either way) and
 * holds 3 MiB less.
 */
const BAND_BYTES = 1 << 20;
/** Past this much WebAssembly memory, use the JavaScript path rather than keep it allocated. */
const MAX_MEMORY = 256 << 20;
/** Spill room after each buffer: 8-byte loads of a tap pair (up to 5 bytes past the last
 * pixel a row reads), 16-byte vertical chunks. */
const PAD = 16;

function align16(n: number): number {
  return (n + 15) & ~15;
}

/**
 * Same contract as resizeBicubicU8Js (window inside the output, outW/outH differing from the
 * source in at least one dimension, `src` holding `part` of the image); returns null when it
 * cannot run here.
 */
export function resizeBicubicU8Wasm(
  src: Uint8Array, srcW: number, srcH: number, ch: number, outW: number, outH: number, win: Window,
  part: SourcePart = wholeImage(srcW, srcH),
): Uint8Array | null {
  if (kernels === null || !(ch === 1 || ch === 3 || ch === 4)) return null;

  const { coeffs: vert, first: rowFirst, end: rowEnd } = passSpan(srcH, outH, win.y, win.height);
  const midRows = rowEnd - rowFirst;
  const rowLen = win.width * ch;

  const { coeffs: horiz, first: colFirst, end: colEnd } = passSpan(srcW, outW, win.x, win.width);
  checkHeld(part, colFirst, colEnd, rowFirst, rowEnd);
  const bandStride = (colEnd - colFirst) * ch;
  const bandRows = Math.max(1, Math.min(midRows, Math.floor(BAND_BYTES / bandStride)));

  // Layout: [h bounds][h weights][v bounds][v weights][mid][out][band]. The horizontal
  // weights of 3- and 4-byte pixels are in tap pairs of 32 bytes (see splitPairs).
  const hBounds = 0;
  const hKk = align16(hBounds + (horiz ? horiz.bounds.length * 4 : 0));
  const pairStride = horiz ? ((horiz.ksize + 1) >> 1) * 32 : 0;
  const hBytes = !horiz ? 0 : ch === 1 ? horiz.weights.length * 4 : win.width * pairStride;
  const vBounds = align16(hKk + hBytes);
  const vKk = align16(vBounds + (vert ? vert.bounds.length * 4 : 0));
  const mid = align16(vKk + (vert ? vert.weights.length * 4 : 0));
  const out = align16(mid + midRows * rowLen + PAD);
  const band = align16(out + win.height * rowLen + PAD);
  const end = band + (horiz ? bandRows * bandStride + PAD : 0);
  if (end > MAX_MEMORY) return null;

  const memory = kernels.memory;
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const heap = new Uint8Array(memory.buffer);
  const heap32 = new Int32Array(memory.buffer);

  if (horiz) {
    // Bounds relative to the copied column range.
    const b = horiz.bounds;
    for (let i = 0; i < b.length; i += 2) {
      heap32[hBounds / 4 + i] = b[i]! - colFirst;
      heap32[hBounds / 4 + i + 1] = b[i + 1]!;
    }
    if (ch === 1) heap32.set(toFixedPoint(horiz.weights), hKk / 4);
    else splitPairs(toFixedPoint(horiz.weights), horiz.bounds, horiz.ksize, new Int16Array(memory.buffer, hKk, hBytes / 2));
  }
  if (vert) {
    const b = vert.bounds;
    for (let i = 0; i < b.length; i += 2) {
      heap32[vBounds / 4 + i] = b[i]! - rowFirst;
      heap32[vBounds / 4 + i + 1] = b[i + 1]!;
    }
    heap32.set(toFixedPoint(vert.weights), vKk / 4);
  }

  // Samples per held row; the sample where row rowFirst's column `x` is held is rowStart + x * ch.
  const srcStride = part.width * ch;
  const rowStart = (rowFirst - part.top) * srcStride - part.left * ch;
  if (horiz) {
    for (let r = 0; r < midRows; r += bandRows) {
      const rows = Math.min(bandRows, midRows - r);
      for (let i = 0; i < rows; i++) {
        const s = rowStart + (r + i) * srcStride + colFirst * ch;
        heap.set(src.subarray(s, s + bandStride), band + i * bandStride);
      }
      const dst = mid + r * rowLen;
      if (ch === 1) {
        kernels.hpass1(band, bandStride, rows, hBounds, hKk, horiz.ksize, win.width, dst);
      } else {
        kernels.hpass(band, bandStride, ch, rows, hBounds, hKk, pairStride, win.width, dst);
      }
    }
  } else {
    for (let i = 0; i < midRows; i++) {
      const s = rowStart + i * srcStride + win.x * ch;
      heap.set(src.subarray(s, s + rowLen), mid + i * rowLen);
    }
  }

  if (!vert) return heap.slice(mid, mid + win.height * rowLen);
  kernels.vpass(mid, rowLen, rowLen, vBounds, vKk, vert.ksize, win.height, out);
  return heap.slice(out, out + win.height * rowLen);
}

/**
 * The horizontal kernel's weights for 3- and 4-byte pixels: per output column, per pair of
 * taps (2j, 2j+1), eight i16 lanes of the high parts (w >> 11, alternating the two taps) and
 * eight of the low parts (w & 2047), so that hi * 2048 + lo = w exactly; a tap past the
 * column's last weighs 0. Fixed-point weights lie within +-2^22, so both parts fit in i16.
 */
function splitPairs(kk: Int32Array, bounds: Int32Array, ksize: number, out: Int16Array): void {
  const pairs = (ksize + 1) >> 1;
  for (let xx = 0; xx < bounds.length / 2; xx++) {
    const n = bounds[xx * 2 + 1]!;
    for (let j = 0; j < pairs; j++) {
      const w0 = 2 * j < n ? kk[xx * ksize + 2 * j]! : 0;
      const w1 = 2 * j + 1 < n ? kk[xx * ksize + 2 * j + 1]! : 0;
      const o = (xx * pairs + j) * 16;
      for (let lane = 0; lane < 8; lane += 2) {
        out[o + lane] = w0 >> 11;
        out[o + lane + 1] = w1 >> 11;
        out[o + 8 + lane] = w0 & 2047;
        out[o + 8 + lane + 1] = w1 & 2047;
      }
    }
  }
}
