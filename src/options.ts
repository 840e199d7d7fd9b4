// Command-line options of encode_text / encode_image. ClickHouse passes the
// tokens of <command> as argv (split on single spaces, no quoting), and the
// process runs in the SERVER's working directory: every path is made absolute.

import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export type Dtype = (typeof DTYPES)[number];

export const DEVICES = ['cpu', 'webgpu', 'cuda', 'auto'] as const;
export type Device = (typeof DEVICES)[number];

/** Rows per model run, by where the model runs. */
export interface BatchSizes {
  cpu: number;
  gpu: number;
}

// A GPU only gets busy with long batches (H100: 256 captions, 64 photos). On the CPU, 8 photos
// a run gave encode_image 0.7-5% more photos/s than 4 (2-core EPYC, three series of alternating
// runs) for 11 MiB more peak (onnxruntime's arena), room the crops made by travelling as bytes.
export const TEXT_BATCH: BatchSizes = { cpu: 32, gpu: 256 };
export const IMAGE_BATCH: BatchSizes = { cpu: 8, gpu: 64 };

/** The batch size on the device the model settled on (`--device auto` knows it only then). */
export function batchSizeOn(sizes: BatchSizes, device: Exclude<Device, 'auto'>): number {
  return device === 'cpu' ? sizes.cpu : sizes.gpu;
}

export interface EncoderOptions {
  modelDir: string;
  dtype: Dtype;
  device: Device;
  /** --batch-size on both, or the script's defaults. */
  batchSize: BatchSizes;
  threads: number;
  normalize: boolean;
  /** Log where each call's time went to stderr. */
  trace: boolean;
}

/** What encode_image may read, and how much of it. */
export interface ImageOptions {
  /** 'path': the row is a path or URL; 'bytes': the row is the image file itself. */
  input: 'path' | 'bytes';
  /** Answer '' or the reason a row cannot be encoded, without loading the model. */
  check: boolean;
  allowDirs: string[];
  allowUrls: string[];
  maxBytes: number;
  maxPixels: number;
  /** Per image: fetching, decoding and preprocessing together. */
  timeoutMs: number;
  /** Worker threads that decode and preprocess; null: none on the CPU, one per spare core on a GPU. */
  decodeThreads: number | null;
}

export interface CliOptions extends EncoderOptions {
  chunkHeader: boolean;
  /** Worker threads that print the vectors; null: none on the CPU, cores / 4 on a GPU. */
  printThreads: number | null;
  onError: 'empty' | 'fail';
  image: ImageOptions;
}

export class OptionError extends Error {}

const COMMON = {
  'model-dir': { type: 'string' },
  dtype: { type: 'string', default: 'fp32' },
  device: { type: 'string', default: 'cpu' },
  'batch-size': { type: 'string' },
  threads: { type: 'string' },
  'chunk-header': { type: 'boolean', default: false },
  raw: { type: 'boolean', default: false },
  trace: { type: 'boolean', default: false },
  'print-threads': { type: 'string' },
  'on-error': { type: 'string', default: 'empty' },
  help: { type: 'boolean', default: false },
} as const;

const IMAGE = {
  input: { type: 'string', default: 'path' },
  check: { type: 'boolean', default: false },
  'allow-dir': { type: 'string', multiple: true, default: [] as string[] },
  'allow-url': { type: 'string', multiple: true, default: [] as string[] },
  'max-bytes': { type: 'string' },
  'max-pixels': { type: 'string' },
  'timeout-ms': { type: 'string' },
  'decode-threads': { type: 'string' },
} as const;

export const IMAGE_DEFAULTS = {
  maxBytes: 64 * 1024 * 1024,
  // Pillow's own decompression-bomb limit: what the reference pipeline accepts.
  maxPixels: 178_956_970,
  timeoutMs: 30_000,
};

export interface ScriptSpec {
  name: string;
  /** Rows per model run unless --batch-size says otherwise. */
  defaultBatch: BatchSizes;
  image: boolean;
}

