// encode_image: a path per row -> file bytes -> CLIP pixels -> vision tower -> vectors.
// A row whose file cannot be read or decoded fails alone; the rest of the batch runs.

import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { Tensor } from '@huggingface/transformers';
import { preprocessInto, PIXELS_PER_IMAGE } from '../image/preprocess.ts';
import type { EncoderOptions } from '../options.ts';
import { loadTower } from '../model/towers.ts';
import { rowsOf } from './normalize.ts';
import type { Encode, Outcome } from './types.ts';

const utf8 = new TextDecoder('utf-8', { fatal: false });

export async function createImageEncoder(options: EncoderOptions): Promise<Encode> {
  const model = await loadTower('vision', options);
  return async (values) => {
    const pixels = new Float32Array(values.length * PIXELS_PER_IMAGE);
    const errors = await Promise.all(values.map((v, i) => loadPixels(utf8.decode(v), pixels, i)));
    const good = errors.flatMap((e, i) => (e === null ? [i] : []));
    const outcomes: Outcome[] = errors.map((e) => ({ error: e ?? '' }));
    if (good.length === 0) return outcomes;
    const batch = compact(pixels, good);
    const out = await model({ pixel_values: new Tensor('float32', batch, [good.length, 3, 224, 224]) });
    rowsOf(out.image_embeds.data, good.length, options.normalize).forEach((v, k) => (outcomes[good[k]] = v));
    return outcomes;
  };
}

/** Fills slot `index` of the batch tensor; returns null or the reason the row failed. */
async function loadPixels(path: string, pixels: Float32Array, index: number): Promise<string | null> {
  if (!isAbsolute(path)) return `expected an absolute file path but received ${JSON.stringify(path.slice(0, 200))}`;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return `cannot read ${JSON.stringify(path)}: ${e.code ?? e.message}`;
  }
  try {
    await preprocessInto(bytes, pixels, index * PIXELS_PER_IMAGE);
    return null;
  } catch (err) {
    return `cannot decode ${JSON.stringify(path)} as an image: ${(err as Error).message}`;
  }
}

/** Moves the rows that decoded to the front so the model never sees a failed slot. */
function compact(pixels: Float32Array, good: number[]): Float32Array {
  if (good.length * PIXELS_PER_IMAGE === pixels.length) return pixels;
  const out = new Float32Array(good.length * PIXELS_PER_IMAGE);
  good.forEach((slot, k) => out.set(pixels.subarray(slot * PIXELS_PER_IMAGE, (slot + 1) * PIXELS_PER_IMAGE), k * PIXELS_PER_IMAGE));
  return out;
}
