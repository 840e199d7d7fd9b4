// The Pillow resampler port: hand-checkable cases, then small random cases resized by PIL itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { premultiplyRgba } from '../src/image/convert.ts';
import { passSpan, sourceSpan } from '../src/image/coefficients.ts';
import { centerCrop, centerCropPlan, clipResizeSize, roundHalfEven } from '../src/image/crop.ts';
import {
  bicubicFilter, nearestIndices, precomputeCoeffs, resizeBicubicI32, resizeBicubicU8, resizeBicubicU8Js, resizeNearestU8,
  toFixedPoint,
} from '../src/image/resample.ts';
import { resizeBicubicU8Wasm, wasmAvailable } from '../src/image/resample-wasm.ts';
import { FIXTURE_DIR } from './fixtures/images/fixtures.ts';

describe('bicubic kernel (a = -0.5)', () => {
  it('has the textbook values', () => {
    expect(bicubicFilter(0)).toBe(1);
    expect(bicubicFilter(1) + 0).toBe(0);
    expect(bicubicFilter(2) + 0).toBe(0); // -0 from the outer lobe's formula
    expect(bicubicFilter(0.5)).toBe(0.5625); // (1.5*0.5 - 2.5) * 0.25 + 1
    expect(bicubicFilter(-1.5)).toBe(-0.0625); // (((1.5-5)*1.5 + 8)*1.5 - 4) * -0.5
    expect(bicubicFilter(2.5)).toBe(0);
  });
});

describe('coefficients', () => {
  it('downscale 4 -> 2: support widened to 4, taps normalized, 22-bit fixed point', () => {
    const c = precomputeCoeffs(4, 2);
    expect(c.ksize).toBe(9); // ceil(2 * 2) * 2 + 1
    expect(Array.from(c.bounds)).toEqual([0, 4, 0, 4]);
    // Pixel 0: centre 1.0, taps at (x - 1 + 0.5) / 2 = -0.25, 0.25, 0.75, 1.25.
    const sum = 0.8671875 * 2 + 0.2265625 - 0.0703125; // 1.890625
    expect(Array.from(c.weights.subarray(0, 4))).toEqual([0.8671875 / sum, 0.8671875 / sum, 0.2265625 / sum, -0.0703125 / sum]);
    const k = toFixedPoint(c.weights);
    // round half away from zero of w * 2^22
    expect(Array.from(k.subarray(0, 4))).toEqual([1923834, 1923834, 502623, -155987]);
  });

  it('upscale keeps support 2 and clamps the window at the edges', () => {
    const c = precomputeCoeffs(3, 6);
    expect(c.ksize).toBe(5);
    // centre of output 0 is 0.25: taps from trunc(0.25 - 2 + 0.5) -> 0 to trunc(2.75) = 2
    expect([c.bounds[0], c.bounds[1]]).toEqual([0, 2]);
    expect([c.bounds[10], c.bounds[11]]).toEqual([1, 2]); // output 5, centre 2.75: [1, 3)
  });

  it('a window of coefficients equals the same rows of the full table', () => {
    const full = precomputeCoeffs(1000, 373);
    const part = precomputeCoeffs(1000, 373, 74, 224);
    expect(Array.from(part.bounds)).toEqual(Array.from(full.bounds.subarray(74 * 2, (74 + 224) * 2)));
    expect(Array.from(part.weights)).toEqual(Array.from(full.weights.subarray(74 * full.ksize, (74 + 224) * full.ksize)));
  });
});

