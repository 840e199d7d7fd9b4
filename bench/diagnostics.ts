// Where the scripts can lose time against the raw towers, measured piece by piece
// in this process: tokenizing, printing the vectors as TSV arrays, and decoding
// photos (the scripts' own src/image path, and sharp's native resize for scale).

import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { formatArray } from '../src/protocol/arrays.ts';
import type { Photo } from './photos.ts';
import { rng } from './rng.ts';
import { since, sum } from './stats.ts';
import type { Tokenize } from './tokenize.ts';

export interface Diagnostics {
  tokenizeMsPerRow: number;
  formatMsPerRow: number;
  /** The scripts' own preprocessing (src/image), ms per photo, or why it could not run. */
  preprocess: { msPerImage: number; byFormat: Record<string, number>; largestMs: number } | { error: string };
  /** sharp decode + 224x224 cover resize to raw RGB, ms per photo (a native reference). */
  sharpMsPerImage: number;
}

type Probe = { preprocessMs: (paths: string[]) => Promise<number[]> };

export async function diagnostics(tokenize: Tokenize, captions: string[], photos: Photo[]): Promise<Diagnostics> {
  let start = performance.now();
  for (const c of captions) tokenize(c);
  const tokenizeMsPerRow = since(start) / captions.length;

  const r = rng(5);
  const vectors = Array.from({ length: 256 }, () => new Float32Array(512).map(() => (r() - 0.5) * 0.09));
  start = performance.now();
  let text = '';
  for (const v of vectors) text += formatArray(v) + '\n';
  const formatMsPerRow = since(start) / vectors.length;
  if (text.length === 0) throw new Error('unreachable');

  let preprocess: Diagnostics['preprocess'];
  try {
    const probe = (await import(new URL('./preprocess-probe.mjs', import.meta.url).href)) as Probe;
    const times = await probe.preprocessMs(photos.map((p) => p.path));
    const byFormat: Record<string, number> = {};
    for (const format of ['jpeg', 'png']) {
      const t = times.filter((_, i) => photos[i].format === format);
      if (t.length) byFormat[format] = sum(t) / t.length;
    }
    preprocess = { msPerImage: sum(times) / times.length, byFormat, largestMs: Math.max(...times) };
  } catch (err) {
    preprocess = { error: (err as Error).message.split('\n')[0].slice(0, 300) };
  }

  start = performance.now();
  for (const p of photos) {
    await sharp(readFileSync(p.path)).removeAlpha().resize(224, 224, { fit: 'cover', kernel: 'cubic' }).raw().toBuffer();
  }
  const sharpMsPerImage = since(start) / photos.length;
  return { tokenizeMsPerRow, formatMsPerRow, preprocess, sharpMsPerImage };
}
