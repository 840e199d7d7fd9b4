// Command-line options of `npm run bench -- [options]`.

import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DTYPES, type BenchDtype } from './model.ts';
import { DEVICES } from '../src/options.ts';
import { MAX_BLOCK } from './pipe.ts';
import type { BenchDevice } from './raw.ts';

/** core = (a)..(e) and the diagnostics; the others are the sections of the same names. */
export const SECTIONS = ['core', 'dtypes', 'pool', 'executable'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  modelDir: string;
  /** True when the model is the generated random-weight ViT-B/32 (not a --model-dir). */
  generated: boolean;
  texts: number;
  /** Distinct photos generated. */
  images: number;
  /** Image rows fed to every measurement: the photos, repeated in turn if more. */
  imageRows: number;
  device: BenchDevice;
  /** Captions and photos (the first ones) the DTYPES section uses. */
  dtypeTexts: number;
  dtypeImages: number;
  /** The dtypes the DTYPES section compares (fp32 always, the reference). */
  dtypes: BenchDtype[];
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
  --images N          number of photos generated (default 96; 128 on a GPU)
  --image-rows N      image rows per measurement, the photos repeated in turn (default: the photos;
                        1024 on a GPU, which needs long runs to be timed)
  --device D          cpu (default), webgpu or cuda: where (a) and the scripts run; on a GPU the
                        batches are the scripts' GPU defaults (256 texts, 64 images), the targets
                        0.9x / 0.8x, 65409 captions (one full block) by default, and sections core,dtypes
  --sections LIST     comma-separated, any of ${SECTIONS.join(', ')} (default: all)
                        core: (a)..(e); dtypes: fp32/fp16/q8 speed and cosine;
                        pool: chDB with pool_size 1, 2, 4; executable: chDB, --type executable
  --no-dtypes, --no-pool, --no-executable   drop that section
  --no-clickhouse     skip everything that runs chDB: (c), pool and executable
  --dtype-texts N     captions the dtypes section uses (default min(texts, 256))
  --dtype-images N    photos the dtypes section uses (default min(images, 48))
  --dtypes LIST       dtypes the dtypes section compares (default ${BENCH_DTYPES.join(',')}; fp32 is always in)
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
      'image-rows': { type: 'string' },
      device: { type: 'string', default: 'cpu' },
      sections: { type: 'string' },
      'no-dtypes': { type: 'boolean', default: false },
      'no-pool': { type: 'boolean', default: false },
      'no-executable': { type: 'boolean', default: false },
      'no-clickhouse': { type: 'boolean', default: false },
      'dtype-texts': { type: 'string' },
      'dtype-images': { type: 'string' },
      dtypes: { type: 'string' },
      seed: { type: 'string', default: '1' },
      tries: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const quick = values.quick;
  const devices = DEVICES.filter((d): d is BenchDevice => d !== 'auto');
  const device = devices.find((d) => d === values.device);
  if (device === undefined) throw new Error(`Expected one of ${devices.join(', ')} for --device but received '${values.device}'`);
  const gpu = device !== 'cpu';
  // Pool size and executable mode are CPU questions: one process feeds a GPU.
  const sections = new Set<Section>(values.sections === undefined ? (gpu ? ['core', 'dtypes'] : SECTIONS) : listOf('--sections', values.sections, SECTIONS));
  if (values['no-dtypes']) sections.delete('dtypes');
  if (values['no-pool'] || values['no-clickhouse']) sections.delete('pool');
  if (values['no-executable'] || values['no-clickhouse']) sections.delete('executable');
  const askedDtypes: readonly BenchDtype[] = values.dtypes === undefined ? BENCH_DTYPES : listOf('--dtypes', values.dtypes, BENCH_DTYPES);
  // On a GPU, one full block as ClickHouse sends an unfiltered scan (max_block_size): the text
  // script splits it into calls of 32 runs, four in flight, so tokenizing and printing overlap
  // the model; 8192 captions are one call, where they cannot (0.67x on an H100).
  const texts = count('--texts', values.texts, quick ? 64 : gpu ? MAX_BLOCK : 512);
  const images = count('--images', values.images, quick ? 16 : gpu ? 128 : 96);
  const imageRows = count('--image-rows', values['image-rows'], gpu && !quick ? Math.max(images, 1024) : images);
  return {
    modelDir: values['model-dir'] ? resolve(values['model-dir']) : join(root, '.cache/bench-models/clip-base'),
    generated: !values['model-dir'],
    texts,
    images,
    imageRows,
    device,
    dtypeTexts: Math.min(texts, count('--dtype-texts', values['dtype-texts'], gpu ? 4096 : 256)),
    dtypeImages: Math.min(imageRows, count('--dtype-images', values['dtype-images'], gpu ? 512 : 48)),
    // fp32 is always in: the others' cosines are taken against it.
    dtypes: BENCH_DTYPES.filter((d) => d === 'fp32' || askedDtypes.includes(d)),
    quick,
    clickhouse: !values['no-clickhouse'],
    sections,
    coldRuns: quick ? 1 : 3,
    tries: count('--tries', values.tries, quick ? 1 : 3),
    seed: count('--seed', values.seed, 1),
  };
}

function listOf<T extends string>(name: string, value: string, allowed: readonly T[]): T[] {
  const asked = value.split(',');
  for (const item of asked) {
    if (!(allowed as readonly string[]).includes(item)) throw new Error(`Expected ${name} to list some of ${allowed.join(', ')} but received '${value}'`);
  }
  return asked as T[];
}

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65409) throw new Error(`Expected an integer between 1 and 65409 for ${name} but received '${value}'`);
  return n;
}
