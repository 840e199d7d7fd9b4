import { it } from 'vitest';
import { preprocessGuarded } from '../src/sources/pixels.ts';
import { PIXELS_PER_IMAGE } from '../src/image/preprocess.ts';
import { fixtureBytes } from './fixtures/images/fixtures.ts';
it('dbg', async () => {
  for (const [n, cut] of [['jpeg_1000x600.jpg', 0.5], ['png_rgb.png', 0.5], ['gif_gray.gif', 0.5], ['webp_lossy.webp', 0.5], ['tiff_rgb.tif', 0.5], ['jpeg_1000x600.jpg', 0.01]] as const) {
    const b = fixtureBytes(n);
    try { await preprocessGuarded(b.subarray(0, Math.floor(b.length * cut)), new Float32Array(PIXELS_PER_IMAGE), 0, { name: n }); console.log('OK?', n); } catch (e: any) { console.log(e.code, e.message); }
  }
});
