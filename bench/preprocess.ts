// Milliseconds per image for CLIP preprocessing: decode, resample (resize + crop), total,
// against sharp's own resize. Node 20 has no --experimental-strip-types, so run it through
// esbuild:
//
//   npx esbuild bench/preprocess.ts --bundle --platform=node --format=esm --packages=external \
//     --outfile=.cache/bench/preprocess.mjs && node .cache/bench/preprocess.mjs [iterations]
//
// The test images are made here (smooth gradients, edges and noise, JPEG quality 90, 4:2:0),
// so the numbers do not depend on fixture files.
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { clipResizeCrop } from '../src/image/clip-transform.ts';
import { decodeImage } from '../src/image/decode.ts';
import { normalizeInto } from '../src/image/normalize.ts';
import { CLIP_IMAGE_VALUES, preprocessImage } from '../src/image/preprocess.ts';

const iterations = Number(process.argv[2] ?? 30);

async function makeJpeg(width: number, height: number): Promise<Buffer> {
  const data = new Uint8Array(width * height * 3);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const noise = ((seed >>> 16) & 31) - 16;
      const i = (y * width + x) * 3;
      const edge = (x >> 6) % 2 === (y >> 6) % 2 ? 40 : 0;
      data[i] = Math.max(0, Math.min(255, (x * 255) / width + noise + edge));
      data[i + 1] = Math.max(0, Math.min(255, (y * 255) / height + noise));
      data[i + 2] = Math.max(0, Math.min(255, 128 + 100 * Math.sin((x + y) / 50) + noise - edge));
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 3; i++) await fn(); // warm-up (JIT, libvips caches)
  const t: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

const fmt = (ms: number) => ms.toFixed(2).padStart(7);

async function main(): Promise<void> {
  sharp.cache(false); // measure decoding, not libvips' operation cache
  console.log(`node ${process.version}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, ` +
    `sharp.concurrency ${sharp.concurrency()}, median of ${iterations} runs, ms per image`);
  console.log('image       bytes    decode  resample normalize    total | sharp raw decode  sharp resize cover/cubic');
  for (const [w, h] of [[1200, 800], [2400, 1800]] as const) {
    const jpeg = await makeJpeg(w, h);
    const img = await decodeImage(jpeg);
    const rgb = clipResizeCrop(img);
    const out = new Float32Array(CLIP_IMAGE_VALUES);
    const decode = await time(() => decodeImage(jpeg));
    const resample = await time(() => clipResizeCrop(img));
    const normalize = await time(() => normalizeInto(rgb, 224 * 224, out, 0));
    const total = await time(() => preprocessImage(jpeg));
    const sharpDecode = await time(() => sharp(jpeg).raw().toBuffer());
    const sharpResize = await time(() =>
      sharp(jpeg).resize(224, 224, { fit: 'cover', kernel: 'cubic' }).raw().toBuffer());
    console.log(`${`${w}x${h}`.padEnd(10)} ${String(jpeg.length).padStart(7)} ${fmt(decode)}  ${fmt(resample)}   ${fmt(normalize)} ` +
      `${fmt(total)} | ${fmt(sharpDecode)}          ${fmt(sharpResize)}`);
  }
}

await main();
