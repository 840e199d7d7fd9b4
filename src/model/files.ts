// Where each piece of a model lives in a transformers.js model folder.

import { join } from 'node:path';
import type { Dtype } from '../options.ts';

export type Tower = 'text' | 'vision';

/** The output the scripts fetch from each tower: the projected embeddings. */
export const EMBEDS: Record<Tower, string> = { text: 'text_embeds', vision: 'image_embeds' };

// transformers.js's own file suffix for each dtype.
const SUFFIX: Record<Dtype, string> = {
  fp32: '', fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8', q4: '_q4', q4f16: '_q4f16', bnb4: '_bnb4',
};

export function towerFile(modelDir: string, tower: Tower, dtype: Dtype): string {
  return join(modelDir, 'onnx', `${tower}_model${SUFFIX[dtype]}.onnx`);
}