describe('resizeBicubicU8, hand-checked', () => {
  it('step edge [0 0 255 255] -> 2 pixels is [21, 234]', () => {
    // 2^21 + 255 * (502623 - 155987) = 90489332 >> 22 = 21; 2^21 + 255 * 2 * 1923834 >> 22 = 234
    expect(Array.from(resizeBicubicU8(Uint8Array.from([0, 0, 255, 255]), 4, 1, 1, 2, 1))).toEqual([21, 234]);
  });

  it('a constant image stays constant at any size', () => {
    const src = new Uint8Array(37 * 23 * 3).fill(200);
    const out = resizeBicubicU8(src, 37, 23, 3, 11, 50);
    expect(out.every((v) => v === 200)).toBe(true);
    const one = resizeBicubicU8(Uint8Array.from([9, 99, 199]), 1, 1, 3, 224, 224);
    expect(one.length).toBe(224 * 224 * 3);
    for (let i = 0; i < one.length; i += 3) expect([one[i], one[i + 1], one[i + 2]]).toEqual([9, 99, 199]);
  });

  it('same size is a plain copy; one unchanged dimension skips that pass', () => {
    const src = Uint8Array.from({ length: 5 * 4 }, (_, i) => (i * 53) % 256);
    expect(Array.from(resizeBicubicU8(src, 5, 4, 1, 5, 4))).toEqual(Array.from(src));
    // Width unchanged: each column is resized on its own, untouched by a horizontal pass.
    const tall = resizeBicubicU8(src, 5, 4, 1, 5, 2);
    for (let x = 0; x < 5; x++) {
      const col = Uint8Array.from([0, 1, 2, 3], (y) => src[y * 5 + x]!);
      const r = resizeBicubicU8(col, 1, 4, 1, 1, 2);
      expect([tall[x], tall[5 + x]]).toEqual([r[0], r[1]]);
    }
  });

  it('overshoot is clipped to 0..255 after each pass', () => {
    const src = Uint8Array.from([0, 0, 0, 255, 255, 255, 0, 0, 0]);
    const out = resizeBicubicU8(src, 9, 1, 1, 31, 1);
    expect(Math.max(...out)).toBe(255);
    expect(Math.min(...out)).toBe(0);
  });

  it('computing a window equals resizing everything and cropping', () => {
    const w = 61, h = 47, ch = 3;
    const src = Uint8Array.from({ length: w * h * ch }, (_, i) => (i * 7919 + (i >> 5) * 31) % 256);
    const full = resizeBicubicU8(src, w, h, ch, 90, 29);
    const win = { x: 13, y: 5, width: 40, height: 17 };
    const part = resizeBicubicU8(src, w, h, ch, 90, 29, win);
    for (let y = 0; y < win.height; y++) {
      const row = full.subarray(((win.y + y) * 90 + win.x) * ch, ((win.y + y) * 90 + win.x + win.width) * ch);
      expect(Array.from(part.subarray(y * win.width * ch, (y + 1) * win.width * ch))).toEqual(Array.from(row));
    }
  });

  it('sourceSpan gives the source range passSpan reads, without the weights between', () => {
    let checked = 0;
    for (const inSize of [1, 2, 7, 61, 224, 300, 1999, 2400]) {
      for (const outSize of [1, 3, 224, 298, 301, 4000]) {
        for (const [first, count] of [[0, outSize], [Math.floor(outSize / 3), Math.max(1, Math.floor(outSize / 3))], [outSize - 1, 1]] as const) {
          const full = passSpan(inSize, outSize, first, count);
          expect(sourceSpan(inSize, outSize, first, count), `${inSize} -> ${outSize}, ${count} from ${first}`).toEqual({ first: full.first, end: full.end });
          checked++;
        }
      }
    }
    expect(checked).toBe(8 * 6 * 3);
  });

  it('reads only the held part of the source: a part covering what the window reads gives the same bytes', () => {
    const w = 97, h = 61, ch = 3;
    const src = Uint8Array.from({ length: w * h * ch }, (_, i) => (i * 7919 + (i >> 5) * 31) % 256);
    const cases: [number, number, { x: number; y: number; width: number; height: number }][] = [
      [33, 21, { x: 4, y: 3, width: 20, height: 12 }], // down both ways
      [140, 88, { x: 50, y: 30, width: 40, height: 20 }], // up both ways
      [97, 20, { x: 10, y: 2, width: 70, height: 15 }], // vertical pass only
      [40, 61, { x: 5, y: 7, width: 30, height: 40 }], // horizontal pass only
      [97, 61, { x: 9, y: 8, width: 50, height: 30 }], // same size: a plain copy
    ];
    for (const [ow, oh, win] of cases) {
      const whole = resizeBicubicU8Js(src, w, h, ch, ow, oh, win);
      const cols = ow === w ? { first: win.x, end: win.x + win.width } : passSpan(w, ow, win.x, win.width);
      const rows = oh === h ? { first: win.y, end: win.y + win.height } : passSpan(h, oh, win.y, win.height);
      const part = { left: cols.first, top: rows.first, width: cols.end - cols.first, height: rows.end - rows.first };
      const held = new Uint8Array(part.width * part.height * ch);
      for (let y = 0; y < part.height; y++) {
        const s0 = ((part.top + y) * w + part.left) * ch;
        held.set(src.subarray(s0, s0 + part.width * ch), y * part.width * ch);
      }
      expect(Buffer.from(resizeBicubicU8Js(held, w, h, ch, ow, oh, win, part)).equals(Buffer.from(whole))).toBe(true);
      expect(Buffer.from(resizeBicubicU8(held, w, h, ch, ow, oh, win, part)).equals(Buffer.from(whole))).toBe(true);
      if (ow !== w || oh !== h) expect(Buffer.from(resizeBicubicU8Wasm(held, w, h, ch, ow, oh, win, part)!).equals(Buffer.from(whole))).toBe(true);
      // One column or row short of what the window reads is an error, not different bytes.
      if (part.width > 1) {
        const short = { ...part, width: part.width - 1 };
        expect(() => resizeBicubicU8(held, w, h, ch, ow, oh, win, short)).toThrow(/only the/);
        expect(() => resizeBicubicU8Js(held, w, h, ch, ow, oh, win, short)).toThrow(/only the/);
      }
      if (part.top > 0) expect(() => resizeBicubicU8(held, w, h, ch, ow, oh, win, { ...part, top: part.top - 1 })).toThrow(/only the/);
    }
  });

  it('rejects parts outside the image or larger than the samples given', () => {
    const src = new Uint8Array(6 * 4 * 3);
    expect(() => resizeBicubicU8(src, 6, 4, 3, 3, 2, undefined, { left: 1, top: 0, width: 6, height: 4 })).toThrow(/not inside the 6x4 image/);
    expect(() => resizeBicubicU8(src.subarray(1), 6, 4, 3, 3, 2, undefined, { left: 0, top: 0, width: 6, height: 4 })).toThrow(/too small/);
  });

  it('rejects windows outside the output and undersized sources', () => {
    const src = new Uint8Array(12);
    expect(() => resizeBicubicU8(src, 2, 2, 3, 4, 4, { x: 2, y: 0, width: 3, height: 1 })).toThrow(RangeError);
    expect(() => resizeBicubicU8(src, 3, 2, 3, 4, 4)).toThrow(RangeError);
  });
});

