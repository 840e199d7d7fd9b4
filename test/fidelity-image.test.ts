// Issue "fidelity": through ClickHouse, encode_image equals the vision tower run
// directly on the pixels Pillow's reference pipeline gives, for every fixture
// (formats, modes, sizes, aspect ratios, EXIF rotation, ICC profiles).

import { join } from 'node:path';
import type { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { normalizeInto } from '../src/image/normalize.ts';
import { FIXTURE_DIR, loadReferencePixels, loadReferences } from './fixtures/images/fixtures.ts';
import { cosine, install, openClickHouse, sqlString } from './helpers.ts';
import { referenceImage } from './reference.ts';

const modelDir = inject('modelDir');
const refs = loadReferences();
// Pillow reads it, libvips (sharp) does not: answered [] with a reason, see src/image/README.md.
const UNSUPPORTED = new Set(['bmp_rgb.bmp']);

let ch: Session;
beforeAll(async () => {
  ch = openClickHouse(await install(['--model-dir', modelDir, '--pool-size', '1', '--threads', '2', '--allow-dir', FIXTURE_DIR]));
});
afterAll(() => ch?.close());

describe('encode_image matches the Pillow reference through ClickHouse', () => {
  const names = Object.keys(refs.images);

  it(`gives the reference vector for all ${names.length} fixture images`, async () => {
    const paths = names.map((n) => join(FIXTURE_DIR, n));
    const rows = ch
      .query(`SELECT p, encode_image(p) FROM (SELECT arrayJoin([${paths.map(sqlString).join(',')}]) AS p)`, 'JSONCompactEachRow')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as [string, number[]]);
    expect(rows.map(([p]) => p)).toEqual(paths);
    const mismatches: string[] = [];
    for (let i = 0; i < names.length; i++) {
      const v = rows[i][1];
      if (UNSUPPORTED.has(names[i])) {
        expect(v, names[i]).toEqual([]);
        continue;
      }
      const pixels = new Float32Array(3 * 224 * 224);
      normalizeInto(loadReferencePixels(refs.images[names[i]], refs.size), 224 * 224, pixels, 0);
      const ref = await referenceImage(modelDir, pixels);
      if (!(v.length === 512 && cosine(v, ref) >= 0.99999)) mismatches.push(`${names[i]}: cosine ${cosine(v, ref)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
