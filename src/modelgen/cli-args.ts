// Command-line parsing for the model generator, kept apart from cli.ts so it can be tested
// without spawning a process.

import { DEFAULT_SEED, isValidSeed, MODEL_DTYPES, type ModelDtype } from './generate.ts';
import { CLIP_SIZE_NAMES, type ClipSize } from './sizes.ts';

export const USAGE = `Usage: modelgen --size ${CLIP_SIZE_NAMES.join('|')} --out DIR [--seed N] [--dtypes ${MODEL_DTYPES.join(',')}]

Writes a random-weight CLIP model (seeded, deterministic) in the layout of
Xenova/clip-vit-base-patch32 into DIR, replacing a model already there.
  --size   tiny: small towers for tests; base: exact ViT-B/32 shapes for benchmarks
  --out    directory to create (its parent is created as needed)
  --seed   unsigned 32-bit integer, default ${DEFAULT_SEED}
  --dtypes comma-separated tower variants, default fp32 (always written):
           fp16 -> onnx/*_model_fp16.onnx (float16 weights and compute, float32 inputs/outputs),
           q8   -> onnx/*_model_quantized.onnx (dynamic 8-bit quantization, as onnxruntime's
                   quantize_dynamic); both derived from the fp32 weights`;

export interface CliArgs {
  size: ClipSize;
  seed: number;
  outDir: string;
  dtypes: ModelDtype[];
}

export class CliUsageError extends Error {}

const OPTIONS = ['--size', '--seed', '--out', '--dtypes'] as const;
type Option = (typeof OPTIONS)[number];

/** Parses argv (without node and script); returns null when help was asked for. */
export function parseCliArgs(argv: readonly string[]): CliArgs | null {
  const values = new Map<Option, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return null;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(OPTIONS as readonly string[]).includes(name)) {
      throw new CliUsageError(`unknown argument ${JSON.stringify(arg)}: expected one of ${OPTIONS.join(', ')}`);
    }
    const option = name as Option;
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i];
    if (value === undefined) throw new CliUsageError(`${option}: expected a value, received nothing`);
    if (values.has(option)) throw new CliUsageError(`${option}: expected once, received twice`);
    values.set(option, value);
  }

  const size = values.get('--size');
  if (size === undefined) throw new CliUsageError(`--size: expected one of ${CLIP_SIZE_NAMES.join(', ')}, received nothing`);
  if (!(CLIP_SIZE_NAMES as string[]).includes(size)) {
    throw new CliUsageError(`--size: expected one of ${CLIP_SIZE_NAMES.join(', ')}, received ${JSON.stringify(size)}`);
  }

  const outDir = values.get('--out');
  if (outDir === undefined || outDir === '') {
    throw new CliUsageError(`--out: expected a directory path, received ${outDir === undefined ? 'nothing' : '""'}`);
  }

  const seedText = values.get('--seed');
  let seed = DEFAULT_SEED;
  if (seedText !== undefined) {
    seed = /^\d+$/.test(seedText) ? Number(seedText) : NaN;
    if (!isValidSeed(seed)) {
      throw new CliUsageError(`--seed: expected an integer from 0 to 4294967295, received ${JSON.stringify(seedText)}`);
    }
  }
  const dtypes: ModelDtype[] = ['fp32'];
  const dtypesText = values.get('--dtypes');
  if (dtypesText !== undefined) {
    for (const d of dtypesText.split(',')) {
      if (!(MODEL_DTYPES as readonly string[]).includes(d)) {
        throw new CliUsageError(`--dtypes: expected a comma-separated list of ${MODEL_DTYPES.join(', ')}, received ${JSON.stringify(dtypesText)}`);
      }
      if (!dtypes.includes(d as ModelDtype)) dtypes.push(d as ModelDtype);
    }
  }
  return { size: size as ClipSize, seed, outDir, dtypes };
}
