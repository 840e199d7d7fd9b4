// Command-line options of `npm run bench -- [options]`.

import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  modelDir: string;
  /** True when the model is the generated random-weight ViT-B/32 (not a --model-dir). */
  generated: boolean;
  texts: number;
  images: number;
  quick: boolean;
  clickhouse: boolean;
  coldRuns: number;
  /** Timed runs per measurement to find one that other processes did not disturb. */
  tries: number;
  seed: number;
}

export const USAGE = `usage: npm run bench -- [options]
  --quick             smoke run: 64 captions, 16 photos, 1 cold start each
  --model-dir DIR     bench this model folder instead of the generated random-weight ViT-B/32
  --texts N           number of captions (default 512)
  --images N          number of photos (default 96)
  --no-clickhouse     skip (c), the embedded ClickHouse part
  --tries N           timed runs per measurement, keeping the least disturbed (default 3, --quick 1)
  --seed N            input seed (default 1)
`;

export function parseBenchOptions(argv: string[], root: string): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      'model-dir': { type: 'string' },
      texts: { type: 'string' },
      images: { type: 'string' },
      'no-clickhouse': { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      tries: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const quick = values.quick;
  return {
    modelDir: values['model-dir'] ? resolve(values['model-dir']) : join(root, '.cache/bench-models/clip-base'),
    generated: !values['model-dir'],
    texts: count('--texts', values.texts, quick ? 64 : 512),
    images: count('--images', values.images, quick ? 16 : 96),
    quick,
    clickhouse: !values['no-clickhouse'],
    coldRuns: quick ? 1 : 3,
    tries: count('--tries', values.tries, quick ? 1 : 3),
    seed: count('--seed', values.seed, 1),
  };
}

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65409) throw new Error(`Expected an integer between 1 and 65409 for ${name} but received '${value}'`);
  return n;
}