describe('WebAssembly SIMD kernels == JavaScript implementation', () => {
  it('are available on this Node', () => {
    expect(wasmAvailable).toBe(true);
  });

  const rand = (n: number, seed: number) => {
    const a = new Uint8Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      a[i] = s >>> 24;
    }
    return a;
  };
  const shapes: [number, number, number, number, number][] = [
    // srcW, srcH, ch, outW, outH
    [640, 427, 3, 335, 224], [427, 640, 4, 224, 335], [301, 403, 1, 224, 299], [50, 30, 3, 373, 224],
    [224, 300, 3, 224, 224], [300, 224, 4, 224, 224], [3000, 40, 3, 16800, 224], [2, 2, 3, 5, 1],
    [17, 3, 1, 2, 9], [1, 1, 4, 224, 224], [999, 7, 3, 31, 2],
  ];
  it.each(shapes)('%ix%i ch %i -> %ix%i', (w, h, ch, ow, oh) => {
    const src = rand(w * h * ch, w * 31 + h);
    const wins = [
      { x: 0, y: 0, width: ow, height: oh },
      { x: Math.floor((ow - Math.min(ow, 224)) / 2), y: Math.floor((oh - Math.min(oh, 224)) / 2), width: Math.min(ow, 224), height: Math.min(oh, 224) },
      { x: ow - 1, y: oh - 1, width: 1, height: 1 },
    ];
    for (const win of wins) {
      const js = resizeBicubicU8Js(src, w, h, ch, ow, oh, win);
      const wasm = resizeBicubicU8Wasm(src, w, h, ch, ow, oh, win);
      expect(wasm).not.toBeNull();
      expect(Buffer.from(wasm!).equals(Buffer.from(js))).toBe(true);
    }
  });
});

describe('nearest', () => {
  it('advances the position by repeated addition, like ImagingScaleAffine', () => {
    expect(Array.from(nearestIndices(4, 2, 0, 2))).toEqual([1, 3]);
    expect(Array.from(nearestIndices(2, 5, 0, 5))).toEqual([0, 0, 1, 1, 1]);
    expect(Array.from(nearestIndices(300, 336, 56, 3))).toEqual(Array.from(nearestIndices(300, 336, 0, 59).subarray(56)));
  });
});

