// generateClipModel: a seeded random-weight CLIP in the file layout of
// Xenova/clip-vit-base-patch32, loadable by transformers.js and onnxruntime as the real one.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDirAtomically } from './atomic-dir.ts';
import { clipBpeVocab } from './bpe-vocab.ts';
import { configJson, preprocessorConfigJson } from './config-files.ts';
import { convertToFloat16 } from './float16.ts';
import { encodeModel, type ModelIR } from './onnx-graph.ts';
import { quantizeDynamic } from './quantize.ts';
import { CLIP_SIZE_NAMES, CLIP_SIZES, type ClipSize } from './sizes.ts';
import { buildTextModel } from './text-tower.ts';
import { specialTokensMapJson, tokenizerConfigJson, tokenizerJson } from './tokenizer-files.ts';
import { buildVisionModel } from './vision-tower.ts';

/** The tower variants the generator can write, by transformers.js dtype name. */
export const MODEL_DTYPES = ['fp32', 'fp16', 'q8'] as const;
export type ModelDtype = (typeof MODEL_DTYPES)[number];

/** transformers.js's file suffix per dtype: onnx/text_model<suffix>.onnx. */
export const DTYPE_SUFFIX: Record<ModelDtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized' };

export interface GenerateOptions {
  size: ClipSize;
  /** Unsigned 32-bit integer; defaults to 0. The same seed gives byte-identical files. */
  seed?: number;
  /**
   * Tower files to write; default ['fp32']. The fp32 towers are always written: 'fp16'
   * (onnx/*_model_fp16.onnx) and 'q8' (onnx/*_model_quantized.onnx) are derived from their
   * very weights (float16.ts, quantize.ts), so their outputs can be compared with fp32's.
   */
  dtypes?: readonly ModelDtype[];
}

export const DEFAULT_SEED = 0;

/** Every entry a generated model directory holds (used to refuse replacing anything else). */
export const MODEL_ENTRIES: ReadonlySet<string> = new Set([
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'preprocessor_config.json',
  'onnx',
]);

export function isValidSeed(seed: number): boolean {
  return Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff;
}

export async function generateClipModel(outDir: string, opts: GenerateOptions): Promise<void> {
  const { size } = opts;
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Object.hasOwn(CLIP_SIZES, size)) {
    throw new Error(`generateClipModel: size must be one of ${CLIP_SIZE_NAMES.join(', ')}, received ${JSON.stringify(size)}`);
  }
  if (!isValidSeed(seed)) {
    throw new Error(`generateClipModel: seed must be an integer in [0, 4294967295], received ${JSON.stringify(seed)}`);
  }
  const dims = CLIP_SIZES[size];
  const dtypes = opts.dtypes ?? ['fp32'];
  for (const d of dtypes) {
    if (!(MODEL_DTYPES as readonly string[]).includes(d)) {
      throw new Error(`generateClipModel: dtypes must be among ${MODEL_DTYPES.join(', ')}, received ${JSON.stringify(d)}`);
    }
  }
  const wanted = MODEL_DTYPES.filter((d) => d === 'fp32' || dtypes.includes(d));

  /** Writes the tower in every wanted dtype; only one variant is encoded in memory at a time. */
  const writeTower = async (dir: string, tower: 'text' | 'vision', model: ModelIR) => {
    for (const dtype of wanted) {
      const variant = dtype === 'fp16' ? convertToFloat16(model) : dtype === 'q8' ? quantizeDynamic(model) : model;
      await writeFile(join(dir, 'onnx', `${tower}_model${DTYPE_SUFFIX[dtype]}.onnx`), encodeModel(variant));
    }
  };

  await writeDirAtomically(outDir, MODEL_ENTRIES, async (dir) => {
    await writeFile(join(dir, 'config.json'), configJson(dims, size, seed));
    await writeFile(join(dir, 'preprocessor_config.json'), preprocessorConfigJson(dims));
    await writeFile(join(dir, 'tokenizer.json'), tokenizerJson(clipBpeVocab()));
    await writeFile(join(dir, 'tokenizer_config.json'), tokenizerConfigJson(dims.text.maxPositions));
    await writeFile(join(dir, 'special_tokens_map.json'), specialTokensMapJson());
    await mkdir(join(dir, 'onnx'));
    // One tower at a time: at ViT-B size each holds ~0.3 GB of weights plus its encoding.
    await writeTower(dir, 'text', buildTextModel(dims.text, dims.projectionDim, seed));
    await writeTower(dir, 'vision', buildVisionModel(dims.vision, dims.projectionDim, seed));
  });
}
