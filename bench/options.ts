// Command-line options of `npm run bench -- [options]`.

import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** core = (a)..(e) and the diagnostics; the others are the sections of the same names. */
export const SECTIONS = ['core', 'dtypes', 'pool', 'executable'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  modelDir: string;
  /** True when the model is the generated random-weight ViT-B/32 (not a --model-dir). */
  generated: boolean;
  texts: number;
  images: number;
  /** Captions and photos (the first ones) the DTYPES section uses. */
  dtypeTexts: number;
  dtypeImages: number;
  quick: boolean;
  /** (c) in core; pool and executable need it too. */
  clickhouse: boolean;
  sections: Set<Section>;
  coldRuns: number;
  /** Timed runs per measurement to find one that other processes did not disturb. */
  tries: number;
  seed: number;
}

export const USAGE = `usage: npm run bench -- [options]
  --quick             smoke run: 64 captions, 16 photos, 1 cold start each, 1 try
  --model-dir DIR     bench this model folder instead of the generated random-weight ViT-B/32
  --texts N           number of captions (default 512)
  --images N          number of photos (default 96)
  --sections LIST     comma-separated, any of ${SECTIONS.join(', ')} (default: all)
                        core: (a)..(e); dtypes: fp32/fp16/q8 speed and cosine;
                        pool: chDB with pool_size 1, 2, 4; executable: chDB, --type executable
  --no-dtypes, --no-pool, --no-executable   drop that section
  --no-clickhouse     skip everything that runs chDB: (c), pool and executable
  --dtype-texts N     captions the dtypes section uses (default min(texts, 256))
  --dtype-images N    photos the dtypes section uses (default min(images, 48))
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
      sections: { type: 'string' },
      'no-dtypes': { type: 'boolean', default: false },
      'no-pool': { type: 'boolean', default: false },
      'no-executable': { type: 'boolean', default: false },
      'no-clickhouse': { type: 'boolean', default: false },
      'dtype-texts': { type: 'string' },
      'dtype-images': { type: 'string' },
      seed: { type: 'string', default: '1' },
      tries: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const quick = values.quick;
  const sections = new Set<Section>(SECTIONS);
  if (values.sections !== undefined) {
    sections.clear();
    for (const s of values.sections.split(',')) {
      if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`Expected --sections to list some of ${SECTIONS.join(', ')} but received '${values.sections}'`);
      sections.add(s as Section);
    }
  }
  if (values['no-dtypes']) sections.delete('dtypes');
  if (values['no-pool'] || values['no-clickhouse']) sections.delete('pool');
  if (values['no-executable'] || values['no-clickhouse']) sections.delete('executable');
  const texts = count('--texts', values.texts, quick ? 64 : 512);
  const images = count('--images', values.images, quick ? 16 : 96);
  return {
    modelDir: values['model-dir'] ? resolve(values['model-dir']) : join(root, '.cache/bench-models/clip-base'),
    generated: !values['model-dir'],
    texts,
    images,
    dtypeTexts: Math.min(texts, count('--dtype-texts', values['dtype-texts'], 256)),
    dtypeImages: Math.min(images, count('--dtype-images', values['dtype-images'], 48)),
    quick,
    clickhouse: !values['no-clickhouse'],
    sections,
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