interface PilCase {
  mode: 'L' | 'RGB' | 'RGBA' | 'I';
  filter: 'BICUBIC' | 'NEAREST';
  src: [number, number];
  dst: [number, number];
  in: string;
  out: string;
}

describe('resizes of random images equal PIL Image.resize (resample_cases.json)', () => {
  const cases = JSON.parse(readFileSync(join(FIXTURE_DIR, 'resample_cases.json'), 'utf8')) as PilCase[];
  const label = (c: PilCase) => `${c.mode} ${c.filter} ${c.src.join('x')} -> ${c.dst.join('x')}`;
  it.each(cases.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const [sw, sh] = c.src;
    const [dw, dh] = c.dst;
    const input = Buffer.from(c.in, 'base64');
    const expected = Buffer.from(c.out, 'base64');
    if (c.mode === 'I') {
      const src = new Int32Array(new Uint8Array(input).buffer);
      const out = resizeBicubicI32(src, sw, sh, dw, dh);
      expect(Array.from(out)).toEqual(Array.from(new Int32Array(new Uint8Array(expected).buffer)));
      return;
    }
    const ch = c.mode === 'L' ? 1 : c.mode === 'RGB' ? 3 : 4;
    if (c.filter === 'NEAREST') {
      expect(Array.from(resizeNearestU8(input, sw, sh, ch, dw, dh))).toEqual(Array.from(expected));
      return;
    }
    if (c.mode !== 'RGBA') {
      expect(Array.from(resizeBicubicU8(input, sw, sh, ch, dw, dh))).toEqual(Array.from(expected));
      expect(Array.from(resizeBicubicU8Js(input, sw, sh, ch, dw, dh))).toEqual(Array.from(expected));
      return;
    }
    // PIL resizes RGBA premultiplied (RGBa) and converts back; compare colour where the
    // output alpha is 255 or 0 (no division), and alpha everywhere.
    const out = resizeBicubicU8(premultiplyRgba(input), sw, sh, 4, dw, dh);
    for (let i = 0; i < out.length; i += 4) {
      expect(out[i + 3]).toBe(expected[i + 3]);
      if (out[i + 3] === 255) expect([out[i], out[i + 1], out[i + 2]]).toEqual([expected[i], expected[i + 1], expected[i + 2]]);
    }
  });
});

describe('Resize/CenterCrop geometry', () => {
  it('short side to 224, long side truncated', () => {
    expect(clipResizeSize(1000, 600, 224)).toEqual([373, 224]); // 373.33
    expect(clipResizeSize(600, 1000, 224)).toEqual([224, 373]);
    expect(clipResizeSize(500, 500, 224)).toEqual([224, 224]);
    expect(clipResizeSize(1, 1, 224)).toEqual([224, 224]);
    expect(clipResizeSize(3000, 40, 224)).toEqual([16800, 224]);
    expect(clipResizeSize(641, 427, 224)).toEqual([336, 224]); // 336.26
  });

  it('round() is banker\'s rounding', () => {
    expect([0.5, 1.5, 2.5, 74.5, 38.5, 3, -1.5].map(roundHalfEven)).toEqual([0, 2, 2, 74, 38, 3, -2]);
  });

  it('crop offsets', () => {
    expect(centerCropPlan(373, 224, 224)).toMatchObject({ left: 74, top: 0, padLeft: 0 }); // round(74.5)
    expect(centerCropPlan(227, 224, 224)).toMatchObject({ left: 2, top: 0 }); // round(1.5)
    expect(centerCropPlan(224, 16800, 224)).toMatchObject({ left: 0, top: 8288 });
  });

  it('pads like torchvision when the image is smaller than the crop', () => {
    // 3x1 image into a 4x4 crop: pad left (4-3)//2 = 0, right 1, top (4-1)//2 = 1, bottom 2.
    const p = centerCropPlan(3, 1, 4);
    expect(p).toMatchObject({ padLeft: 0, padRight: 1, padTop: 1, padBottom: 2, left: 0, top: 0 });
    const out = centerCrop(Uint8Array.from([1, 2, 3]), 3, 1, 1, 4);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // 6 wide, 2 high into 4: width cropped at round(1) = 1 after no padding; height padded by 1 and 1.
    const out2 = centerCrop(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), 6, 2, 1, 4);
    expect(Array.from(out2)).toEqual([0, 0, 0, 0, 2, 3, 4, 5, 8, 9, 10, 11, 0, 0, 0, 0]);
  });
});
