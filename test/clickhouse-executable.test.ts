// install.sh with --type executable (a process per block), images of every
// supported format, through embedded ClickHouse.

import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { install, norm, openClickHouse, sqlString, type Installed } from './helpers.ts';

const modelDir = inject('modelDir');
let installed: Installed;
let ch: Session;
let images: string;

beforeAll(async () => {
  installed = await install(['--model-dir', modelDir, '--type', 'executable', '--threads', '1']);
  ch = openClickHouse(installed);
  images = installed.userFilesDir;
}, 300_000);
afterAll(() => ch?.close());

/** A photo-like test picture: gradients, a shape and noise, so resampling matters. */
async function picture(width: number, height: number, channels: 3 | 4 = 3): Promise<Sharp> {
  const data = Buffer.alloc(width * height * channels);
  let seed = width * 31 + height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const i = (y * width + x) * channels;
      const inCircle = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (Math.min(width, height) / 3) ** 2;
      data[i] = (x * 255) / width;
      data[i + 1] = inCircle ? 220 : (y * 255) / height;
      data[i + 2] = (seed >>> 24) & 0xff;
      if (channels === 4) data[i + 3] = (x + y) % 256;
    }
  }
  return sharp(data, { raw: { width, height, channels } });
}

describe('encode_image through ClickHouse (executable)', () => {
  it('encodes every supported format to a normalized 512-vector', async () => {
    const files: Record<string, string> = {
      'baseline.jpg': 'jpeg',
      'photo.png': 'png',
      'alpha.png': 'png-alpha',
      'gray.png': 'gray',
      'photo.webp': 'webp',
      'anim.gif': 'gif',
      'photo.tiff': 'tiff',
    };
    for (const [name, kind] of Object.entries(files)) {
      const path = join(images, name);
      const base = await picture(320, 240, kind === 'png-alpha' ? 4 : 3);
      if (kind === 'jpeg') await base.jpeg().toFile(path);
      else if (kind === 'png' || kind === 'png-alpha') await base.png().toFile(path);
      else if (kind === 'gray') await base.grayscale().png().toFile(path);
      else if (kind === 'webp') await base.webp().toFile(path);
      else if (kind === 'gif') await base.gif().toFile(path);
      else await base.tiff({ compression: 'lzw' }).toFile(path);
    }
    const paths = Object.keys(files).map((n) => join(images, n));
    const out = ch
      .query(`SELECT p, encode_image(p) FROM (SELECT arrayJoin([${paths.map(sqlString).join(',')}]) AS p)`, 'JSONCompactEachRow')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as [string, number[]]);
    expect(out.map(([p]) => p)).toEqual(paths);
    for (const [p, v] of out) {
      expect(v, p).toHaveLength(512);
      expect(norm(v), p).toBeCloseTo(1, 5);
    }
    // Lossless formats hold the same pixels and must give the same vector; the others differ.
    const byName = new Map(out.map(([p, v]) => [p.slice(images.length + 1), JSON.stringify(v)]));
    expect(byName.get('photo.tiff')).toBe(byName.get('photo.png'));
    expect(new Set(byName.values()).size).toBe(paths.length - 1);
  });

  it('answers [] for rows that are not readable images and keeps the others in place', async () => {
    const good = join(images, 'good.jpg');
    await (await picture(300, 200)).jpeg().toFile(good);
    const alone = JSON.parse(ch.query(`SELECT encode_image(${sqlString(good)})`, 'JSONCompactEachRow'))[0];
    const rows = [good, join(images, 'missing.jpg'), images, good];
    const out = ch
      .query(`SELECT encode_image(p) FROM (SELECT arrayJoin([${rows.map(sqlString).join(',')}]) AS p)`, 'JSONCompactEachRow')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)[0]);
    expect(out).toEqual([alone, [], [], alone]);
  });

  it('starts one process per block and answers every row of a multi-block query', () => {
    const [count, ok, distinct] = ch
      .query(
        `SELECT count(), countIf(length(v) = 512), uniqExact(v) FROM (SELECT encode_text(toString(number % 100)) AS v FROM numbers(150000))`,
        'TSV',
      )
      .trim()
      .split('\t')
      .map(Number);
    expect([count, ok, distinct]).toEqual([150000, 150000, 100]);
  });
});
