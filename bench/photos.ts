// Real-looking photos of mixed sizes and formats: a sky-like gradient, soft-edged
// shapes, a low-frequency texture and sensor-like noise, so that the files compress
// like photos (not like flat synthetic images) and decoders do realistic work.
// Written once per seed into .cache/bench-inputs/ and reused.

import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { intBetween, normal, pick, rng, type Rng } from './rng.ts';

export interface Photo {
  path: string;
  width: number;
  height: number;
  format: 'jpeg' | 'png';
  bytes: number;
}

// Landscape sizes seen on the web, weighted toward the middle; a third are turned to portrait.
const SIZES: Array<[number, number, number]> = [
  [300, 200, 2], [400, 300, 2], [500, 375, 3], [640, 480, 4], [800, 600, 4], [1024, 768, 4], [1200, 800, 3],
  [1280, 960, 2], [1600, 1200, 2], [1920, 1280, 2], [2048, 1536, 1], [2400, 1800, 2],
];

function size(r: Rng): [number, number] {
  const total = SIZES.reduce((s, [, , w]) => s + w, 0);
  let x = r() * total;
  for (const [w, h, weight] of SIZES) {
    if ((x -= weight) < 0) return r() < 0.33 ? [h, w] : [w, h];
  }
  return [SIZES[0][0], SIZES[0][1]];
}

export async function photos(count: number, seed: number, dir: string, log: (line: string) => void): Promise<Photo[]> {
  const folder = join(dir, `photos-v2-seed${seed}`);
  mkdirSync(folder, { recursive: true });
  const r = rng(seed * 104729 + 3);
  const out: Photo[] = [];
  let made = 0;
  for (let i = 0; i < count; i++) {
    const [width, height] = size(r);
    const format = r() < 0.7 ? 'jpeg' : 'png';
    const quality = intBetween(r, 75, 92);
    const path = join(folder, `${String(i).padStart(4, '0')}-${width}x${height}.${format === 'jpeg' ? 'jpg' : 'png'}`);
    if (!existsSync(path)) {
      const pixels = paint(width, height, rng(seed * 1000003 + i));
      const image = sharp(pixels, { raw: { width, height, channels: 3 } });
      const tmp = `${path}.tmp`;
      await (format === 'jpeg' ? image.jpeg({ quality }) : image.png({ compressionLevel: 6 })).toFile(tmp);
      renameSync(tmp, path);
      made++;
    }
    out.push({ path, width, height, format, bytes: statSync(path).size });
  }
  if (made > 0) log(`wrote ${made} photos into ${folder}`);
  return out;
}

function paint(width: number, height: number, r: Rng): Buffer {
  const px = Buffer.alloc(width * height * 3);
  const top = color(r);
  const bottom = color(r);
  const tilt = (r() - 0.5) * 0.6;
  // Low-frequency texture: two sine waves per image.
  const fx = (1 + r() * 6) / width, fy = (1 + r() * 6) / height, phase = r() * 6.28, amp = 6 + r() * 14;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = Math.min(1, Math.max(0, y / height + tilt * (x / width - 0.5)));
      const wave = amp * Math.sin(6.28 * (fx * x + fy * y) + phase) * Math.sin(6.28 * fy * 0.7 * y + phase);
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) px[o + c] = clamp(top[c] + (bottom[c] - top[c]) * t + wave);
    }
  }
  const shapes = intBetween(r, 4, 18);
  for (let s = 0; s < shapes; s++) shape(px, width, height, r);
  // Sensor-like noise from a fast inline generator (the seeded one is too slow per pixel).
  let state = Math.floor(r() * 0xffffffff) | 1;
  const sigma = 5 + r() * 6;
  for (let i = 0; i < px.length; i++) {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
    const u = ((state >>> 0) / 4294967296 + ((state >>> 8) & 0xff) / 256 - 1) * 2.45; // ~N(0,1)
    px[i] = clamp(px[i] + sigma * u);
  }
  return px;
}

/** A filled ellipse or rectangle with a soft edge and its own shading. */
function shape(px: Buffer, width: number, height: number, r: Rng): void {
  const cx = r() * width, cy = r() * height;
  const rx = (0.03 + r() * 0.3) * width, ry = (0.03 + r() * 0.3) * height;
  const ellipse = r() < 0.6;
  const base = color(r);
  const shade = normal(r) * 40;
  const alpha = 0.55 + r() * 0.45;
  const x0 = Math.max(0, Math.floor(cx - rx)), x1 = Math.min(width - 1, Math.ceil(cx + rx));
  const y0 = Math.max(0, Math.floor(cy - ry)), y1 = Math.min(height - 1, Math.ceil(cy + ry));
  for (let y = y0; y <= y1; y++) {
    const dy = (y - cy) / ry;
    for (let x = x0; x <= x1; x++) {
      const dx = (x - cx) / rx;
      const d = ellipse ? Math.sqrt(dx * dx + dy * dy) : Math.max(Math.abs(dx), Math.abs(dy));
      if (d > 1) continue;
      const a = alpha * Math.min(1, (1 - d) * 12); // soft edge
      const light = shade * (dx + dy) * 0.5;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) px[o + c] = clamp(px[o + c] * (1 - a) + (base[c] + light) * a);
    }
  }
}

function color(r: Rng): [number, number, number] {
  const palette: Array<[number, number, number]> = [
    [110, 160, 220], [230, 200, 160], [60, 110, 60], [200, 80, 60], [240, 240, 235], [40, 40, 50], [150, 120, 90], [90, 140, 170],
  ];
  const [a, b, c] = pick(r, palette);
  const v = () => (r() - 0.5) * 60;
  return [clamp(a + v()), clamp(b + v()), clamp(c + v())];
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
