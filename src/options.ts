// Command-line options of encode_text / encode_image. ClickHouse passes the
// tokens of <command> as argv (split on single spaces, no quoting), and the
// process runs in the SERVER's working directory: every path is made absolute.

import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export type Dtype = (typeof DTYPES)[number];

export interface EncoderOptions {
  modelDir: string;
  dtype: Dtype;
  batchSize: number;
  threads: number;
  normalize: boolean;
}

export interface CliOptions extends EncoderOptions {
  chunkHeader: boolean;
  onError: 'empty' | 'fail';
}

export class OptionError extends Error {}

const SPEC = {
  'model-dir': { type: 'string' },
  dtype: { type: 'string', default: 'fp32' },
  'batch-size': { type: 'string' },
  threads: { type: 'string' },
  'chunk-header': { type: 'boolean', default: false },
  raw: { type: 'boolean', default: false },
  'on-error': { type: 'string', default: 'empty' },
  help: { type: 'boolean', default: false },
} as const;

export function usage(name: string, defaultBatch: number): string {
  return `usage: ${name} --model-dir DIR [options]   (reads TabSeparated rows on stdin)
  --model-dir DIR     CLIP model folder in transformers.js layout (config.json, onnx/...)
  --dtype T           model weights: ${DTYPES.join(', ')} (default fp32, the LAION pipeline)
  --batch-size N      rows per model run inside a block (default ${defaultBatch})
  --threads N         onnxruntime intra-op threads (default: all ${availableParallelism()} cores)
  --chunk-header      blocks start with a row count line (executable_pool with send_chunk_header=1)
  --raw               print the raw projection instead of the L2-normalized vector
  --on-error MODE     a row that cannot be encoded: 'empty' answers [] and logs to stderr (default),
                      'fail' fails the whole block with the reason
`;
}

/** Returns the parsed options, or null when --help was asked for. */
export function parseOptions(argv: string[], defaultBatch: number): CliOptions | null {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: SPEC, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new OptionError((err as Error).message);
  }
  if (values.help) return null;
  const modelDir = values['model-dir'];
  if (modelDir === undefined || modelDir === '') throw new OptionError('Expected --model-dir DIR (the CLIP model folder) but received nothing');
  return {
    modelDir: isAbsolute(modelDir) ? modelDir : resolve(modelDir),
    dtype: oneOf('--dtype', values.dtype, DTYPES),
    batchSize: positiveInt('--batch-size', values['batch-size'], defaultBatch, 4096),
    threads: positiveInt('--threads', values.threads, availableParallelism(), 1024),
    normalize: !values.raw,
    chunkHeader: values['chunk-header'],
    onError: oneOf('--on-error', values['on-error'], ['empty', 'fail'] as const),
  };
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new OptionError(`Expected one of ${allowed.join(', ')} for ${name} but received '${value}'`);
}

function positiveInt(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new OptionError(`Expected an integer between 1 and ${max} for ${name} but received '${value}'`);
  }
  return n;
}
