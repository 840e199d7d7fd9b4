// generateClipModel: a seeded random-weight CLIP in the file layout of
// Xenova/clip-vit-base-patch32, loadable by transformers.js and onnxruntime as the real one.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDirAtomically } from './atomic-dir.ts';
import { clipBpeVocab } from './bpe-vocab.ts';
import { configJson, preprocessorConfigJson } from './config-files.ts';
import { CLIP_SIZE_NAMES, CLIP_SIZES, type ClipSize } from './sizes.ts';
import { buildTextModel } from './text-tower.ts';
import { specialTokensMapJson, tokenizerConfigJson, tokenizerJson } from './tokenizer-files.ts';
import { buildVisionModel } from './vision-tower.ts';

export interface GenerateOptions {
  size: ClipSize;
  /** Unsigned 32-bit integer; defaults to 0. The same seed gives byte-identical files. */
  seed?: number;
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

  await writeDirAtomically(outDir, MODEL_ENTRIES, async (dir) => {
    await writeFile(join(dir, 'config.json'), configJson(dims, size, seed));
    await writeFile(join(dir, 'preprocessor_config.json'), preprocessorConfigJson(dims));
    await writeFile(join(dir, 'tokenizer.json'), tokenizerJson(clipBpeVocab()));
    await writeFile(join(dir, 'tokenizer_config.json'), tokenizerConfigJson(dims.text.maxPositions));
    await writeFile(join(dir, 'special_tokens_map.json'), specialTokensMapJson());
    await mkdir(join(dir, 'onnx'));
    // One tower at a time: at ViT-B size each holds ~0.3 GB of weights plus its encoding.
    await writeFile(join(dir, 'onnx', 'text_model.onnx'), buildTextModel(dims.text, dims.projectionDim, seed));
    await writeFile(join(dir, 'onnx', 'vision_model.onnx'), buildVisionModel(dims.vision, dims.projectionDim, seed));
  });
}