export function usage(spec: ScriptSpec): string {
  let text = `usage: ${spec.name} --model-dir DIR [options]   (reads TabSeparated rows on stdin)
  --model-dir DIR     CLIP model folder in transformers.js layout (config.json, onnx/...)
  --dtype T           model weights: ${DTYPES.join(', ')} (default fp32, the LAION pipeline)
  --device D          cpu (default), webgpu, cuda, or auto: a GPU when one is usable, else the CPU
                      (saying why on stderr once)
  --batch-size N      rows per model run inside a block (default ${spec.defaultBatch.cpu}; ${spec.defaultBatch.gpu} on a GPU)
  --threads N         onnxruntime intra-op threads (default: all ${availableParallelism()} cores)
  --chunk-header      blocks start with a row count line (executable_pool with send_chunk_header=1)
  --raw               print the raw projection instead of the L2-normalized vector
  --trace             log where each call's time goes (reading, model runs, printing) to stderr
  --print-threads N   worker threads that print the vectors; 0 prints on the main thread
                      (default: 0 on the CPU; cores / 4, at least 2, on a GPU)
  --on-error MODE     a row that cannot be encoded: 'empty' answers [] and logs to stderr (default),
                      'fail' fails the whole block with the reason
`;
  if (spec.image) {
    text += `  --input KIND        'path' (default): a file path, file:// URL or allowed http(s) URL per row;
                      'bytes': the image file's bytes themselves
  --check             answer '' or the reason a row cannot be encoded; loads no model
  --allow-dir DIR     a directory whose files may be read (repeatable; none given: no file is read);
                      a relative path resolves against the first one
  --allow-url PREFIX  URLs starting with PREFIX may be fetched (repeatable; default: none)
  --max-bytes N       largest image file or download (default ${IMAGE_DEFAULTS.maxBytes})
  --max-pixels N      largest width x height decoded (default ${IMAGE_DEFAULTS.maxPixels}, Pillow's limit)
  --timeout-ms N      per image: fetch, decode and preprocess (default ${IMAGE_DEFAULTS.timeoutMs})
  --decode-threads N  worker threads that decode and preprocess images; 0 keeps it on the main thread
                      (default: 0 on the CPU, where onnxruntime uses the cores; cores - 1 on a GPU)
`;
  }
  return text;
}

/** Returns the parsed options, or null when --help was asked for. */
export function parseOptions(argv: string[], spec: ScriptSpec): CliOptions | null {
  let values;
  try {
    const options = spec.image ? { ...COMMON, ...IMAGE } : COMMON;
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new OptionError((err as Error).message);
  }
  if (values.help) return null;
  const modelDir = values['model-dir'];
  const check = spec.image && (values as { check?: boolean }).check === true;
  if ((modelDir === undefined || modelDir === '') && !check) {
    throw new OptionError('Expected --model-dir DIR (the CLIP model folder) but received nothing');
  }
  const device = oneOf('--device', values.device, DEVICES);
  return {
    modelDir: absolute(modelDir ?? ''),
    dtype: oneOf('--dtype', values.dtype, DTYPES),
    device,
    batchSize: values['batch-size'] === undefined ? spec.defaultBatch : sameOnBoth(positiveInt('--batch-size', values['batch-size'], 1, 4096)),
    threads: positiveInt('--threads', values.threads, availableParallelism(), 1024),
    normalize: !values.raw,
    trace: values.trace,
    chunkHeader: values['chunk-header'],
    printThreads: values['print-threads'] === undefined ? null : positiveInt('--print-threads', values['print-threads'], 0, 256, 0),
    onError: oneOf('--on-error', values['on-error'], ['empty', 'fail'] as const),
    image: imageOptions(values as Partial<ImageValues>),
  };
}

type ImageValues = {
  input: string;
  check: boolean;
  'allow-dir': string[];
  'allow-url': string[];
  'max-bytes'?: string;
  'max-pixels'?: string;
  'timeout-ms'?: string;
  'decode-threads'?: string;
};

function imageOptions(values: Partial<ImageValues>): ImageOptions {
  const urls = values['allow-url'] ?? [];
  for (const prefix of urls) {
    if (!/^https?:\/\/[^/?#\s]+/.test(prefix)) {
      throw new OptionError(`Expected an http:// or https:// URL prefix for --allow-url but received '${prefix}'`);
    }
  }
  return {
    input: oneOf('--input', values.input ?? 'path', ['path', 'bytes'] as const),
    check: values.check ?? false,
    allowDirs: (values['allow-dir'] ?? []).map(absolute),
    allowUrls: urls,
    maxBytes: positiveInt('--max-bytes', values['max-bytes'], IMAGE_DEFAULTS.maxBytes, 2 ** 31),
    maxPixels: positiveInt('--max-pixels', values['max-pixels'], IMAGE_DEFAULTS.maxPixels, 2 ** 40),
    timeoutMs: positiveInt('--timeout-ms', values['timeout-ms'], IMAGE_DEFAULTS.timeoutMs, 3_600_000),
    decodeThreads: values['decode-threads'] === undefined ? null : positiveInt('--decode-threads', values['decode-threads'], 0, 256, 0),
  };
}

function absolute(path: string): string {
  return path === '' || isAbsolute(path) ? path : resolve(path);
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new OptionError(`Expected one of ${allowed.join(', ')} for ${name} but received '${value}'`);
}

function positiveInt(name: string, value: string | undefined, fallback: number, max: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new OptionError(`Expected an integer between ${min} and ${max} for ${name} but received '${value}'`);
  }
  return n;
}

function sameOnBoth(n: number): BatchSizes {
  return { cpu: n, gpu: n };
}
