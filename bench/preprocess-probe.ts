// Bundled on its own (see build.mjs): the cost of the scripts' own image
// preprocessing (src/image: decode, resize, crop, normalize), in this process,
// one image at a time. Loaded with a dynamic import so that a src/image that is
// mid-edit only drops this diagnostic.

import { readFileSync } from 'node:fs';
import { preprocessImage } from '../src/image/preprocess.ts';

export async function preprocessMs(paths: string[]): Promise<number[]> {
  const times: number[] = [];
  for (const path of paths) {
    const bytes = readFileSync(path);
    const start = performance.now();
    await preprocessImage(bytes);
    times.push(performance.now() - start);
  }
  return times;
}
